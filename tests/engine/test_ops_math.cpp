// Add/Sub/Mul/Div with broadcasting, the standalone activations, Softmax, LRN and
// BatchNormalization against the naive references (Gemm and MatMul: test_ops_matmul.cpp).
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// ---- Binary elementwise ------------------------------------------------------------------

class EltwiseTest : public OpTest {};

TEST_P(EltwiseTest, Broadcasting) {
    struct Case {
        Shape a, b;
    };
    const std::vector<Case> cases = {
        {{1, 13, 7, 7}, {1, 13, 7, 7}},      // same shape
        {{1, 13, 7, 7}, {}},                 // scalar
        {{1, 13, 7, 7}, {1}},                // one-element
        {{1}, {2, 3, 5}},                    // scalar on the left
        {{1, 13, 7, 7}, {13, 1, 1}},         // per-channel
        {{2, 5, 3, 3}, {1, 5, 1, 1}},        // per-channel, batch 2
        {{13, 1, 1}, {1, 13, 6, 5}},         // per-channel on the left
        {{2, 3, 7}, {7}},                    // last axis
        {{3, 1}, {1, 4}},                    // outer product
        {{2, 1, 5}, {3, 1}},                 // both broadcast, rank mismatch
        {{4, 1, 3, 1}, {1, 5, 1, 2}},        // alternating
        {{2, 3, 4, 5}, {3, 1, 5}},
        {{1, 64, 48, 48}, {1, 64, 48, 48}},  // large same shape: split across threads
        {{1, 64, 56, 56}, {64, 1, 1}},       // large per-channel
        {{1, 100000}, {}},                   // one long row, scalar
    };
    const std::vector<std::string> ops = {"Add", "Sub", "Mul", "Div"};
    uint32_t seed = 7000;
    for (const std::string& op : ops) {
        for (const auto& c : cases) {
            for (int constB = 0; constB < 2; ++constB) {
                if (c.b.empty() && !constB) continue;  // graph inputs cannot be rank-0
                SCOPED_TRACE(op + " " + shapeToString(c.a) + " . " + shapeToString(c.b) + (constB ? " (B constant)" : " (B input)"));
                const Tensor a = randomTensor(c.a, ++seed);
                // Divisors kept away from zero.
                const Tensor b = op == "Div" ? randomTensor(c.b, ++seed, 0.5f, 2.0f) : randomTensor(c.b, ++seed);
                OpGraph g;
                const int ia = g.input("a", c.a);
                const int ib = constB ? g.constant("b", b) : g.input("b", c.b);
                g.node(op, {ia, ib}, {g.output("y")});
                std::vector<Tensor> feeds = {a};
                if (!constB) feeds.push_back(b);
                Tensor want;
                if (op == "Add") want = ref::binary(a, b, [](float x, float y) { return x + y; });
                if (op == "Sub") want = ref::binary(a, b, [](float x, float y) { return x - y; });
                if (op == "Mul") want = ref::binary(a, b, [](float x, float y) { return x * y; });
                if (op == "Div") want = ref::binary(a, b, [](float x, float y) { return x / y; });
                EXPECT_TRUE(allClose(run1(g, feeds), want, tol()));
            }
        }
    }
}

TEST_P(EltwiseTest, AddWithFusedActivation) {
    // The residual Add of ResNet/MobileNetV2, followed by Relu or Clip: fused into the Add.
    const Shape s = {1, 24, 10, 9};
    const Tensor a = randomTensor(s, 7501), b = randomTensor(s, 7502), c = randomTensor({24, 1, 1}, 7503);
    for (Activation act : {Activation::Relu, Activation::Clip, Activation::LeakyRelu}) {
        SCOPED_TRACE(graph::activationName(act));
        OpGraph g;
        const int y = g.value("y");
        g.node("Add", {g.input("a", s), g.input("b", s)}, {y});
        addActivation(g, act, y, act == Activation::Clip ? -0.5f : 0.1f, 0.5f);
        Stats stats;
        const Tensor got = run1(g, {a, b}, &stats);
        ASSERT_EQ(stats.layers.size(), 1u);
        EXPECT_EQ(stats.layers[0].op, std::string("Add+") + graph::activationName(act));
        EXPECT_TRUE(allClose(got, ref::actAll(ref::binary(a, b, [](float x, float y) { return x + y; }), act,
                                              act == Activation::Clip ? -0.5f : 0.1f, 0.5f),
                             tol()));
        // And with a per-channel operand.
        OpGraph g2;
        const int y2 = g2.value("y");
        g2.node("Add", {g2.input("a", s), g2.constant("c", c)}, {y2});
        addActivation(g2, act, y2, act == Activation::Clip ? -0.5f : 0.1f, 0.5f);
        EXPECT_TRUE(allClose(run1(g2, {a}), ref::actAll(ref::binary(a, c, [](float x, float y) { return x + y; }), act,
                                                       act == Activation::Clip ? -0.5f : 0.1f, 0.5f),
                             tol()));
    }
}

