// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>

#include "core/backend_registry.h"
#include "cpu/kernel.h"
#include "graph/ir.h"
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

namespace detail {

bool supportsOp(Backend b, const graph::Graph& g, const graph::Node& n, std::string* why) {
    if (b == Backend::Cpu) return cpu::cpuSupports(g, n, why);
#ifdef PERCEPT_HAVE_VULKAN
    return vulkanSupportsOp(g, n, why);
#else
    if (why) *why = "this build of Percept has no Vulkan backend";
    return false;
#endif
}

void checkRunInputs(const graph::Graph& g, const std::vector<Tensor>& inputs) {
    if (inputs.size() != g.inputs.size())
        throw Error("the model takes " + std::to_string(g.inputs.size()) + " input(s), got " + std::to_string(inputs.size()));
    for (size_t k = 0; k < inputs.size(); ++k) {
        const graph::Value& v = g.value(g.inputs[k]);
        if (inputs[k].shape != v.shape || static_cast<int64_t>(inputs[k].data.size()) != elementCount(v.shape))
            throw Error("input '" + v.name + "' must have shape " + shapeToString(v.shape) + ", got " + shapeToString(inputs[k].shape));
    }
}

}  // namespace detail

}  // namespace percept
