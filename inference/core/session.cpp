#include <algorithm>
#include <cctype>

#include "core/backend_registry.h"
#include "percept/error.h"

namespace percept {

const char* backendName(Backend b) { return b == Backend::Cpu ? "cpu" : "vulkan"; }

Backend parseBackend(const std::string& name) {
    std::string s = name;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "cpu") return Backend::Cpu;
    if (s == "vulkan" || s == "gpu") return Backend::Vulkan;
    throw Error("unknown backend '" + name + "' (expected cpu or vulkan)");
}

bool backendAvailable(Backend b, std::string* why) {
    if (b == Backend::Cpu) return true;
#ifdef PERCEPT_HAVE_VULKAN
    return detail::vulkanAvailable(why);
#else
    if (why) *why = "this build of Percept has no Vulkan backend";
    return false;
#endif
}

std::unique_ptr<Session> Session::create(const Model& model, const SessionOptions& options) {
    if (options.backend == Backend::Cpu) return detail::createCpuSession(model, options);
#ifdef PERCEPT_HAVE_VULKAN
    return detail::createVulkanSession(model, options);
#else
    throw Error("the Vulkan backend is not available: this build of Percept has none");
#endif
}

}  // namespace percept