PERCEPT_OP_TEST_SUITE(EltwiseTest);

// ---- Standalone activations --------------------------------------------------------------

class ActivationTest : public OpTest {
protected:
    // x -> op -> y, with the op's attributes/inputs set by `setup`.
    template <class Setup>
    Tensor runAct(const std::string& op, const Tensor& x, int64_t opset, Setup setup) {
        OpGraph g(opset);
        const int in = g.input("x", x.shape);
        setup(g, g.node(op, {in}, {g.output("y")}));
        return run1(g, {x});
    }
};

TEST_P(ActivationTest, ReluLeakySigmoid) {
    for (const Shape& s : {Shape{1, 13, 5, 7}, Shape{1, 64, 40, 40}, Shape{7}}) {
        SCOPED_TRACE(shapeToString(s));
        const Tensor x = randomTensor(s, 8000, -3.0f, 3.0f);
        auto none = [](OpGraph&, graph::Node&) {};
        EXPECT_TRUE(allClose(runAct("Relu", x, 13, none), ref::actAll(x, Activation::Relu), tol()));
        EXPECT_TRUE(allClose(runAct("Sigmoid", x, 13, none), ref::actAll(x, Activation::Sigmoid), tol()));
        EXPECT_TRUE(allClose(runAct("LeakyRelu", x, 13, none), ref::actAll(x, Activation::LeakyRelu, 0.01f), tol()));
        EXPECT_TRUE(allClose(runAct("LeakyRelu", x, 13, [](OpGraph&, graph::Node& n) { setFloat(n, "alpha", 0.3f); }),
                             ref::actAll(x, Activation::LeakyRelu, 0.3f), tol()));
    }
}

TEST_P(ActivationTest, ClipOpset10Attributes) {
    const Tensor x = randomTensor({1, 5, 6, 7}, 8100, -3.0f, 3.0f);
    EXPECT_TRUE(allClose(runAct("Clip", x, 10, [](OpGraph&, graph::Node& n) { setFloat(n, "min", 0.0f); setFloat(n, "max", 6.0f); }),
                         ref::actAll(x, Activation::Clip, 0.0f, 6.0f), tol()));
    EXPECT_TRUE(allClose(runAct("Clip", x, 10, [](OpGraph&, graph::Node& n) { setFloat(n, "max", 0.5f); }),
                         ref::actAll(x, Activation::Clip, -1e30f, 0.5f), tol()));
    EXPECT_TRUE(allClose(runAct("Clip", x, 6, [](OpGraph&, graph::Node& n) { setFloat(n, "min", -0.25f); }),
                         ref::actAll(x, Activation::Clip, -0.25f, 1e30f), tol()));
}

TEST_P(ActivationTest, ClipOpset13Inputs) {
    const Tensor x = randomTensor({1, 5, 6, 7}, 8200, -3.0f, 3.0f);
    // Both bounds.
    EXPECT_TRUE(allClose(runAct("Clip", x, 13,
                                [](OpGraph& g, graph::Node& n) {
                                    n.inputs.push_back(g.constant("min", Tensor({}, {-1.0f})));
                                    n.inputs.push_back(g.constant("max", Tensor({}, {1.5f})));
                                }),
                         ref::actAll(x, Activation::Clip, -1.0f, 1.5f), tol()));
    // Max only (min absent: index -1).
    EXPECT_TRUE(allClose(runAct("Clip", x, 13,
                                [](OpGraph& g, graph::Node& n) {
                                    n.inputs.push_back(-1);
                                    n.inputs.push_back(g.constant("max", Tensor({}, {0.5f})));
                                }),
                         ref::actAll(x, Activation::Clip, -1e30f, 0.5f), tol()));
    // Min only.
    EXPECT_TRUE(allClose(runAct("Clip", x, 11, [](OpGraph& g, graph::Node& n) { n.inputs.push_back(g.constant("min", Tensor({}, {0.0f}))); }),
                         ref::actAll(x, Activation::Clip, 0.0f, 1e30f), tol()));
    // Neither: the identity.
    EXPECT_TRUE(allClose(runAct("Clip", x, 13, [](OpGraph&, graph::Node&) {}), x, tol()));
}

PERCEPT_OP_TEST_SUITE(ActivationTest);

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
