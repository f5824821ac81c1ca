#pragma once
// The CPU backend's op interface, after ncnn's layer classes: one Kernel per graph node,
// built once at session creation (weights repacked then), run once per frame with pointers
// into the planned arena. Kernels never allocate in run().
#include <cstddef>
#include <cstdint>
#include <memory>

#include "cpu/thread_pool.h"
#include "graph/ir.h"

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

// Builds the kernel for a node of a shape-inferred graph. Throws percept::Error naming the
// node when the op or one of its attributes is not supported.
std::unique_ptr<Kernel> makeKernel(const graph::Graph& g, const graph::Node& node);

// Applies a fused activation to n values in place.
void applyActivation(const graph::FusedActivation& act, float* data, int64_t n);

}  // namespace percept::cpu
