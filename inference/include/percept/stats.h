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
    int commands = 0;    // Vulkan: dispatches, copies and fills this layer records
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
    // Compressed models (percept-compress): the model's coded weights, what they decode to,
    // the layers decoded just before each run (SessionOptions::weightMemoryBudget), the
    // buffers those share, and the last run's time spent decoding them that the run waited for.
    size_t codedWeightBytes = 0;
    size_t decodedWeightBytes = 0;
    int streamedLayers = 0;
    int decodeLanes = 0;               // 2: the next streamed layer decodes while one computes
    size_t streamBufferBytes = 0;
    double decodeWaitMs = 0.0;
    // Vulkan: what one run() submits (the command buffer recorded once at session creation).
    // Batch-1 latency on a GPU is bound by these, not by FLOPs: each dispatch costs a few
    // microseconds of launch, each barrier drains the GPU before the next dispatch starts.
    int64_t dispatches = 0;            // compute dispatches per run
    int64_t transfers = 0;             // buffer copies and fills per run
    int64_t barriers = 0;              // pipeline barriers between them per run
    // Vulkan with profiling on (GPU timestamps of the last run): the nodes' time on the device,
    // from the input in device memory to the output there (what CUDA events around a CUDA-graph
    // replay measure), and the input upload plus output download on the device. The rest of
    // lastRunMs is the host's: staging copies, submission and waking from the fence.
    double gpuMs = 0.0;
    double gpuCopyMs = 0.0;
    std::string device;                // backend + device name
    int64_t runs = 0;
    // Where Session::create's time went, in order (Vulkan: "device" -- the instance and device,
    // ~0 when an earlier session of the process opened them --, "planning", "pipelines",
    // "buffers and weights", "descriptors and recording", "pipeline cache saved"); empty for
    // the CPU.
    struct Phase {
        std::string name;
        double ms = 0.0;
    };
    std::vector<Phase> createPhases;
};

}  // namespace percept
