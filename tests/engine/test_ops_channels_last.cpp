// SPDX-License-Identifier: Apache-2.0
// ConvNeXt's channels-last stretches run in NCHW (graph::sinkChannelsLastTransposes):
// Transpose(0,2,3,1) -> LayerNormalization over the channels -> MatMul + bias -> activation ->
// MatMul + bias -> Transpose(0,3,1,2) -> residual Add, and LayerNorm2d (a LayerNormalization
// alone between the Transposes), against a reference computed from the ops as written, in
// double; both Transposes must be gone. The graphs the pass must leave alone (a value in the
// stretch read twice, another permutation, the LayerNorm's Mean read) still compute right and
// keep their Transposes. The one-axis LayerNormalization it leaves is also checked alone,
// against values near 1000 with a spread of 0.01. On every backend.
#include <gtest/gtest.h>

#include <cmath>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// LayerNormalization over the last axis of t ([..., C]), statistics in double.
Tensor layerNormLast(const Tensor& t, const Tensor& scale, const Tensor& bias, double eps) {
    const int64_t C = t.shape.back(), rows = elementCount(t.shape) / C;
    Tensor y(t.shape);
    for (int64_t r = 0; r < rows; ++r) {
        const float* x = t.data.data() + r * C;
        double mean = 0.0, var = 0.0;
        for (int64_t c = 0; c < C; ++c) mean += x[c];
        mean /= static_cast<double>(C);
        for (int64_t c = 0; c < C; ++c) var += (x[c] - mean) * (x[c] - mean);
        var /= static_cast<double>(C);
        for (int64_t c = 0; c < C; ++c)
            y.data[static_cast<size_t>(r * C + c)] = static_cast<float>((x[c] - mean) / std::sqrt(var + eps) * scale.data[c] + bias.data[c]);
    }
    return y;
}

Tensor addRow(const Tensor& t, const Tensor& b) {
    Tensor y = t;
    const int64_t n = elementCount(b.shape);
    for (size_t i = 0; i < y.data.size(); ++i) y.data[i] += b.data[i % static_cast<size_t>(n)];
    return y;
}

struct Block {
    std::string name;
    Shape x;                  // [N, C, H, W]
    int64_t D = 0;            // the MLP's width; 0: LayerNorm2d (no MLP)
    Activation act = Activation::Relu;
    bool residual = true;
    Shape biasShape = {};     // the second bias's shape (default {C})
    std::vector<int64_t> inPerm = {0, 2, 3, 1};
    bool readTwice = false;   // the LayerNorm's output is a graph output too
    bool sinks = true;
};

class ChannelsLastTest : public OpTest {
protected:
    void check(const Block& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const int64_t C = c.x[1];
        const Tensor x = randomTensor(c.x, seed, -2.0f, 3.0f), scale = randomTensor({C}, seed + 1, 0.5f, 1.5f), shift = randomTensor({C}, seed + 2);
        OpGraph g(17);
        const int xin = g.input("x", c.x);
        const int t = g.value("t");
        setInts(g.node("Transpose", {xin}, {t}, "to_last"), "perm", c.inPerm);
        const int u = c.readTwice ? g.output("u") : g.value("u");
        setFloat(g.node("LayerNormalization", {t, g.constant("scale", scale), g.constant("shift", shift)}, {u}, "norm"), "epsilon", 1e-6f);
        const Tensor tt = ref::transpose(x, c.inPerm);
        Tensor want = layerNormLast(tt, scale, shift, 1e-6);
        int z = u;
        if (c.D > 0) {
            const Tensor w1 = randomTensor({C, c.D}, seed + 3, -0.3f, 0.3f), b1 = randomTensor({c.D}, seed + 4);
            const Tensor w2 = randomTensor({c.D, C}, seed + 5, -0.3f, 0.3f), b2 = randomTensor(c.biasShape.empty() ? Shape{C} : c.biasShape, seed + 6);
            const int m1 = g.value("m1"), a1 = g.value("a1"), h = g.value("h"), m2 = g.value("m2"), a2 = g.value("a2");
            g.node("MatMul", {u, g.constant("w1", w1)}, {m1}, "fc1");
            g.node("Add", {m1, g.constant("b1", b1)}, {a1}, "bias1");
            g.node(graph::activationName(c.act), {a1}, {h}, "act");
            g.node("MatMul", {h, g.constant("w2", w2)}, {m2}, "fc2");
            g.node("Add", {g.constant("b2", b2), m2}, {a2}, "bias2");  // the bias first: either order
            z = a2;
            want = addRow(ref::matmul(ref::actAll(addRow(ref::matmul(want, w1), b1), c.act), w2), b2);
        }
        const int y = c.residual ? g.value("y") : g.output("y");
        setInts(g.node("Transpose", {z}, {y}, "to_first"), "perm", {0, 3, 1, 2});
        Tensor wantY = ref::transpose(want, {0, 3, 1, 2});
        if (c.residual) {
            g.node("Add", {y, xin}, {g.output("out")}, "residual");
            wantY = ref::binary(wantY, x, [](float a, float b) { return a + b; });
        }

        Stats stats;
        const auto got = run(g, {x}, &stats);
        EXPECT_TRUE(allClose(got.back(), wantY, tol()));
        if (c.readTwice) {
            EXPECT_TRUE(allClose(got.front(), layerNormLast(tt, scale, shift, 1e-6), tol()));
        }
        int transposes = 0;
        for (const auto& l : stats.layers) {
            transposes += l.op == "Transpose";
            // The one-axis form takes each backend's channel kernel (strided reads together).
            if (c.sinks && l.op == "LayerNormalization") EXPECT_EQ(l.algo, "norm-channels");
        }
        EXPECT_EQ(transposes, c.sinks ? 0 : 2);
    }
};

