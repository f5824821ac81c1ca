// SPDX-License-Identifier: Apache-2.0
#pragma once
// Backend choice and the options a session is compiled with.
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
    // CPU: a squeeze-and-excitation block (GlobalAveragePool, two 1x1 convs, Mul) runs as one
    // kernel (PERCEPT_CPU_SE=off runs its nodes one by one).
    bool squeezeExcite = true;
    // Vulkan: the tiled (GPU) or direct (CPU implementation) conv kernel, or by device type
    // (PERCEPT_VULKAN_CONV=tiled|direct).
    enum class VulkanConv { Auto, Tiled, Direct } vulkanConv = VulkanConv::Auto;
    // Vulkan: the wide (GPU) or plain GEMM kernel, or by device type (PERCEPT_VULKAN_GEMM=wide|plain).
    enum class VulkanGemm { Auto, Wide, Plain } vulkanGemm = VulkanGemm::Auto;
    // Vulkan fault injection: the N-th run() of each session fails as if the device were lost
    // (PERCEPT_VULKAN_FAIL_AFTER=N; 0 = off).
    int64_t vulkanFailAfter = 0;

    // The PERCEPT_* variables above, read now; an unknown value is a percept::Error naming it.
    static Tuning fromEnvironment();
};

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
    // Record per-layer timings (CPU: wall clock per layer; Vulkan: timestamp queries).
    bool profile = true;
    Tuning tuning;
};

// Whether a backend is compiled in and has a usable device; `why` says why not.
bool backendAvailable(Backend b, std::string* why = nullptr);

}  // namespace percept
