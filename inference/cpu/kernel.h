// SPDX-License-Identifier: Apache-2.0
#pragma once
// The CPU backend's op interface, after ncnn's layer classes: one Kernel per graph node,
// built once at session creation (weights repacked then), run once per frame with pointers
// into the planned arena. Kernels never allocate in run().
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cpu/isa.h"
#include "cpu/thread_pool.h"
#include "graph/ir.h"
#include "percept/backend.h"

namespace percept::cpu {

struct KernelContext {
    ThreadPool& pool;
    // Scratch shared by all kernels (one kernel runs at a time): workspaceBytes() of the
    // largest kernel, 64-byte aligned, split per thread by the kernel as it needs.
    float* workspace = nullptr;
};

class Kernel {
public:
    virtual ~Kernel() = default;
    // inputs[k] points at the data of node input k (arena or constant; nullptr for an absent
    // optional input); outputs[k] at the arena slot of node output k.
    virtual void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) = 0;
    // Scratch this kernel needs for `threads` threads, in bytes.
    virtual size_t workspaceBytes(int threads) const { return 0; }
    // Bytes of weights the kernel holds itself (repacked copies).
    virtual size_t weightBytes() const { return 0; }
    // The algorithm chosen, for the per-layer table.
    virtual const char* algo() const { return ""; }
};

// What a kernel factory gets besides its node: the session's SIMD level (one table of
// kernels, cpu/isa.h) and its algorithm switches.
struct KernelConfig {
    const CpuKernels& simd;
    const Tuning& tuning;
    int threads;  // the session's pool size, for kernels whose best form depends on it (winogradTile)
};

// Builds the kernel for a node of a shape-inferred graph (kernel_registry.cpp). Throws
// percept::Error naming the node when the CPU backend cannot run it.
std::unique_ptr<Kernel> makeKernel(const graph::Graph& g, const graph::Node& node, const KernelConfig& cfg);

// Whether the CPU backend runs this node; `why` says why not.
bool cpuSupports(const graph::Graph& g, const graph::Node& node, std::string* why);

// Applies a fused activation to n values in place.
void applyActivation(const graph::FusedActivation& act, float* data, int64_t n);

}  // namespace percept::cpu