TEST_P(ChannelsLastTest, ConvNeXtBlocks) {
    uint32_t seed = 16000;
    check({"ConvNeXt block, 7x7 plane", {1, 24, 7, 7}, 96, Activation::Relu}, seed += 10);
    check({"ConvNeXt block, 16x20 plane, batch 2, bias [1,1,1,C]", {2, 20, 16, 20}, 80, Activation::Sigmoid, true, {1, 1, 1, 20}}, seed += 10);
    check({"ConvNeXt block on a 1x1 plane", {1, 33, 1, 1}, 64, Activation::Tanh}, seed += 10);
    check({"LayerNorm2d (a downsampling layer's)", {1, 40, 9, 11}, 0, Activation::None, false}, seed += 10);
    check({"LayerNorm2d, 19 channels, batch 3", {3, 19, 5, 6}, 0, Activation::None, false}, seed += 10);
    check({"LayerNorm2d, 96 channels on 30x30", {1, 96, 30, 30}, 0, Activation::None, false}, seed += 10);
}

TEST_P(ChannelsLastTest, LeavesAlone) {
    uint32_t seed = 16100;
    check({"another permutation", {1, 8, 6, 6}, 16, Activation::Relu, true, {}, {0, 3, 2, 1}, false, false}, seed += 10);
    check({"the LayerNorm's output read twice", {1, 8, 5, 7}, 16, Activation::Relu, true, {}, {0, 2, 3, 1}, true, false}, seed += 10);
}

// The one-axis form alone: a large offset against a small spread keeps its digits.
TEST_P(ChannelsLastTest, ChannelNormLargeOffset) {
    const Shape s = {1, 96, 6, 7};
    Tensor x = randomTensor(s, 16200, -0.01f, 0.01f);
    for (float& v : x.data) v += 1000.0f;
    const Tensor scale = randomTensor({96}, 16201, 0.5f, 1.5f), shift = randomTensor({96}, 16202);
    OpGraph g(17);
    const int t = g.value("t"), u = g.value("u");
    setInts(g.node("Transpose", {g.input("x", s)}, {t}), "perm", {0, 2, 3, 1});
    g.node("LayerNormalization", {t, g.constant("scale", scale), g.constant("shift", shift)}, {u});
    setInts(g.node("Transpose", {u}, {g.output("y")}), "perm", {0, 3, 1, 2});
    const Tensor want = ref::transpose(layerNormLast(ref::transpose(x, {0, 2, 3, 1}), scale, shift, 1e-5), {0, 3, 1, 2});
    EXPECT_TRUE(allClose(run1(g, {x}), want, tol()));
}

PERCEPT_OP_TEST_SUITE(ChannelsLastTest);

}  // namespace
}  // namespace percept::optest
