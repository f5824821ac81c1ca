// SPDX-License-Identifier: Apache-2.0
// A constant per-channel scale after a Linear layer folded into its weights
// (graph::foldChannelScaleIntoLinear): ConvNeXt's block end, MatMul -> Add(bias) ->
// Transpose(0,3,1,2) -> Mul(gamma [C,1,1]), and its variants (no Transpose, no bias, the scale
// first, a scalar scale), against a reference computed from the unfolded ops in double; the Mul
// must be gone. And the graphs the fold must leave alone (a scale along another axis, a Linear
// output read twice), which still compute right. On every backend.
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

struct ScaleCase {
    std::string name;
    Shape a;                 // [N, H, W, K] (or [rows, K])
    int64_t N;               // the Linear layer's columns
    bool bias = true;        // Add(MatMul, b)
    bool transpose = true;   // Transpose(0, 3, 1, 2) before the Mul
    Shape scale;             // the Mul's constant
    bool scaleFirst = false; // Mul(scale, t)
    bool folds = true;
    bool readTwice = false;  // the Linear output is a graph output too
    Shape biasShape = {};    // default {N}
};

class ScaleFoldTest : public OpTest {
protected:
    void check(const ScaleCase& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const int64_t K = c.a.back();
        const Shape bs = c.biasShape.empty() ? Shape{c.N} : c.biasShape;
        const Tensor a = randomTensor(c.a, seed), w = randomTensor({K, c.N}, seed + 1, -0.5f, 0.5f), b = randomTensor(bs, seed + 2),
                     scale = randomTensor(c.scale, seed + 3, 0.5f, 1.5f);
        OpGraph g;
        const int mm = g.value("mm");
        g.node("MatMul", {g.input("a", c.a), g.constant("w", w)}, {mm}, "matmul");
        int u = mm;
        if (c.bias) {
            u = c.readTwice ? g.output("u") : g.value("u");
            g.node("Add", {mm, g.constant("b", b)}, {u}, "add");
        }
        int t = u;
        if (c.transpose) {
            t = g.value("t");
            setInts(g.node("Transpose", {u}, {t}, "transpose"), "perm", {0, 3, 1, 2});
        }
        const int sc = g.constant("scale", scale);
        g.node("Mul", c.scaleFirst ? std::vector<int>{sc, t} : std::vector<int>{t, sc}, {g.output("y")}, "mul");

        // The reference: the ops as written, in double (the bias broadcast as Add does).
        Shape ms = c.a;
        ms.back() = c.N;
        Tensor mt(ms);
        const int64_t rows = elementCount(c.a) / K;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < c.N; ++j) {
                double s = 0.0;
                for (int64_t k = 0; k < K; ++k) s += static_cast<double>(a.data[r * K + k]) * w.data[k * c.N + j];
                mt.data[r * c.N + j] = static_cast<float>(s);
            }
        const Tensor ut = c.bias ? ref::binary(mt, b, [](float x, float y) { return x + y; }) : mt;
        const Tensor tt = c.transpose ? ref::transpose(ut, {0, 3, 1, 2}) : ut;
        const Tensor want = ref::binary(tt, scale, [](float x, float y) { return x * y; });

        Stats stats;
        const auto got = run(g, {a}, &stats);
        EXPECT_TRUE(allClose(got.back(), want, tol()));
        bool hasMul = false;
        for (const auto& l : stats.layers) hasMul = hasMul || l.op.rfind("Mul", 0) == 0;
        EXPECT_EQ(hasMul, !c.folds);
    }
};

TEST_P(ScaleFoldTest, Folds) {
    uint32_t seed = 15000;
    check({"ConvNeXt block end: [1,7,7,96] x [96,24] + b, Transpose, x [24,1,1]", {1, 7, 7, 96}, 24, true, true, {24, 1, 1}}, seed += 10);
    check({"batch 2, scale [1,24,1,1] first", {2, 5, 3, 40}, 24, true, true, {1, 24, 1, 1}, true}, seed += 10);
    check({"no bias", {1, 4, 6, 33}, 17, false, true, {17, 1, 1}}, seed += 10);
    check({"no Transpose: rows x [N]", {1, 4, 6, 33}, 17, true, false, {17}}, seed += 10);
    check({"scalar scale", {1, 3, 3, 8}, 12, true, true, {1}}, seed += 10);
    check({"scalar bias [1], per-column scale", {1, 3, 3, 8}, 12, true, true, {12, 1, 1}, false, true, false, {1}}, seed += 10);
    check({"bias [1,1,1,N] widening [4,6,N] rows", {4, 6, 33}, 17, true, false, {17}, false, true, false, {1, 1, 1, 17}}, seed += 10);
}

TEST_P(ScaleFoldTest, LeavesAlone) {
    uint32_t seed = 15100;
    check({"scale along the rows, not the channels", {1, 4, 6, 33}, 17, true, true, {4, 1}, false, false}, seed += 10);
    check({"scale varying along two axes", {1, 4, 6, 33}, 17, true, true, {17, 4, 1}, false, false}, seed += 10);
    check({"the Linear output read twice", {1, 4, 6, 33}, 17, true, true, {17, 1, 1}, false, false, true}, seed += 10);
}

PERCEPT_OP_TEST_SUITE(ScaleFoldTest);

}  // namespace
}  // namespace percept::optest
