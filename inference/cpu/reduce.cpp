// SPDX-License-Identifier: Apache-2.0
// The reductions (ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceSumSquare, ReduceLogSum, ReduceLogSumExp, and GlobalMaxPool as a max over the spatial
// axes): one kernel, a template over the reduction, walking graph::planReduce's nest.
//  - the input's last axis is reduced: each output reduces contiguous runs ("rows");
//  - it is kept: each output block of `inner` neighbours reduces whole rows of x at once
//    ("columns"), with per-thread accumulators in the workspace.
// Sums and products accumulate in double (a float running sum over 50k values drifts by
// ~1e-4 relative); LogSumExp subtracts the maximum before exp. Max and Min propagate NaN, as
// numpy's maximum.reduce (ONNX's reference) does.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

enum class Red { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp };

constexpr bool isExtreme(Red r) { return r == Red::Max || r == Red::Min; }

// ---- Sum-like (and Prod): a double accumulator of one term per element --------------------

template <Red R>
inline double term(float v) {
    if constexpr (R == Red::L1) return std::fabs(static_cast<double>(v));
    else if constexpr (R == Red::L2 || R == Red::SumSquare) return static_cast<double>(v) * v;
    else return v;
}
template <Red R>
constexpr double identity() {
    return R == Red::Prod ? 1.0 : 0.0;
}
template <Red R>
inline double combine(double acc, double t) {
    if constexpr (R == Red::Prod) return acc * t;
    else return acc + t;
}
template <Red R>
inline float finish(double acc, int64_t count) {
    if constexpr (R == Red::Mean) return static_cast<float>(acc / static_cast<double>(count));
    else if constexpr (R == Red::L2) return static_cast<float>(std::sqrt(acc));
    else if constexpr (R == Red::LogSum) return static_cast<float>(std::log(acc));
    else return static_cast<float>(acc);
}

// Over n contiguous values: 8 independent lanes, which the compiler vectorises (one running
// accumulator is a chain of dependent adds it may not reorder).
template <Red R>
double accumulateRun(const float* p, int64_t n) {
    double lane[8];
    std::fill(lane, lane + 8, identity<R>());
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) lane[j] = combine<R>(lane[j], term<R>(p[i + j]));
    for (; i < n; ++i) lane[0] = combine<R>(lane[0], term<R>(p[i]));
    double acc = identity<R>();
    for (double l : lane) acc = combine<R>(acc, l);
    return acc;
}

// sum(exp(p[i] - m)) over n contiguous values.
double expSumRun(const float* p, int64_t n, float m) {
    double lane[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) lane[j] += std::exp(p[i + j] - m);
    for (; i < n; ++i) lane[0] += std::exp(p[i] - m);
    double acc = 0.0;
    for (double l : lane) acc += l;
    return acc;
}

// ---- Max / Min: float, NaN wins ------------------------------------------------------------

template <bool IsMax>
inline float pick(float acc, float v) {
    return (IsMax ? v > acc : v < acc) || std::isnan(v) ? v : acc;
}
template <bool IsMax>
constexpr float extremeIdentity() {
    return IsMax ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
}
template <bool IsMax>
float extremeRun(const float* p, int64_t n, float acc) {
    float lane[16];
    std::fill(lane, lane + 16, acc);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) lane[j] = pick<IsMax>(lane[j], p[i + j]);
    for (; i < n; ++i) lane[0] = pick<IsMax>(lane[0], p[i]);
    for (float l : lane) acc = pick<IsMax>(acc, l);
    return acc;
}

// LogSumExp from the maximum m and sum(exp(x - m)); an infinite or NaN maximum is the result
// (all -inf: log(0) = -inf; a +inf or NaN dominates).
inline float logSumExp(float m, double s) { return std::isfinite(m) ? static_cast<float>(m + std::log(s)) : m; }

template <Red R>
class ReduceKernel final : public Kernel {
public:
    explicit ReduceKernel(graph::ReduceNest nest) : nest_(std::move(nest)), inner_(nest_.inner()), count_(nest_.reduced()) {}
    const char* algo() const override { return inner_ == 1 ? "reduce-rows" : "reduce-columns"; }
    size_t workspaceBytes(int threads) const override {
        if (inner_ == 1) return 0;
        return static_cast<size_t>(std::max(threads, 1)) * slotFloats() * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t outputsCount = nest_.outputs();
        if (outputsCount == 0) return;
        const bool serial = outputsCount * std::max<int64_t>(count_, 1) < 32 * 1024;
        if (inner_ == 1) {
            auto range = [&](int64_t o0, int64_t o1, int) {
                for (int64_t o = o0; o < o1; ++o) y[o] = reduceRuns(x + graph::nestOffset(o, nest_.keptDims, nest_.keptStrides, nest_.keptDims.size()));
            };
            if (serial) range(0, outputsCount, 0);
            else ctx.pool.parallelFor(outputsCount, std::max<int64_t>(1, 16 * 1024 / std::max<int64_t>(count_, 1)), range);
            return;
        }
        // Columns: tasks are (block of the outer kept axes, chunk of the inner run).
        const int64_t blocks = outputsCount / inner_, chunks = (inner_ + kChunk - 1) / kChunk;
        auto task = [&](int64_t t, int th) {
            const int64_t o = t / chunks, j0 = (t % chunks) * kChunk, j1 = std::min(inner_, j0 + kChunk);
            const float* xb = x + graph::nestOffset(o, nest_.keptDims, nest_.keptStrides, nest_.keptDims.size() - 1) + j0;
            reduceColumns(xb, y + o * inner_ + j0, j1 - j0, ctx.workspace + static_cast<size_t>(th) * slotFloats());
        };
        if (serial) {
            for (int64_t t = 0; t < blocks * chunks; ++t) task(t, 0);
        } else {
            ctx.pool.parallelFor(blocks * chunks, 1, [&](int64_t t0, int64_t t1, int th) {
                for (int64_t t = t0; t < t1; ++t) task(t, th);
            });
        }
    }

private:
    static constexpr int64_t kChunk = 1024;  // inner values per task: their accumulators stay in L1
    // Per-thread accumulators of a chunk: n floats (maxima) then n doubles (sums).
    size_t chunkLen() const { return static_cast<size_t>(std::min(inner_, kChunk)); }
    size_t slotFloats() const { return threadStride(alignFloats(chunkLen()) + alignFloats(2 * chunkLen())); }  // a thread stride

