// SPDX-License-Identifier: Apache-2.0
#include "cpu/squeeze_excite.h"

#include <algorithm>

#include "cpu/op_util.h"

namespace percept::cpu {

float planeSum(const float* x, int64_t n) {
    float acc[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += x[i + j];
    for (; i < n; ++i) acc[i & 15] += x[i];
    float s = 0.0f;
    for (float a : acc) s += a;
    return s;
}

SqueezeExciteGate::SqueezeExciteGate(const graph::Graph& g, const graph::SqueezeExcite& se, const KernelConfig& cfg) {
    const graph::Node& pool = g.nodes.at(se.pool);
    const graph::Node& reduce = g.nodes.at(se.reduce);
    const graph::Node& expand = g.nodes.at(se.expand);
    const Shape& x = inShape(g, pool, 0);
    N_ = x[0], C_ = x[1], plane_ = product(x, 2, x.size()), Cr_ = inShape(g, reduce, 1)[0];
    H_ = x.size() > 2 ? x[2] : 1, W_ = product(x, 3, x.size());
    auto biasOf = [&](const graph::Node& n, int64_t count) {
        std::vector<float> b = constInput(g, n, 2, "bias");
        if (b.empty()) b.assign(static_cast<size_t>(count), 0.0f);
        return b;
    };
    w1_ = gemvRows(constInput(g, reduce, 1, "weights").data(), false, Cr_, C_);
    b1_ = biasOf(reduce, Cr_);
    w2_ = gemvRows(constInput(g, expand, 1, "weights").data(), false, C_, Cr_);
    b2_ = biasOf(expand, C_);
    act1_ = reduce.act, act2_ = expand.act;
    dot_ = cfg.simd.dotRows;
}

size_t SqueezeExciteGate::sumsOffset() const {
    return threadStride(alignFloats(static_cast<size_t>(N_ * C_)) + alignFloats(static_cast<size_t>(N_ * (C_ + Cr_))));
}

size_t SqueezeExciteGate::workspaceFloats(int threads) const {
    return sumsOffset() + static_cast<size_t>(std::max(threads, 1)) * threadStride(static_cast<size_t>(N_ * C_));
}

int64_t SqueezeExciteGate::planeGrain() const { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_)); }

const float* SqueezeExciteGate::compute(ThreadPool& pool, const float* x, float* workspace) const {
    float* gate = workspace;                                                 // [N][C]
    float* means = gate + alignFloats(static_cast<size_t>(N_ * C_));        // [N][C]
    float* hidden = means + N_ * C_;                                         // [N][Cr]
    float* sums = gate + sumsOffset();  // [threads][N][C], each thread's row on pages of its own
    const size_t perThread = threadStride(static_cast<size_t>(N_ * C_));
    const int T = pool.size();
    std::fill(sums, sums + static_cast<size_t>(T) * perThread, 0.0f);
    // Each thread's share of every plane it touches, summed into its own row of `sums`.
    forEachShare(pool, [&](int64_t p, int64_t i0, int64_t i1, int th) {
        sums[static_cast<size_t>(th) * perThread + static_cast<size_t>(p)] += planeSum(x + p * plane_ + i0, i1 - i0);
    });
    const float inv = 1.0f / static_cast<float>(std::max<int64_t>(plane_, 1));
    for (int64_t p = 0; p < N_ * C_; ++p) {
        float s = 0.0f;
        for (int t = 0; t < T; ++t) s += sums[static_cast<size_t>(t) * perThread + static_cast<size_t>(p)];
        means[p] = s * inv;
    }
    for (int64_t n = 0; n < N_; ++n) {
        matVec(pool, w1_.data(), b1_.data(), means + n * C_, C_, Cr_, act1_, hidden + n * Cr_);
        matVec(pool, w2_.data(), b2_.data(), hidden + n * Cr_, Cr_, C_, act2_, gate + n * C_);
    }
    return gate;
}

// out = act(W in + b) for W [rows x K] (the rows split over the pool when there are enough: a
// late stage's 1152 x 288 weights are 1.3 MiB).
void SqueezeExciteGate::matVec(ThreadPool& pool, const float* w, const float* b, const float* in, int64_t K, int64_t rows,
                               const graph::FusedActivation& act, float* out) const {
    if (dot_) {
        parallelDotRows(pool, dot_, w, K, in, K, rows, out);
    } else {
        for (int64_t r = 0; r < rows; ++r) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; ++k) acc += w[r * K + k] * in[k];
            out[r] = acc;
        }
    }
    for (int64_t r = 0; r < rows; ++r) out[r] += b[r];
    if (act.any()) activate(act, out, out, rows);
}

namespace {

// y[n][c] = x[n][c] * gate[n][c], then the Mul's activation.
class SqueezeExciteKernel final : public Kernel {
public:
    SqueezeExciteKernel(SqueezeExciteGate gate, graph::FusedActivation actOut) : gate_(std::move(gate)), actOut_(actOut) {}
    const char* algo() const override { return gate_.simd() ? "squeeze-excite/simd" : "squeeze-excite"; }
    size_t workspaceBytes(int threads) const override { return gate_.workspaceFloats(threads) * sizeof(float); }
    size_t weightBytes() const override { return gate_.weightBytes(); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const float* gate = gate_.compute(ctx.pool, x, ctx.workspace);  // [N][C]
        const int64_t plane = gate_.plane();
        // Split as compute() split the means.
        gate_.forEachShare(ctx.pool, [&](int64_t p, int64_t i0, int64_t i1, int) {
            const float s = gate[p];
            const float* xp = x + p * plane;
            float* yp = y + p * plane;
            for (int64_t i = i0; i < i1; ++i) yp[i] = xp[i] * s;
            if (actOut_.any()) activate(actOut_, yp + i0, yp + i0, i1 - i0);
        });
    }

private:
    SqueezeExciteGate gate_;
    graph::FusedActivation actOut_;
};

}  // namespace

std::unique_ptr<Kernel> makeSqueezeExcite(const graph::Graph& g, const graph::SqueezeExcite& se, const KernelConfig& cfg) {
    if (!cfg.tuning.squeezeExcite) return nullptr;
    return std::make_unique<SqueezeExciteKernel>(SqueezeExciteGate(g, se, cfg), g.nodes.at(se.mul).act);
}

}  // namespace percept::cpu
