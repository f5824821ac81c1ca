// SPDX-License-Identifier: Apache-2.0
#pragma once
// Figures a session reports after a run: per-layer time and FLOPs, memory plan figures.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace percept {

struct LayerStats {
    std::string name;    // node name from the model (or a generated one)
    std::string op;      // op type after fusion, e.g. "Conv+Relu"
    std::string algo;    // kernel the backend chose, e.g. "im2col-gemm", "1x1-gemm", "depthwise"
    int64_t flops = 0;   // multiply-adds count as 2
    double ms = 0.0;     // time of the last run
};

struct Stats {
    std::vector<LayerStats> layers;
    double lastRunMs = 0.0;
    int64_t totalFlops = 0;
    size_t weightBytes = 0;            // weights held by the session (after repacking)
    size_t peakArenaBytes = 0;         // planned activation arena (liveness-based)
    size_t naiveActivationBytes = 0;   // sum of all intermediate tensors, for comparison
    size_t workspaceBytes = 0;         // scratch (im2col tiles etc.)
    size_t deviceMemoryBytes = 0;      // GPU memory allocated (Vulkan only)
    std::string device;                // backend + device name
    int64_t runs = 0;
};

}  // namespace percept
