// SPDX-License-Identifier: Apache-2.0
// Squeeze-and-excitation blocks (GlobalAveragePool -> Conv1x1 (+act) -> Conv1x1 (+gate) ->
// Mul with the pool's input) against a reference written from the ops' definitions, in double:
// both backends run them as one step (graph::squeezeExciteCandidates; cpu::makeSqueezeExcite,
// vk::buildSqueezeExcite). EfficientNet's (Silu, Sigmoid) and MobileNetV3's (Relu, HardSigmoid) forms,
// either Mul operand order, batch 2, 1-D and 3-D inputs; and the shapes of the graph the
// fusion must leave alone (an intermediate read twice, a Mul with another tensor, a grouped
// conv), which still compute right.
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

graph::FusedActivation actOf(Activation k, float alpha = 0.0f, float beta = 0.0f) {
    graph::FusedActivation a;
    a.kind = k, a.alpha = alpha, a.beta = beta;
    return a;
}

double apply(const graph::FusedActivation& a, double v) {
    switch (a.kind) {
        case Activation::None: return v;
        case Activation::Relu: return std::max(v, 0.0);
        case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-v));
        case Activation::Silu: return v / (1.0 + std::exp(-v));
        case Activation::HardSigmoid: return std::clamp(a.alpha * v + a.beta, 0.0, 1.0);
        case Activation::HardSwish: return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0);
        default: throw std::invalid_argument("apply");
    }
}

struct SeCase {
    std::string name;
    Shape x;  // N, C, spatial...
    int64_t Cr;
    graph::FusedActivation act1, gate;
    bool gateFirst = false;  // Mul(gate, x) rather than Mul(x, gate)
    int64_t group1 = 1;      // the reducing conv's group (not 1: not fused)
};

// gate[n][c] = gate(W2 act1(W1 mean(x[n]) + b1) + b2)[c].
std::vector<double> seGate(const Tensor& x, const Tensor& w1, const Tensor& b1, const Tensor& w2, const Tensor& b2, const SeCase& c) {
    const int64_t N = x.shape[0], C = x.shape[1], plane = elementCount(x.shape) / (N * C), Cr = c.Cr;
    const int64_t Cg = C / c.group1, Crg = Cr / c.group1;
    std::vector<double> gate(static_cast<size_t>(N * C));
    for (int64_t n = 0; n < N; ++n) {
        std::vector<double> mean(static_cast<size_t>(C)), hidden(static_cast<size_t>(Cr));
        for (int64_t ch = 0; ch < C; ++ch) {
            double s = 0.0;
            for (int64_t i = 0; i < plane; ++i) s += x.data[(n * C + ch) * plane + i];
            mean[ch] = s / static_cast<double>(plane);
        }
        for (int64_t r = 0; r < Cr; ++r) {
            double s = b1.data[r];
            const int64_t g = r / Crg;
            for (int64_t k = 0; k < Cg; ++k) s += static_cast<double>(w1.data[r * Cg + k]) * mean[g * Cg + k];
            hidden[r] = apply(c.act1, s);
        }
        for (int64_t ch = 0; ch < C; ++ch) {
            double s = b2.data[ch];
            for (int64_t r = 0; r < Cr; ++r) s += static_cast<double>(w2.data[ch * Cr + r]) * hidden[r];
            gate[n * C + ch] = apply(c.gate, s);
        }
    }
    return gate;
}

// t scaled per (image, channel).
Tensor scaleChannels(const Tensor& t, const std::vector<double>& gate) {
    Tensor y(t.shape);
    const int64_t plane = elementCount(t.shape) / static_cast<int64_t>(gate.size());
    for (int64_t i = 0; i < elementCount(t.shape); ++i) y.data[i] = static_cast<float>(t.data[i] * gate[i / plane]);
    return y;
}

