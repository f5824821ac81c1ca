// SPDX-License-Identifier: Apache-2.0
#pragma once
// Squeeze-and-excitation blocks on the CPU (graph::squeezeExciteCandidates): the block's gate,
// shared by the kernel that scales the block's input by it (makeSqueezeExcite) and the one that
// hands it to the 1x1 conv reading the block's output (cpu/conv.h's makeSqueezeExciteConv).
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/kernel.h"
#include "cpu/op_util.h"
#include "cpu/packed_gemm.h"
#include "graph/fusion.h"
#include "graph/ir.h"

namespace percept::cpu {

// The sum of n floats in 16 independent partial sums: one running sum is a chain of
// dependent adds (4 cycles each) that the compiler may not reorder without -ffast-math.
float planeSum(const float* x, int64_t n);

// gate[n][c] = act2(W2 act1(W1 mean(x[n]) + b1) + b2)[c] for x [N][C][plane...].
class SqueezeExciteGate {
public:
    SqueezeExciteGate(const graph::Graph& g, const graph::SqueezeExcite& se, const KernelConfig& cfg);
    // The gate ([N][C]) at the start of `workspace` (workspaceFloats(pool.size()) floats),
    // its scratch after it (the means, the hidden vector, a row of partial sums per thread);
    // returns the gate. The channel means are split over the pool's threads as
    // forEachShare() splits x: a later pass over x split the same way re-reads each thread's
    // own part from its cache.
    const float* compute(ThreadPool& pool, const float* x, float* workspace) const;
    size_t workspaceFloats(int threads) const;
    // fn(p, i0, i1, thread) over x's planes p (image p / C, channel p % C), values [i0, i1) of
    // each, spread over the pool: large planes by rows (splitsByRows: the depthwise conv
    // before the block wrote them so), each thread a band of rows of every channel; smaller ones
    // by whole planes (planeGrain()).
    template <class F>
    void forEachShare(ThreadPool& pool, F&& fn) const {
        if (splitsByRows(H_, pool.size())) {
            forEachRowBand(pool, N_, plane_, W_, [&](int64_t n, int64_t i0, int64_t i1, int th) {
                for (int64_t c = 0; c < C_; ++c) fn(n * C_ + c, i0, i1, th);
            });
        } else {
            pool.parallelFor(N_ * C_, planeGrain(), [&](int64_t b, int64_t e, int th) {
                for (int64_t p = b; p < e; ++p) fn(p, int64_t{0}, plane_, th);
            });
        }
    }
    size_t weightBytes() const { return (w1_.size() + b1_.size() + w2_.size() + b2_.size()) * sizeof(float); }
    bool simd() const { return dot_ != nullptr; }
    int64_t plane() const { return plane_; }

private:
    // parallelFor's grain for a pass over the N * C planes.
    int64_t planeGrain() const;
    // Where the per-thread sums start in the workspace: after the gate and the means, on a page.
    size_t sumsOffset() const;
    void matVec(ThreadPool& pool, const float* w, const float* b, const float* in, int64_t K, int64_t rows, const graph::FusedActivation& act,
                float* out) const;

    int64_t N_, C_, plane_, Cr_;
    int64_t H_, W_;  // the planes' rows and the values per row (the rest of the shape)
    AlignedFloats w1_;  // [Cr x C], rows cache-line aligned (the GEMVs stream them)
    std::vector<float> b1_;
    AlignedFloats w2_;  // [C x Cr]
    std::vector<float> b2_;
    graph::FusedActivation act1_, act2_;
    DotRowsFn dot_;
};

// A kernel computing a squeeze-and-excitation block in one step: the gate, then the channel
// scale, both passes over x split the same way over the threads. Its run() takes the pool's
// input x and writes the Mul's output. Null when tuning.squeezeExcite is off.
std::unique_ptr<Kernel> makeSqueezeExcite(const graph::Graph& g, const graph::SqueezeExcite& se, const KernelConfig& cfg);

}  // namespace percept::cpu
