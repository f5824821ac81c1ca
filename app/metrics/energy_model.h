// SPDX-License-Identifier: Apache-2.0
#pragma once
// The energy estimate used where no hardware counter can be read. Documented in app/README.md
// ("Energy"); the overlay labels every figure from here "estimated".
//
// CPU (and software Vulkan devices such as lavapipe, which run on the CPU):
//     E = CPU seconds consumed by the process during the inference  x  watts per busy core
//   CPU seconds come from CLOCK_PROCESS_CPUTIME_ID around Session::run, so a thread that idles
//   costs nothing and every busy worker thread counts. Other threads of the process that run
//   at the same time (UI, video decoding) are included too, which slightly over-estimates.
//   watts per core: 5 W by default, a typical figure for one busy core of a current desktop
//   x86 CPU near 3.5 GHz running vector code, including its share of the uncore; a laptop core
//   is nearer 2-3 W, a phone big core 1-2 W. Override with PERCEPT_CPU_WATTS_PER_CORE.
//
// GPU (hardware Vulkan device without an NVML counter):
//     E = FLOPs x 20 pJ/FLOP  +  bytes moved x 100 pJ/byte
//   20 pJ/FLOP is ~50 GFLOP/W, what a current GPU delivers on small batch-1 convolutions (far
//   below its peak efficiency); 100 pJ/byte is DRAM/GDDR access plus on-chip movement. Bytes
//   moved per inference = weights read once + the activation arena written and read once
//   (weightBytes + 2 x peakArenaBytes). Overrides: PERCEPT_GPU_PJ_PER_FLOP,
//   PERCEPT_GPU_PJ_PER_BYTE.
#include <cstddef>
#include <cstdint>
#include <string>

namespace percept::app {

struct EnergyModel {
    double cpuWattsPerCore = 5.0;
    double gpuPicojoulesPerFlop = 20.0;
    double gpuPicojoulesPerByte = 100.0;

    // The defaults above, with the environment overrides applied.
    static EnergyModel fromEnvironment();

    double cpuJoules(double cpuSeconds) const { return cpuSeconds * cpuWattsPerCore; }
    double gpuJoules(int64_t flops, size_t bytesMoved) const {
        return (static_cast<double>(flops) * gpuPicojoulesPerFlop + static_cast<double>(bytesMoved) * gpuPicojoulesPerByte) * 1e-12;
    }
    std::string cpuDescription() const;  // "CPU time x 5 W/core"
    std::string gpuDescription() const;  // "FLOPs x 20 pJ + bytes x 100 pJ"
};

// Vulkan devices that are really the CPU (lavapipe/llvmpipe, SwiftShader).
bool isSoftwareDevice(const std::string& deviceName);

}  // namespace percept::app