class SqueezeExciteTest : public OpTest {
protected:
    // extra: 0 plain; 1 the gate is also a graph output; 2 the Mul multiplies another input.
    void check(const SeCase& c, uint32_t seed, int extra = 0) {
        SCOPED_TRACE(c.name);
        const size_t sp = c.x.size() - 2;
        const int64_t C = c.x[1];
        Shape w1s = {c.Cr, C / c.group1}, w2s = {C, c.Cr};
        for (size_t k = 0; k < sp; ++k) w1s.push_back(1), w2s.push_back(1);
        const Tensor x = randomTensor(c.x, seed, -2.0f, 2.0f), other = randomTensor(c.x, seed + 5, -2.0f, 2.0f);
        const Tensor w1 = randomTensor(w1s, seed + 1, -0.5f, 0.5f), b1 = randomTensor({c.Cr}, seed + 2);
        const Tensor w2 = randomTensor(w2s, seed + 3, -0.5f, 0.5f), b2 = randomTensor({C}, seed + 4);
        OpGraph g;
        const int xi = g.input("x", c.x);
        const int oi = extra == 2 ? g.input("other", c.x) : -1;
        const int s = g.value("s"), t = g.value("t"), gate = extra == 1 ? g.output("gate") : g.value("gate");
        g.node("GlobalAveragePool", {xi}, {s}, "pool");
        graph::Node& r = g.node("Conv", {s, g.constant("w1", w1), g.constant("b1", b1)}, {t}, "reduce");
        setInt(r, "group", c.group1);
        r.act = c.act1;  // as graph::fuseActivations sets it
        graph::Node& e = g.node("Conv", {t, g.constant("w2", w2), g.constant("b2", b2)}, {gate}, "expand");
        e.act = c.gate;
        const int scaled = extra == 2 ? oi : xi;
        g.node("Mul", c.gateFirst ? std::vector<int>{gate, scaled} : std::vector<int>{scaled, gate}, {g.output("y")}, "scale");
        std::vector<Tensor> feeds = {x};
        if (extra == 2) feeds.push_back(other);
        Stats stats;
        const auto got = run(g, feeds, &stats);
        ASSERT_EQ(got.size(), extra == 1 ? 2u : 1u);
        const Tensor& y = got[extra == 1 ? 1 : 0];
        // The gate comes from x; the scale applies to x, or to `other`.
        EXPECT_TRUE(allClose(y, scaleChannels(extra == 2 ? other : x, seGate(x, w1, b1, w2, b2, c)), tol()));
        // Fused on both backends (the CPU's can be switched off: PERCEPT_CPU_SE=off).
        const bool fused = extra == 0 && c.group1 == 1;
        if (backend() != Backend::Cpu || Tuning::fromEnvironment().squeezeExcite) {
            ASSERT_EQ(stats.layers.size(), 4u);
            EXPECT_EQ(stats.layers[0].op == "GlobalAveragePool+SqueezeExcite", fused) << stats.layers[0].op;
            EXPECT_EQ(stats.layers[0].algo.rfind("squeeze-excite", 0) == 0, fused) << stats.layers[0].algo;
            for (size_t k = 1; k < 4; ++k) EXPECT_EQ(stats.layers[k].algo == "in pool", fused) << stats.layers[k].algo;
        }
    }
};

TEST_P(SqueezeExciteTest, FusedBlocks) {
    const auto relu = actOf(Activation::Relu), silu = actOf(Activation::Silu), sigmoid = actOf(Activation::Sigmoid);
    const auto hardSigmoid = actOf(Activation::HardSigmoid, 1.0f / 6.0f, 0.5f);
    const std::vector<SeCase> cases = {
        {"EfficientNet-B0 stage 96 ch 14x14 squeeze 4", {1, 96, 14, 14}, 24, silu, sigmoid},
        {"MobileNetV3 72 ch 28x28, Relu + HardSigmoid", {1, 72, 28, 28}, 24, relu, hardSigmoid},
        {"Mul(gate, x), odd sizes", {1, 13, 7, 9}, 5, relu, sigmoid, true},
        {"batch 2", {2, 40, 6, 5}, 10, actOf(Activation::HardSwish), hardSigmoid},
        {"no activation in the reducing conv", {1, 16, 8, 8}, 4, actOf(Activation::None), sigmoid},
        {"1-D", {1, 24, 50}, 6, relu, sigmoid},
        {"3-D", {1, 8, 3, 4, 5}, 2, relu, sigmoid},
        {"large plane 32x56x56", {1, 32, 56, 56}, 8, silu, sigmoid},
        // Split by rows on 2 threads (op_util.h's splitsByRows), a thread's band of rows ending
        // inside the second image.
        {"batch 3 of 33x20, by rows", {3, 12, 33, 20}, 4, silu, sigmoid},
        {"EfficientNet-B0 last stage: 1152 ch 7x7 squeeze 48", {1, 1152, 7, 7}, 48, silu, sigmoid},
        {"a hidden vector longer than a workgroup: 200 ch, squeeze 130", {1, 200, 3, 3}, 130, relu, sigmoid},
    };
    uint32_t seed = 9500;
    for (const auto& c : cases) check(c, seed += 10);
}

