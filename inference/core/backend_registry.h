#pragma once
// Backends register a factory here; Session::create looks the chosen one up. The Vulkan
// backend is compiled in only when PERCEPT_WITH_VULKAN is on.
#include <memory>
#include <string>

#include "percept/session.h"

namespace percept::detail {

std::unique_ptr<Session> createCpuSession(const Model& model, const SessionOptions& options);
#ifdef PERCEPT_HAVE_VULKAN
std::unique_ptr<Session> createVulkanSession(const Model& model, const SessionOptions& options);
bool vulkanAvailable(std::string* why);
#endif

}  // namespace percept::detail
