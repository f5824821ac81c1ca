// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): what the quantised products share (int8_conv.cpp, int8_depthwise.cpp,
// int8_linear.cpp): their operands as the kernels need them -- the weights with each row's
// scale, zero point and sum, the activations' scale and zero point as the GEMM sees them --
// the real terms of the output stage, and the driver that runs the int8 GEMM over tiles of
// columns on the thread pool.
#include <cstdint>
#include <vector>

#include "cpu/int8_kernels.h"
#include "cpu/op_util.h"

namespace percept::cpu::int8 {

// Bytes rounded up to a 64-byte multiple: slices of the workspace stay aligned.
inline size_t align64(size_t b) { return (b + 63) / 64 * 64; }

// int32 sums of a matrix-vector product of M rows (the kernels write whole groups of rows).
inline size_t accBytes(int64_t M) { return align64(static_cast<size_t>(M + 16) * sizeof(int32_t)); }

// The int8 weights of M rows of K values (an Int8 constant, INT8.md), each row's scale and zero
// point, and the sum over K of each row's (w - zero point).
struct Weights {
    std::vector<int8_t> w;
    std::vector<double> scale;   // per row
    std::vector<int32_t> zero;   // per row
    std::vector<int64_t> rowSum;
    bool asymmetric = false;     // some zero point is not 0
};
// transposed: the constant is stored [K][M] (MatMul's B, Gemm's B without transB).
Weights readWeights(const graph::Graph& g, const graph::Node& n, int valueId, int64_t M, int64_t K, bool transposed);

// The activations' side: their scale, the zero point as the GEMM sees it (int8 moved to uint8)
// and the flip that moves them.
struct Input {
    double scale = 1.0;
    int32_t zero = 0;     // in the GEMM's uint8 codes
    uint8_t flip = 0;     // XOR applied when packing (0x80 for int8)
    uint8_t padByte = 0;  // the raw byte of real zero (before the flip)
};
Input readInput(const graph::Graph& g, const graph::Node& n, int valueId);

// realScale / realOffset per output row for the OutputStage: r = acc * scale + offset, acc the
// sum over K of (w - zw) x with x the GEMM's uint8 codes.
void realTerms(const Weights& w, const Input& in, const std::vector<float>& bias, std::vector<double>& scale, std::vector<double>& offset);

// The bias input k: empty, or one float per output channel.
std::vector<float> biasOf(const graph::Graph& g, const graph::Node& n, size_t k, int64_t count);

// K rows of B's columns for one tile: row k at b + rows[k] (rows not null) or b + k * ldb.
struct BView {
    const uint8_t* b = nullptr;
    const int64_t* rows = nullptr;
    int64_t ldb = 0;
};

// Weights with zero points: sum_k (w - zw) x = sum_k w x - zw * sum_k x, so each column's sum of
// the activations (as the GEMM reads them) is subtracted zw times from each row (the level's
// columnSums / zeroTerms). For a matrix-vector product of the column x (K bytes); zero null:
// nothing to do.
void subtractGemvZeroTerms(const Int8Kernels& k, int32_t* y, const int32_t* zero, int64_t M, const uint8_t* x, int64_t K, uint8_t flip);

// A product of M rows, K deep, over P columns, cut into tiles of columns; the workspace holds
// `shared` bytes first (what every thread reads: a prepared input), then per thread a buffer of
// bufferBytes (for fill), the packed tile, the int32 tile, scratch and column sums.
struct GemmPlan {
    const Int8Kernels* gemm = nullptr;
    int64_t M = 0, K = 0, P = 0;
    int64_t tile = 0;  // columns per tile (a multiple of nr)
    size_t shared = 0, bufferBytes = 0, packBytes = 0, cBytes = 0, floatBytes = 0;

    // bufferPerColumn: bytes of fill's buffer per column of a tile (0: none).
    void init(const Int8Kernels& k, int64_t m, int64_t kk, int64_t p, int64_t bufferPerColumn, size_t sharedBytes = 0);
    size_t perThread() const { return threadStrideBytes(bufferBytes + packBytes + cBytes + floatBytes); }  // a thread stride
    size_t workspaceBytes(int threads) const { return shared + perThread() * static_cast<size_t>(threads); }
};

// Runs C = A * B: for each tile [p0, p1) of columns, fill(p0, p1, buffer) gives its BView; the
// tile is packed, multiplied by every row panel of packedA, and each panel's int32 block goes to
// out(c, ldc, m0, rows, p0, cols, scratch). Tiles are split over the threads (and row panels
// too when there are fewer tiles than threads). wZero: the weights' zero point per row, or null
// when they are all 0.
template <class Fill, class Out>
void runGemm(const GemmPlan& plan, const uint8_t* packedA, uint8_t flip, const int32_t* wZero, KernelContext& ctx, Fill&& fill, Out&& out) {
    const Int8Kernels& k = *plan.gemm;
    const int64_t tiles = (plan.P + plan.tile - 1) / plan.tile, panels = k.panels(plan.M);
    const int threads = ctx.pool.size();
    const int64_t mSplit = tiles >= threads ? 1 : std::min<int64_t>(panels, (threads + tiles - 1) / tiles);
    const int64_t perSplit = (panels + mSplit - 1) / mSplit;
    const size_t panelBytes = k.panelBytes(plan.K);
    auto task = [&](int64_t t, int th) {
        const int64_t tileIdx = t / mSplit, split = t % mSplit;
        const int64_t p0 = tileIdx * plan.tile, p1 = std::min(plan.P, p0 + plan.tile), cols = p1 - p0;
        uint8_t* base = reinterpret_cast<uint8_t*>(ctx.workspace) + plan.shared + static_cast<size_t>(th) * plan.perThread();
        uint8_t* packed = base + plan.bufferBytes;
        int32_t* c = reinterpret_cast<int32_t*>(packed + plan.packBytes);
        float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(c) + plan.cBytes);
        int32_t* colSum = reinterpret_cast<int32_t*>(scratch + plan.tile);
        const BView v = fill(p0, p1, base);
        k.packB(v.b, v.rows, v.ldb, plan.K, cols, flip, packed);
        if (wZero) k.columnSums(v.b, v.rows, v.ldb, plan.K, cols, flip, colSum);
        const int64_t pa = split * perSplit, pb = std::min(panels, pa + perSplit);
        for (int64_t pnl = pa; pnl < pb; ++pnl) {
            const int64_t m0 = pnl * k.mr, rows = std::min<int64_t>(k.mr, plan.M - m0);
            k.kernel(packedA + static_cast<size_t>(pnl) * panelBytes, packed, plan.K, cols, c, plan.tile);
            if (wZero) k.zeroTerms(c, plan.tile, wZero + m0, rows, colSum, cols);
            out(c, plan.tile, m0, rows, p0, cols, scratch);
        }
    };
    const int64_t tasks = tiles * mSplit;
    if (tasks == 1 || threads == 1) {
        for (int64_t t = 0; t < tasks; ++t) task(t, 0);
    } else {
        ctx.pool.runSplit(tasks, task);
    }
}

}  // namespace percept::cpu::int8
