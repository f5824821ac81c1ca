// SPDX-License-Identifier: Apache-2.0
#pragma once
// Backend choice and the options a session is compiled with.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace percept {

enum class Backend { Cpu, Vulkan };

const char* backendName(Backend b);
// Parses "cpu" / "vulkan" (case-insensitive); throws percept::Error otherwise.
Backend parseBackend(const std::string& name);

// Algorithm switches, for comparisons and tests; the defaults are what the engine chooses by
// itself. Kernels read them from here, never from the environment: programs that want the
// PERCEPT_* variables to apply call Tuning::fromEnvironment() once, at their edge.
struct Tuning {
    // CPU: cap on the SIMD level the kernels use (PERCEPT_CPU_ISA=generic|avx2|avx512|neon).
    // Neon (arm64): the only SIMD level there; a level of the other architecture is refused.
    enum class CpuIsa { Best, Generic, Avx2, Avx512, Neon } cpuIsa = CpuIsa::Best;
    // CPU: 3x3 stride-1 convs by Winograd F(4x4) / F(2x2) / never, or by the shape rule
    // (PERCEPT_CPU_WINOGRAD=f4|f2|off).
    enum class Winograd { Auto, F4, F2, Off } winograd = Winograd::Auto;
    // CPU: a conv whose only reader is a MaxPool runs as one Conv+MaxPool kernel
    // (PERCEPT_CPU_CONVPOOL=off turns it off).
    bool convMaxPool = true;
    // CPU speed: a 1x1 conv whose only reader is a depthwise conv runs with it as one kernel
    // where its expanded output would not stay in cache (PERCEPT_CPU_PW_DW=off keeps them apart).
    bool pointwiseDepthwise = true;
    // CPU: a squeeze-and-excitation block (GlobalAveragePool, two 1x1 convs, Mul) runs as one
    // kernel (PERCEPT_CPU_SE=off runs its nodes one by one).
    bool squeezeExcite = true;
    // CPU speed: such a block whose output only a 1x1 conv reads hands its gate to that conv,
    // which scales its input channels as it reads them (PERCEPT_CPU_SE_CONV=off stores the
    // block's output and runs the conv after it).
    bool squeezeExciteConv = true;
    // CPU speed: a MatMul whose only reader is a bias Add (a Linear layer) runs as one product
    // with the bias in its epilogue (PERCEPT_CPU_MATMUL_BIAS=off keeps them apart).
    bool matMulBias = true;
    // CPU speed: a 1x1 conv whose only reader is a residual Add (ResNet's, the MobileNets' skip
    // connections) adds it and the Add's activation in its epilogue (PERCEPT_CPU_CONV_ADD=off
    // keeps them apart).
    bool convAdd = true;
    // CPU speed: depthwise convs on small planes take the channels-in-lanes kernel where it
    // pays (PERCEPT_CPU_DW_LANES=off keeps the per-plane kernel, for comparisons).
    bool depthwiseLanes = true;
    // CPU speed: a stem (a 3x3 or 7x7 conv on at most 4 input channels) by the direct kernel,
    // without a column matrix, and a 7x7 one with the MaxPool after it too
    // (PERCEPT_CPU_DIRECT_STEM=off: im2col and the packed GEMM, for comparisons).
    bool directStem = true;
    // Vulkan: the tiled (GPU) or direct (CPU implementation) conv kernel, or by device type
    // (PERCEPT_VULKAN_CONV=tiled|direct).
    enum class VulkanConv { Auto, Tiled, Direct } vulkanConv = VulkanConv::Auto;
    // Vulkan: the GEMM kernel: by device type and shape, or forced to the wide (GPU, a few
    // rows), tiled (GPU, shared-memory tiles, where the operands' layout allows) or plain one
    // (PERCEPT_VULKAN_GEMM=wide|tiled|plain).
    enum class VulkanGemm { Auto, Wide, Tiled, Plain } vulkanGemm = VulkanGemm::Auto;
    // Vulkan: a tiled conv or GEMM whose output has fewer 64 x 64 tiles than this splits its
    // reduction over slices of k until it runs about this many workgroups
    // (PERCEPT_VULKAN_SPLIT_WORKGROUPS=N; 1 never splits).
    int64_t vulkanSplitWorkgroups = 256;
    // Vulkan with fp16 arithmetic: convolutions, Gemm and MatMul on cooperative matrices (tensor
    // cores) where the device has them (PERCEPT_VULKAN_COOPMAT=on). Off by default: on an H100
    // (5 December) these kernels took 1.35x the tiled ones' time on ResNet-50's convs and 1.2x
    // on ConvNeXt-T's MatMuls; their staging, not the tensor cores, bounds them.
    bool vulkanCooperativeMatrix = false;
    // Vulkan on a GPU: the end of a run is polled for up to 1.5 ms before the thread sleeps on
    // the fence (waking from that sleep costs tens of microseconds; PERCEPT_VULKAN_SPIN=off
    // always sleeps, trading that latency for CPU time).
    bool vulkanSpinWait = true;
    // Vulkan fault injection: the N-th run() of each session fails as if the device were lost
    // (PERCEPT_VULKAN_FAIL_AFTER=N; 0 = off).
    int64_t vulkanFailAfter = 0;
    // Compressed weights: a streamed layer's weights are decoded on a helper thread while the
    // layer before it computes, when the weight budget leaves room for a second buffer
    // (PERCEPT_CPU_WEIGHT_PREFETCH=off decodes each just before it runs, for comparisons).
    bool weightPrefetch = true;

