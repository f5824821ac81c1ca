#pragma once
// Backends register a factory here; Session::create looks the chosen one up. The Vulkan
// backend is compiled in only when PERCEPT_WITH_VULKAN is on.
#include <memory>
#include <string>
#include <vector>

#include "percept/session.h"

namespace percept::graph {
struct Graph;
}

namespace percept::detail {

// Every backend's run() starts here: an Error unless `inputs` match the graph's inputs in
// number and shape.
void checkRunInputs(const graph::Graph& g, const std::vector<Tensor>& inputs);

std::unique_ptr<Session> createCpuSession(const Model& model, const SessionOptions& options);
#ifdef PERCEPT_HAVE_VULKAN
std::unique_ptr<Session> createVulkanSession(const Model& model, const SessionOptions& options);
bool vulkanAvailable(std::string* why);
#endif

}  // namespace percept::detail
