// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the CPU kernels: attribute/shape access with errors that name the node,
// the per-op factories the registry calls, and a GEMM split over the thread pool.
#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/kernel.h"
#include "graph/ir.h"
#include "percept/error.h"

namespace percept::cpu {

[[noreturn]] inline void fail(const graph::Node& n, const std::string& msg) { throw Error(n.describe() + ": " + msg); }

inline bool hasInput(const graph::Node& n, size_t k) { return k < n.inputs.size() && n.inputs[k] >= 0; }

// Shape of node input k (which must be present).
inline const Shape& inShape(const graph::Graph& g, const graph::Node& n, size_t k) {
    if (!hasInput(n, k)) fail(n, "input " + std::to_string(k) + " is missing");
    return g.shapeOf(n.inputs[k]);
}
inline const Shape& outShape(const graph::Graph& g, const graph::Node& n, size_t k = 0) {
    if (k >= n.outputs.size() || n.outputs[k] < 0) fail(n, "output " + std::to_string(k) + " is missing");
    return g.shapeOf(n.outputs[k]);
}

// Float values of a constant input, copied; empty when the input is absent. Fails when the
// input is present but not a constant.
inline std::vector<float> constInput(const graph::Graph& g, const graph::Node& n, size_t k, const char* what) {
    if (!hasInput(n, k)) return {};
    const graph::Value& v = g.value(n.inputs[k]);
    if (!v.constant) fail(n, std::string(what) + " (input '" + v.name + "') must be a constant");
    return v.constant->asFloats();
}

inline int64_t normAxis(const graph::Node& n, int64_t axis, int64_t rank) {
    if (axis < -rank || axis >= rank) fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

inline int64_t product(const Shape& s, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t k = begin; k < end && k < s.size(); ++k) p *= s[k];
    return p;
}

// Buffers inside the shared workspace start on 64-byte boundaries.
inline size_t alignFloats(size_t floats) { return (floats + 15) / 16 * 16; }
// Per-thread slices of the shared workspace (which is page-aligned) lie whole 4 KB pages
// apart: thread th's slice of `floats` floats starts at th x threadStride(floats). The L2
// prefetchers fetch the lines ahead of a thread's accesses within their 4 KB page, so a small
// buffer of one thread beside another's lost its lines to the other core on every pass:
// SqueezeNet's MaxPools, whose per-thread row buffers (256 bytes) sat side by side, took 118
// and 98 us on 2 threads against 79 and 55 on 1 (59 and 44 with a page each).
inline constexpr size_t kWorkspacePageBytes = 4096;
inline size_t threadStrideBytes(size_t bytes) { return (bytes + kWorkspacePageBytes - 1) / kWorkspacePageBytes * kWorkspacePageBytes; }
inline size_t threadStride(size_t floats) { return threadStrideBytes(floats * sizeof(float)) / sizeof(float); }

// Whether a pass over the planes of a large feature map splits between the threads by rows
// (each thread a band of rows of every channel), not by channels: where each thread gets at
// least 16 rows. The 1x1 convs split by columns (pixels, packedGemmParallel), so the
// depthwise conv between two of them (conv.cpp) and the squeeze-and-excitation means after it
// (squeeze_excite.cpp) do so too, and each core reads what it wrote itself. 16: on 2 threads
// MobileNetV2's 28x28 depthwise convs ran 48 -> 66 us split by rows (each share a call of its
// own, with its halo rows), the 56x56 and 112x112 ones 6-15 us faster.
inline bool splitsByRows(int64_t rows, int threads) { return threads > 1 && rows >= 16 * threads; }
// Such a pass's shares: [0, images * rows) cut into the pool's contiguous shares (thread k the
// k-th, in multiples of `grain` rows), and fn(image, r0, r1, thread) called for each image's
// part of a share, its rows [r0, r1).
template <class F>
void forEachRowBand(ThreadPool& pool, int64_t images, int64_t rows, int64_t grain, F&& fn) {
    pool.parallelFor(images * rows, grain, [&](int64_t b, int64_t e, int th) {
        for (int64_t r = b; r < e;) {
            const int64_t n = r / rows, r0 = r % rows, r1 = std::min(rows, r0 + (e - r));
            fn(n, r0, r1, th);
            r += r1 - r0;
        }
    });
}

// Applies an activation while copying n values from `in` to `out` (which may be equal).
void activate(const graph::FusedActivation& act, const float* in, float* out, int64_t n);
// erf in fp32 without libm (a rational approximation, a few ulp; activation.cpp).
float erfApprox(float v);
// The session's activation rows: its SIMD level's (simd.activate) or the portable activate.
inline ActivateFn activationFn(const CpuKernels& simd) { return simd.activate ? simd.activate : &activate; }

// out[r][c] = act(out[r][c] + rowBias[r]) over a block; rowBias may be null.
inline void biasActivateRows(const graph::FusedActivation& act, const float* rowBias, float* c, int64_t ldc, int64_t rows,
                             int64_t cols) {
    for (int64_t r = 0; r < rows; ++r) {
        float* p = c + r * ldc;
        if (rowBias) {
            const float b = rowBias[r];
            for (int64_t j = 0; j < cols; ++j) p[j] += b;
        }
        if (act.any()) activate(act, p, p, cols);
    }
}

// C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C, row-major, cut into blocks
// that run on the pool: by columns when N is wide, otherwise by rows. epilogue(r0, r1, c0, c1)
// runs on each finished block while it is still in cache (bias, activation).
template <class Epilogue>
void parallelGemm(ThreadPool& pool, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, Epilogue&& epilogue) {
    if (M <= 0 || N <= 0) return;
    auto block = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        const float* a = transA ? A + r0 : A + r0 * lda;
        const float* b = transB ? B + c0 * ldb : B + c0;
        if (K > 0) {
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        static_cast<int>(r1 - r0), static_cast<int>(c1 - c0), static_cast<int>(K), alpha, a,
                        static_cast<int>(lda), b, static_cast<int>(ldb), beta, C + r0 * ldc + c0, static_cast<int>(ldc));
        } else {
            // K == 0: the product is empty; only the beta term remains.
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t c = c0; c < c1; ++c) C[r * ldc + c] = beta == 0.0f ? 0.0f : beta * C[r * ldc + c];
        }
        epilogue(r0, r1, c0, c1);
    };
    const int threads = pool.size();
    // Small products are not worth waking the pool for.
    if (threads == 1 || M * N * std::max<int64_t>(K, 1) < 32 * 1024) {
        block(0, M, 0, N);
        return;
    }
    if (N >= 16 * threads && N >= M / 4) {
        // Column blocks, a multiple of 16 wide so every thread's B/C panels stay aligned.
        pool.parallelFor(N, 16, [&](int64_t c0, int64_t c1, int) { block(0, M, c0, c1); });
    } else {
        pool.parallelFor(M, 4, [&](int64_t r0, int64_t r1, int) { block(r0, r1, 0, N); });
    }
}

