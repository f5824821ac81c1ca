// Gemm, MatMul, Softmax, LRN and BatchNormalization against the naive references (the
// pointwise ops: test_ops_pointwise.cpp, test_ops_binary.cpp).
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// ---- Gemm --------------------------------------------------------------------------------

class GemmTest : public OpTest {};

TEST_P(GemmTest, Variants) {
    struct Case {
        std::string name;
        int64_t M, K, N;
        bool ta, tb;
        float alpha, beta;
        Shape c;            // empty vector + hasC=false: no C
        bool hasC;
        bool bConst = true;  // B as an initializer (weights) or as a second graph input
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {"classifier 1x1024 . 1000x1024^T + C[1000]", 1, 1024, 1000, false, true, 1.0f, 1.0f, {1000}, true},
        {"plain", 5, 7, 3, false, false, 1.0f, 1.0f, {}, false},
        {"transA", 5, 7, 3, true, false, 1.0f, 1.0f, {}, false},
        {"transA transB", 6, 4, 9, true, true, 1.0f, 1.0f, {6, 9}, true},
        {"alpha beta C[1,N]", 4, 13, 11, false, true, 0.5f, 2.0f, {1, 11}, true},
        {"C[M,1]", 4, 5, 6, false, false, 1.0f, -1.5f, {4, 1}, true},
        {"scalar C", 3, 5, 7, false, false, 2.0f, 0.25f, {}, true},
        {"beta 0 ignores C", 3, 5, 7, false, false, 1.0f, 0.0f, {3, 7}, true},
        {"B as input", 7, 9, 5, false, false, 1.0f, 1.0f, {5}, true, false},
        {"B as input, transposed", 7, 9, 5, true, true, 1.5f, 1.0f, {7, 5}, true, false},
        {"wide (splits N)", 8, 200, 300, false, true, 1.0f, 1.0f, {300}, true},
        {"tall (splits M)", 300, 64, 8, false, false, 1.0f, 1.0f, {8}, true},
        {"fused Relu", 2, 33, 47, false, true, 1.0f, 1.0f, {47}, true, true, Activation::Relu},
        {"fused Sigmoid", 2, 33, 47, false, false, 1.0f, 1.0f, {}, false, true, Activation::Sigmoid},
        // One row against B^T takes the SIMD dot kernel: K and N off the vector width and the
        // 4-row group, alpha/beta, C broadcast, B as an input, a fused activation.
        {"gemv odd 1x1283 . 1001x1283^T", 1, 1283, 1001, false, true, 0.5f, 2.0f, {1, 1001}, true, true, Activation::Relu},
        {"gemv tiny 1x3 . 5x3^T scalar C", 1, 3, 5, false, true, 1.0f, 1.0f, {}, true},
        {"gemv B as input", 1, 37, 6, false, true, 1.0f, 1.0f, {6}, true, false},
    };
    uint32_t seed = 5000;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const Tensor a = randomTensor(c.ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, ++seed);
        const Tensor b = randomTensor(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, ++seed);
        const Tensor cc = randomTensor(c.c, ++seed);
        OpGraph g;
        std::vector<int> ins = {g.input("a", a.shape)};
        ins.push_back(c.bConst ? g.constant("b", b) : g.input("b", b.shape));
        if (c.hasC) ins.push_back(g.constant("c", cc));
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        graph::Node& n = g.node("Gemm", ins, {y});
        setInt(n, "transA", c.ta);
        setInt(n, "transB", c.tb);
        setFloat(n, "alpha", c.alpha);
        setFloat(n, "beta", c.beta);
        if (c.act != Activation::None) addActivation(g, c.act, y);
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        Stats stats;
        const Tensor got = run1(g, feeds, &stats);
        const Tensor want = ref::actAll(ref::gemm(a, b, c.hasC ? &cc : nullptr, c.ta, c.tb, c.alpha, c.beta), c.act);
        EXPECT_TRUE(allClose(got, want, tol()));
        EXPECT_EQ(stats.layers.size(), 1u);
    }
}

PERCEPT_OP_TEST_SUITE(GemmTest);

// ---- MatMul ------------------------------------------------------------------------------

class MatMulTest : public OpTest {};

TEST_P(MatMulTest, Shapes) {
    struct Case {
        Shape a, b;
        bool bConst;
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {{3, 4}, {4, 5}, true},
        {{3, 4}, {4, 5}, false},
        {{2, 3, 4}, {4, 5}, true},              // stacked A, shared B: one tall GEMM
        {{2, 3, 4}, {2, 4, 5}, false},          // batched
        {{2, 1, 3, 4}, {3, 4, 6}, false},       // batch broadcast both ways -> [2,3,3,6]
        {{1, 3, 4}, {5, 4, 2}, false},          // A broadcast over B's batch
        {{8, 5, 6}, {8, 6, 7}, false},          // batches >= threads
        {{4}, {4, 5}, true},                    // 1-D A -> [5]
        {{2, 3, 4}, {4}, true},                 // 1-D B -> [2,3]
        {{4}, {2, 4, 3}, false},                // 1-D A against a batch -> [2,3]
        {{1, 64}, {64, 130}, true, Activation::Relu},
        {{37, 50}, {50, 3}, true, Activation::Clip},
    };
    uint32_t seed = 6000;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.a) + " x " + shapeToString(c.b));
        const Tensor a = randomTensor(c.a, ++seed), b = randomTensor(c.b, ++seed);
        OpGraph g;
        const int in = g.input("a", c.a);
        const int bi = c.bConst ? g.constant("b", b) : g.input("b", c.b);
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        g.node("MatMul", {in, bi}, {y});
        if (c.act != Activation::None) addActivation(g, c.act, y, -0.5f, 0.5f);
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        EXPECT_TRUE(allClose(run1(g, feeds), ref::actAll(ref::matmul(a, b), c.act, -0.5f, 0.5f), tol()));
    }
}