    // The PERCEPT_* variables above, read now; an unknown value is a percept::Error naming it.
    static Tuning fromEnvironment();
};

// SessionOptions::weightMemoryBudget's default: no budget.
inline constexpr size_t kNoWeightBudget = SIZE_MAX;

struct SessionOptions {
    Backend backend = Backend::Cpu;
    // CPU worker threads (0 = all hardware threads).
    int threads = 0;
    // Vulkan: device by index (>= 0) or by a substring of its name; empty/-1 = automatic
    // choice (discrete, then integrated, then CPU implementations). PERCEPT_VULKAN_DEVICE
    // overrides both when set.
    int deviceIndex = -1;
    std::string deviceName;
    // Vulkan: store weights and activations as fp16 where the device supports it.
    bool fp16Storage = false;
    // Vulkan: besides fp16 storage (which this turns on), compute in fp16 where the device has
    // shaderFloat16: the conv kernels multiply in float16_t and sum runs of 16 products (a
    // kernel row, for depthwise) in fp16 before adding them to fp32 accumulators; and on GPUs
    // with cooperative matrices (VK_NV_cooperative_matrix) convolutions run on the tensor cores.
    // Off by default until measured on a GPU (tests/gpu/run_gpu_bench.sh); a device without
    // shaderFloat16 keeps fp32 arithmetic (Stats::device says which).
    bool fp16Arithmetic = false;
    // Record per-layer timings (CPU: wall clock per layer; Vulkan: timestamp queries).
    bool profile = true;
    // Values to return after the model's outputs, by name: intermediate results such as a
    // classifier's penultimate features (Model::intermediates() lists what the optimised graph
    // keeps). Each stays in the arena until the end of a run. (Teaching, percept/train.h.)
    std::vector<std::string> extraOutputs;
    // Compressed models (percept-compress, .pcz): the bytes of weights the session may hold.
    // When the model's coded weights plus every layer decoded and repacked fit, all are decoded
    // at creation; under it the CPU backend keeps the largest layers coded and decodes each
    // just before it runs, into buffers reused from layer to layer (Stats::streamedLayers).
    // Vulkan decodes everything at creation whatever the budget. Ignored for other models.
    size_t weightMemoryBudget = kNoWeightBudget;
    // Throughput mode: the session runs `batch` images per run() (Model::withBatch: its inputs
    // take `batch` on their first axis); Session::runBatch feeds it a list of images.
    int64_t batch = 1;
    Tuning tuning;
};

// Whether a backend is compiled in and has a usable device; `why` says why not.
bool backendAvailable(Backend b, std::string* why = nullptr);

}  // namespace percept