    // Offset of reduced row r (the innermost reduced axis excluded: it is the run / the row index).
    int64_t rowOffset(int64_t r, size_t axes) const { return graph::nestOffset(r, nest_.redDims, nest_.redStrides, axes); }

    // One output over contiguous runs (the innermost reduced axis has stride 1).
    float reduceRuns(const float* xb) const {
        const size_t outerAxes = nest_.redDims.size() - 1;
        const int64_t len = nest_.redDims.back(), runs = count_ / std::max<int64_t>(len, 1);
        if constexpr (isExtreme(R) || R == Red::LogSumExp) {
            constexpr bool isMax = R != Red::Min;
            float m = extremeIdentity<isMax>();
            for (int64_t r = 0; r < runs && len > 0; ++r) m = extremeRun<isMax>(xb + rowOffset(r, outerAxes), len, m);
            if constexpr (R != Red::LogSumExp) {
                return m;
            } else {
                if (!std::isfinite(m)) return m;
                double s = 0.0;
                for (int64_t r = 0; r < runs; ++r) s += expSumRun(xb + rowOffset(r, outerAxes), len, m);
                return logSumExp(m, s);
            }
        } else {
            double acc = identity<R>();
            for (int64_t r = 0; r < runs && len > 0; ++r) acc = combine<R>(acc, accumulateRun<R>(xb + rowOffset(r, outerAxes), len));
            return finish<R>(acc, count_);
        }
    }

    // n neighbouring outputs: every reduced row of x adds its n values to n accumulators.
    void reduceColumns(const float* xb, float* y, int64_t n, float* scratch) const {
        const size_t axes = nest_.redDims.size();
        if constexpr (isExtreme(R) || R == Red::LogSumExp) {
            constexpr bool isMax = R != Red::Min;
            float* m = scratch;
            std::fill(m, m + n, extremeIdentity<isMax>());
            for (int64_t r = 0; r < count_; ++r) {
                const float* p = xb + rowOffset(r, axes);
                for (int64_t j = 0; j < n; ++j) m[j] = pick<isMax>(m[j], p[j]);
            }
            if constexpr (R != Red::LogSumExp) {
                std::copy(m, m + n, y);
            } else {
                double* s = reinterpret_cast<double*>(scratch + alignFloats(chunkLen()));
                std::fill(s, s + n, 0.0);
                for (int64_t r = 0; r < count_; ++r) {
                    const float* p = xb + rowOffset(r, axes);
                    for (int64_t j = 0; j < n; ++j) s[j] += std::exp(p[j] - m[j]);
                }
                for (int64_t j = 0; j < n; ++j) y[j] = logSumExp(m[j], s[j]);
            }
        } else {
            double* acc = reinterpret_cast<double*>(scratch);
            std::fill(acc, acc + n, identity<R>());
            for (int64_t r = 0; r < count_; ++r) {
                const float* p = xb + rowOffset(r, axes);
                for (int64_t j = 0; j < n; ++j) acc[j] = combine<R>(acc[j], term<R>(p[j]));
            }
            for (int64_t j = 0; j < n; ++j) y[j] = finish<R>(acc[j], count_);
        }
    }

    graph::ReduceNest nest_;
    int64_t inner_, count_;
};

template <Red R>
std::unique_ptr<Kernel> make(graph::ReduceNest nest) {
    return std::make_unique<ReduceKernel<R>>(std::move(nest));
}

}  // namespace

std::unique_ptr<Kernel> makeReduce(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    graph::ReduceNest nest = graph::planReduce(inShape(g, n, 0), n.attrInts("axes"));
    switch (n.op) {
        case OpKind::ReduceSum: return make<Red::Sum>(std::move(nest));
        case OpKind::ReduceMean: return make<Red::Mean>(std::move(nest));
        case OpKind::ReduceMax:
        case OpKind::GlobalMaxPool: return make<Red::Max>(std::move(nest));
        case OpKind::ReduceMin: return make<Red::Min>(std::move(nest));
        case OpKind::ReduceProd: return make<Red::Prod>(std::move(nest));
        case OpKind::ReduceL1: return make<Red::L1>(std::move(nest));
        case OpKind::ReduceL2: return make<Red::L2>(std::move(nest));
        case OpKind::ReduceSumSquare: return make<Red::SumSquare>(std::move(nest));
        case OpKind::ReduceLogSum: return make<Red::LogSum>(std::move(nest));
        case OpKind::ReduceLogSumExp: return make<Red::LogSumExp>(std::move(nest));
        default: fail(n, "is not a reduction");
    }
}

}  // namespace percept::cpu