PERCEPT_OP_TEST_SUITE(MatMulTest);

// ---- Softmax -----------------------------------------------------------------------------

class SoftmaxTest : public OpTest {};

TEST_P(SoftmaxTest, Opset11And13Axes) {
    struct Case {
        Shape s;
        int64_t opset;
        bool hasAxis;
        int64_t axis;
    };
    const std::vector<Case> cases = {
        {{1, 1000}, 13, false, 0},       // classifier output, default axis -1
        {{1, 1000}, 11, false, 0},       // default axis 1
        {{2, 3, 4}, 11, false, 0},       // coerced to [2, 12]
        {{2, 3, 4}, 11, true, 0},        // coerced to [1, 24]
        {{2, 3, 4}, 11, true, -1},       // rows of 4
        {{2, 3, 4}, 13, false, 0},       // last axis
        {{2, 5, 3, 4}, 13, true, 1},     // single axis in the middle: strided
        {{2, 5, 3, 4}, 13, true, 0},     // first axis
        {{3, 7, 2}, 13, true, -2},
        {{1, 10, 64, 64}, 13, true, 1},  // large, strided, parallel
    };
    uint32_t seed = 9000;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + " opset " + std::to_string(c.opset) + " axis " + (c.hasAxis ? std::to_string(c.axis) : "default"));
        const Tensor x = randomTensor(c.s, ++seed, -8.0f, 8.0f);
        OpGraph g(c.opset);
        graph::Node& n = g.node("Softmax", {g.input("x", c.s)}, {g.output("y")});
        if (c.hasAxis) setInt(n, "axis", c.axis);
        const int64_t axis = c.hasAxis ? c.axis : (c.opset >= 13 ? -1 : 1);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::softmax(x, axis, c.opset), tol()));
    }
}

TEST_P(SoftmaxTest, LargeLogitsStayFinite) {
    Tensor x({1, 4}, {1000.0f, 1001.0f, -1000.0f, 999.0f});
    OpGraph g;
    g.node("Softmax", {g.input("x", x.shape)}, {g.output("y")});
    const Tensor y = run1(g, {x});
    EXPECT_TRUE(allClose(y, ref::softmax(x, -1, 13), tol()));
}

PERCEPT_OP_TEST_SUITE(SoftmaxTest);

// ---- LRN, BatchNormalization ---------------------------------------------------------------

class NormTest : public OpTest {};

TEST_P(NormTest, Lrn) {
    struct Case {
        Shape s;
        int64_t size;
        float alpha, beta, bias;
    };
    const std::vector<Case> cases = {
        {{1, 13, 5, 5}, 5, 1e-4f, 0.75f, 1.0f},  // AlexNet / GoogLeNet
        {{1, 7, 4, 6}, 4, 0.1f, 0.5f, 2.0f},     // even size: asymmetric window
        {{1, 5, 3, 3}, 1, 0.5f, 0.75f, 1.0f},
        {{2, 3, 4, 4}, 9, 0.2f, 0.75f, 1.5f},    // window larger than C
        {{1, 6, 7}, 3, 0.3f, 0.6f, 1.0f},        // rank 3
    };
    uint32_t seed = 9500;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + " size " + std::to_string(c.size));
        const Tensor x = randomTensor(c.s, ++seed, -2.0f, 2.0f);
        OpGraph g;
        graph::Node& n = g.node("LRN", {g.input("x", c.s)}, {g.output("y")});
        setInt(n, "size", c.size);
        setFloat(n, "alpha", c.alpha);
        setFloat(n, "beta", c.beta);
        setFloat(n, "bias", c.bias);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::lrn(x, c.size, c.alpha, c.beta, c.bias), tol()));
    }
}

TEST_P(NormTest, BatchNormalization) {
    uint32_t seed = 9700;
    for (const Shape& s : {Shape{1, 13, 5, 6}, Shape{2, 3, 4, 4}, Shape{4, 7}, Shape{1, 64, 32, 32}}) {
        SCOPED_TRACE(shapeToString(s));
        const int64_t C = s[1];
        const Tensor x = randomTensor(s, ++seed), scale = randomTensor({C}, ++seed), b = randomTensor({C}, ++seed),
                     mean = randomTensor({C}, ++seed), var = randomTensor({C}, ++seed, 0.1f, 2.0f);
        OpGraph g;
        graph::Node& n = g.node("BatchNormalization",
                                {g.input("x", s), g.constant("scale", scale), g.constant("b", b), g.constant("mean", mean), g.constant("var", var)},
                                {g.output("y")});
        setFloat(n, "epsilon", 1e-3f);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::batchNorm(x, scale, b, mean, var, 1e-3f), tol()));
    }
}

PERCEPT_OP_TEST_SUITE(NormTest);

}  // namespace
}  // namespace percept::optest