// y = W x for W [rows x K] (leading dimension ldw) with the SIMD dot kernel, rows split over
// the pool (in multiples of 4, the kernel's row group) when there is enough work to share.
template <class DotFn>
void parallelDotRows(ThreadPool& pool, DotFn dot, const float* w, int64_t ldw, const float* x, int64_t K, int64_t rows, float* y) {
    if (pool.size() == 1 || rows * K < 128 * 1024) {
        dot(w, ldw, x, K, rows, y);
        return;
    }
    pool.parallelFor(rows, 4, [&](int64_t r0, int64_t r1, int) { dot(w + r0 * ldw, ldw, x, K, r1 - r0, y + r0); });
}

// Factories, one per op family; kernel_registry.cpp has the table from OpKind to them.
using Factory = std::unique_ptr<Kernel> (*)(const graph::Graph&, const graph::Node&, const KernelConfig&);
#define PERCEPT_CPU_FACTORY(name) std::unique_ptr<Kernel> name(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg)
PERCEPT_CPU_FACTORY(makeConv);
PERCEPT_CPU_FACTORY(makePool);        // MaxPool, AveragePool
PERCEPT_CPU_FACTORY(makeGlobalPool);  // GlobalAveragePool
PERCEPT_CPU_FACTORY(makeGemm);
PERCEPT_CPU_FACTORY(makeMatMul);
PERCEPT_CPU_FACTORY(makeEltwise);     // every pointwise op of 2+ inputs (Add ... Where)
PERCEPT_CPU_FACTORY(makeActivation);  // every unary pointwise op (graph/activations.def)
PERCEPT_CPU_FACTORY(makeSoftmax);
PERCEPT_CPU_FACTORY(makeConcat);
PERCEPT_CPU_FACTORY(makeCopy);        // Flatten, Reshape, Squeeze, Unsqueeze, Identity, Dropout
PERCEPT_CPU_FACTORY(makePad);
PERCEPT_CPU_FACTORY(makeLrn);
PERCEPT_CPU_FACTORY(makeBatchNorm);
// Convolution family
PERCEPT_CPU_FACTORY(makeConvTranspose);
// Ops along axes (reduce family)
PERCEPT_CPU_FACTORY(makeReduce);      // Reduce*, GlobalMaxPool (makeSoftmax runs LogSoftmax and Hardmax too)
PERCEPT_CPU_FACTORY(makeArgExtreme);  // ArgMax, ArgMin
PERCEPT_CPU_FACTORY(makeCumSum);
PERCEPT_CPU_FACTORY(makeNorm);        // LayerNormalization, InstanceNormalization, MeanVarianceNormalization
// makeNorm's LayerNormalization over one inner axis (graph::kNormOneAxis; norm_channels.cpp).
std::unique_ptr<Kernel> makeChannelNorm(const graph::Graph& g, const graph::Node& n);
// Family: data movement (datamove)
PERCEPT_CPU_FACTORY(makeStridedCopy);  // Transpose, Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth
PERCEPT_CPU_FACTORY(makeGather);       // Gather, GatherElements, GatherND, Compress
PERCEPT_CPU_FACTORY(makeScatter);      // ScatterElements, ScatterND
PERCEPT_CPU_FACTORY(makeResize);       // Resize, Upsample
PERCEPT_CPU_FACTORY(makeTrilu);
PERCEPT_CPU_FACTORY(makeCast);         // Cast, CastLike
// int8 (INT8.md)
PERCEPT_CPU_FACTORY(makeQuantizeLinear);
PERCEPT_CPU_FACTORY(makeDequantizeLinear);
#undef PERCEPT_CPU_FACTORY

}  // namespace percept::cpu