// The block's output read only by a 1x1 conv (EfficientNet's and MobileNetV3's projections),
// with or without the residual Add after it: the CPU runs block, conv and Add as one step whose
// GEMM scales the conv's input channels by the gate (graph::squeezeExciteConvCandidates,
// cpu::makeSqueezeExciteConv) where its level has the packed GEMM; Vulkan fuses the block alone.
class SqueezeExciteConvTest : public OpTest {
protected:
    void check(const SeCase& c, int64_t M, bool withAdd, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const int64_t C = c.x[1];
        const Tensor x = randomTensor(c.x, seed, -2.0f, 2.0f);
        const Tensor w1 = randomTensor({c.Cr, C, 1, 1}, seed + 1, -0.5f, 0.5f), b1 = randomTensor({c.Cr}, seed + 2);
        const Tensor w2 = randomTensor({C, c.Cr, 1, 1}, seed + 3, -0.5f, 0.5f), b2 = randomTensor({C}, seed + 4);
        const Tensor wp = randomTensor({M, C, 1, 1}, seed + 5, -0.5f, 0.5f), bp = randomTensor({M}, seed + 6);
        const Shape ys = {c.x[0], M, c.x[2], c.x[3]};
        const Tensor skip = randomTensor(ys, seed + 7);
        OpGraph g;
        const int xi = g.input("x", c.x);
        const int si = withAdd ? g.input("skip", ys) : -1;
        const int s = g.value("s"), t = g.value("t"), gate = g.value("gate"), scaled = g.value("scaled");
        g.node("GlobalAveragePool", {xi}, {s}, "pool");
        g.node("Conv", {s, g.constant("w1", w1), g.constant("b1", b1)}, {t}, "reduce").act = c.act1;
        g.node("Conv", {t, g.constant("w2", w2), g.constant("b2", b2)}, {gate}, "expand").act = c.gate;
        g.node("Mul", {xi, gate}, {scaled}, "scale");
        const int p = withAdd ? g.value("p") : g.output("y");
        g.node("Conv", {scaled, g.constant("wp", wp), g.constant("bp", bp)}, {p}, "project");
        if (withAdd) g.node("Add", {p, si}, {g.output("y")}, "add");
        std::vector<Tensor> feeds = {x};
        if (withAdd) feeds.push_back(skip);
        Stats stats;
        const auto got = run(g, feeds, &stats);
        ASSERT_EQ(got.size(), 1u);
        Tensor want = ref::conv2d(scaleChannels(x, seGate(x, w1, b1, w2, b2, c)), wp, bp.data.data(), ref::convParams(1, {1, 1}, {0, 0, 0, 0}));
        if (withAdd)
            for (size_t i = 0; i < want.data.size(); ++i) want.data[i] += skip.data[i];
        EXPECT_TRUE(allClose(got[0], want, tol()));
        const Tuning tuning = Tuning::fromEnvironment();
        const bool oneStep = backend() == Backend::Cpu && testIsa() != cpu::Isa::Generic && tuning.squeezeExcite && tuning.squeezeExciteConv;
        if (!oneStep) return;
        ASSERT_EQ(stats.layers.size(), withAdd ? 6u : 5u);
        EXPECT_EQ(stats.layers[0].op, withAdd ? "GlobalAveragePool+SqueezeExcite+Conv+Add" : "GlobalAveragePool+SqueezeExcite+Conv");
        EXPECT_EQ(stats.layers[0].algo.rfind("squeeze-excite+1x1-gemm/", 0), 0u) << stats.layers[0].algo;
        for (size_t k = 1; k < stats.layers.size(); ++k) EXPECT_EQ(stats.layers[k].algo, "in pool");
    }
};

TEST_P(SqueezeExciteConvTest, OneStep) {
    const auto relu = actOf(Activation::Relu), silu = actOf(Activation::Silu), sigmoid = actOf(Activation::Sigmoid);
    const auto hardSigmoid = actOf(Activation::HardSigmoid, 1.0f / 6.0f, 0.5f);
    uint32_t seed = 9800;
    // Projections of EfficientNet-B0 (small M: two row panels, whose B the GEMM reads in place
    // unless it must scale it) and MobileNetV3 (7x7: ragged column strips), and batch 2.
    check({"EfficientNet-B0 112x112 32 ch -> 16", {1, 32, 112, 112}, 8, silu, sigmoid}, 16, false, seed += 10);
    check({"EfficientNet-B0 14x14 480 ch -> 80, residual", {1, 480, 14, 14}, 20, silu, sigmoid}, 80, true, seed += 10);
    check({"MobileNetV3 7x7 960 ch -> 160, residual", {1, 960, 7, 7}, 240, relu, hardSigmoid}, 160, true, seed += 10);
    check({"batch 2, odd sizes", {2, 13, 5, 9}, 5, relu, sigmoid}, 7, true, seed += 10);
}

TEST_P(SqueezeExciteTest, LeftAlone) {
    const auto relu = actOf(Activation::Relu), sigmoid = actOf(Activation::Sigmoid);
    uint32_t seed = 9700;
    check({"the gate is also a graph output", {1, 16, 6, 6}, 4, relu, sigmoid}, seed += 10, 1);
    check({"the Mul scales another tensor", {1, 16, 6, 6}, 4, relu, sigmoid}, seed += 10, 2);
    check({"grouped reducing conv", {1, 16, 6, 6}, 4, relu, sigmoid, false, 2}, seed += 10);
}

PERCEPT_OP_TEST_SUITE(SqueezeExciteTest);
PERCEPT_OP_TEST_SUITE(SqueezeExciteConvTest);

}  // namespace
}  // namespace percept::optest
