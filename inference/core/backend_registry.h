// SPDX-License-Identifier: Apache-2.0
#pragma once
// Backends register a factory here; Session::create looks the chosen one up. The Vulkan
// backend is compiled in only when PERCEPT_WITH_VULKAN is on.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "percept/session.h"

namespace percept::graph {
struct Graph;
struct Node;
}

namespace percept::detail {

// Every backend's runInputs() starts here: an Error unless `inputs` match the graph's inputs in
// number and shape.
void checkRunInputs(const graph::Graph& g, std::span<const Tensor* const> inputs);

// Whether a backend has a kernel for this node (after ggml's supports_op), asked before a
// session is made; `why` names the op and the backend otherwise.
bool supportsOp(Backend b, const graph::Graph& g, const graph::Node& n, std::string* why);

std::unique_ptr<Session> createCpuSession(const Model& model, const SessionOptions& options);
#ifdef PERCEPT_HAVE_VULKAN
std::unique_ptr<Session> createVulkanSession(const Model& model, const SessionOptions& options);
bool vulkanAvailable(std::string* why);
bool vulkanSupportsOp(const graph::Graph& g, const graph::Node& n, std::string* why);
#endif

}  // namespace percept::detail
