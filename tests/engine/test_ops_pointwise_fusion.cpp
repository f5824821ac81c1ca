// SPDX-License-Identifier: Apache-2.0
// Pointwise fusions (graph/fusion_pointwise.cpp, graph/fusion.cpp): the SiLU, HardSwish and
// GELU patterns exporters write become one function (the optimised graph's ops checked), and
// every unary function fused into each kernel path of its producer (1x1, Winograd F4/F2,
// im2col and depthwise convolutions, Gemm, MatMul, Add) computes what the unfused ops do, on
// every backend: the references below evaluate the original ops in double.
#include <gtest/gtest.h>

#include <functional>

#include "pointwise_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// A producer whose output `y` the test's pointwise tail reads: the graph, its feeds and the
// producer's output computed by a naive reference.
struct Producer {
    std::string name;
    std::string op;    // the optimised node's op before '+'
    std::string algo;  // the CPU kernel it takes with SIMD (the path whose epilogue applies the function)
    std::function<int(OpGraph&, std::vector<Tensor>& feeds, Tensor& ref)> build;  // returns the value
};

Producer conv(std::string name, std::string algo, Shape x, int64_t M, int64_t group, int64_t stride, int64_t k, uint32_t seed) {
    return {name, "Conv", algo, [=](OpGraph& g, std::vector<Tensor>& feeds, Tensor& want) {
                const Tensor xs = randomTensor(x, seed), w = randomTensor({M, x[1] / group, k, k}, seed + 1, -0.25f, 0.25f),
                             b = randomTensor({M}, seed + 2);
                const int y = g.value("conv");
                graph::Node& n = g.node("Conv", {g.input("x", x), g.constant("w", w), g.constant("b", b)}, {y});
                ref::ConvParams p;
                p.group = group;
                p.strides = {stride, stride};
                const int64_t pad = k / 2;
                p.pads = {pad, pad, pad, pad};
                setInts(n, "pads", p.pads);
                setInts(n, "strides", p.strides);
                setInt(n, "group", group);
                feeds.push_back(xs);
                want = ref::conv2d(xs, w, b.data.data(), p);
                return y;
            }};
}

std::vector<Producer> producers() {
    return {
        conv("conv 1x1", "1x1-gemm/", {1, 24, 9, 11}, 20, 1, 1, 1, 100),
        conv("conv 3x3 (Winograd F4)", "winograd/", {1, 17, 27, 25}, 19, 1, 1, 3, 110),  // 49 4x4 tiles: F4 on 2 threads too
        conv("conv 3x3 7x7 (Winograd F2)", "winograd2x2/", {1, 33, 7, 7}, 40, 1, 1, 3, 120),
        conv("conv 3x3 s2 (im2col)", "im2col-gemm/", {1, 5, 9, 13}, 7, 1, 2, 3, 130),
        conv("depthwise s1", "depthwise/", {1, 6, 11, 19}, 6, 6, 1, 3, 140),
        conv("depthwise s2", "depthwise/", {1, 4, 17, 33}, 4, 4, 2, 3, 150),
        {"Gemm", "Gemm", "", [](OpGraph& g, std::vector<Tensor>& feeds, Tensor& want) {
             const Tensor a = randomTensor({3, 40}, 160), b = randomTensor({37, 40}, 161, -0.3f, 0.3f), c = randomTensor({37}, 162);
             const int y = g.value("gemm");
             setInt(g.node("Gemm", {g.input("a", a.shape), g.constant("b", b), g.constant("c", c)}, {y}), "transB", 1);
             feeds.push_back(a);
             want = ref::gemm(a, b, &c, false, true, 1.0f, 1.0f);
             return y;
         }},
        {"MatMul", "MatMul", "", [](OpGraph& g, std::vector<Tensor>& feeds, Tensor& want) {
             const Tensor a = randomTensor({2, 5, 33}, 170), b = randomTensor({33, 19}, 171, -0.3f, 0.3f);
             const int y = g.value("matmul");
             g.node("MatMul", {g.input("a", a.shape), g.constant("b", b)}, {y});
             feeds.push_back(a);
             want = ref::matmul(a, b);
             return y;
         }},
        {"Add", "Add", "", [](OpGraph& g, std::vector<Tensor>& feeds, Tensor& want) {
             const Tensor a = randomTensor({1, 13, 7, 9}, 180, -2, 2), c = randomTensor({13, 1, 1}, 181);
             const int y = g.value("add");
             g.node("Add", {g.input("a", a.shape), g.constant("c", c)}, {y});
             feeds.push_back(a);
             want = ref::binary(a, c, [](float x, float z) { return x + z; });
             return y;
         }},
    };
}

// The continuous functions defined on every real (the fused output of a producer may be any
// value): the discontinuous ones (Ceil, Sign ...) would differ wherever two summation orders
// straddle a step.
struct Fused {
    std::string op;
    Activation kind;
    float p0 = 0.0f, p1 = 0.0f;
    std::function<void(graph::Node&)> attrs = nullptr;
};
const std::vector<Fused>& fusedKinds() {
    static const std::vector<Fused> kinds = {
        {"Relu", Activation::Relu},        {"Sigmoid", Activation::Sigmoid},
        {"LeakyRelu", Activation::LeakyRelu, 0.01f},
        {"HardSigmoid", Activation::HardSigmoid, 0.3f, 0.4f, [](graph::Node& n) { setFloat(n, "alpha", 0.3f); setFloat(n, "beta", 0.4f); }},
        {"HardSwish", Activation::HardSwish}, {"Tanh", Activation::Tanh}, {"Erf", Activation::Erf}, {"Gelu", Activation::Gelu},
        {"Gelu", Activation::GeluTanh, 0, 0, [](graph::Node& n) { setString(n, "approximate", "tanh"); }},
        {"Elu", Activation::Elu, 1.0f},
        {"Selu", Activation::Selu, 1.67326319217681884765625f, 1.05070102214813232421875f},
        {"Celu", Activation::Celu, 1.0f},  {"Softplus", Activation::Softplus}, {"Softsign", Activation::Softsign},
        {"Mish", Activation::Mish},        {"Shrink", Activation::Shrink, 0.0f, 0.5f},
        {"Exp", Activation::Exp},          {"Neg", Activation::Neg}, {"Abs", Activation::Abs}, {"Sin", Activation::Sin},
        {"Cos", Activation::Cos},          {"Atan", Activation::Atan}, {"Sinh", Activation::Sinh}, {"Cosh", Activation::Cosh},
        {"Asinh", Activation::Asinh},
    };
    return kinds;
}

class PointwiseFusionTest : public OpTest {
protected:
    // Runs the graph; checks the optimised graph is one node with the op `display`, and on a
    // CPU with SIMD that it took the kernel `algo` (a prefix; empty: any).
    Tensor runFused(OpGraph& g, const std::vector<Tensor>& feeds, const std::string& display, const std::string& algo = "") {
        Stats stats;
        const Tensor y = run1(g, feeds, &stats);
        EXPECT_EQ(stats.layers.size(), 1u);
        if (!stats.layers.empty()) {
            EXPECT_EQ(stats.layers[0].op, display);
            if (backend() == Backend::Cpu && testIsa() != cpu::Isa::Generic) {
                EXPECT_EQ(stats.layers[0].algo.rfind(algo, 0), 0u) << stats.layers[0].algo;
            }
        }
        return y;
    }
};

TEST_P(PointwiseFusionTest, EveryFunctionIntoEveryProducerPath) {
    for (const Producer& p : producers()) {
        for (const Fused& f : fusedKinds()) {
            SCOPED_TRACE(p.name + " + " + f.op + " " + graph::activationName(f.kind));
            OpGraph g(20);
            std::vector<Tensor> feeds;
            Tensor want;
            const int y = p.build(g, feeds, want);
            graph::Node& n = g.node(f.op, {y}, {g.output("y")});
            if (f.attrs) f.attrs(n);
            EXPECT_TRUE(allClose(runFused(g, feeds, p.op + "+" + graph::activationName(f.kind), p.algo), ref::actAll(want, f.kind, f.p0, f.p1),
                                 tol()));
        }
    }
}

// x * sigmoid(x) in both operand orders, after a producer and on a graph input; not fused when
// the sigmoid has a second reader.
TEST_P(PointwiseFusionTest, SiluPattern) {
    for (const Producer& p : producers()) {
        for (int swap = 0; swap < 2; ++swap) {
            SCOPED_TRACE(p.name + (swap ? " Mul(s, x)" : " Mul(x, s)"));
            OpGraph g;
            std::vector<Tensor> feeds;
            Tensor want;
            const int x = p.build(g, feeds, want);
            const int s = g.value("s");
            g.node("Sigmoid", {x}, {s});
            g.node("Mul", swap ? std::vector<int>{s, x} : std::vector<int>{x, s}, {g.output("y")});
            EXPECT_TRUE(allClose(runFused(g, feeds, p.op + "+Silu", p.algo), ref::actAll(want, Activation::Silu), tol()));
        }
    }
    const Tensor x = randomTensor({1, 8, 13, 11}, 200, -8, 8);
    OpGraph g;
    const int in = g.input("x", x.shape), s = g.value("s");
    g.node("Sigmoid", {in}, {s});
    g.node("Mul", {s, in}, {g.output("y")});
    EXPECT_TRUE(allClose(runFused(g, {x}, "Identity+Silu"), ref::actAll(x, Activation::Silu), tol()));
    // The sigmoid also an output: both ops stay.
    OpGraph g2;
    const int in2 = g2.input("x", x.shape), s2 = g2.output("s");
    g2.node("Sigmoid", {in2}, {s2});
    g2.node("Mul", {in2, s2}, {g2.output("y")});
    Stats stats;
    const auto out = run(g2, {x}, &stats);
    EXPECT_EQ(stats.layers.size(), 2u);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(allClose(out[1], ref::actAll(x, Activation::Silu), tol()));
}

// x * HardSigmoid(x) with alpha 1/6, beta 1/2 (torch's hardswish before opset 14); other
// parameters are not HardSwish and stay two ops.
TEST_P(PointwiseFusionTest, HardSwishPattern) {
    const Producer p = producers()[0];
    for (float alpha : {1.0f / 6.0f, 0.2f}) {
        SCOPED_TRACE(alpha);
        OpGraph g(13);
        std::vector<Tensor> feeds;
        Tensor want;
        const int x = p.build(g, feeds, want);
        const int h = g.value("h");
        graph::Node& hs = g.node("HardSigmoid", {x}, {h});
        setFloat(hs, "alpha", alpha);
        setFloat(hs, "beta", 0.5f);
        g.node("Mul", {x, h}, {g.output("y")});
        Stats stats;
        const Tensor got = run1(g, feeds, &stats);
        Tensor ref = want;
        for (float& v : ref.data) v = static_cast<float>(v * std::max(0.0, std::min(1.0, alpha * static_cast<double>(v) + 0.5)));
        EXPECT_TRUE(allClose(got, ref, tol()));
        if (alpha == 0.2f) {
            EXPECT_EQ(stats.layers.size(), 3u);  // Conv (x has two readers), HardSigmoid, Mul
        } else {
            ASSERT_EQ(stats.layers.size(), 1u);
            EXPECT_EQ(stats.layers[0].op, "Conv+HardSwish");
        }
    }
}

// torch's GELU before opset 20 in its three multiplication orders, the 1/sqrt 2 as a Div or a
// Mul, constants on either side.
TEST_P(PointwiseFusionTest, GeluPattern) {
    const Producer p = producers()[7];  // MatMul
    for (int form = 0; form < 3; ++form) {
        for (int scaleByMul = 0; scaleByMul < 2; ++scaleByMul) {
            SCOPED_TRACE("form " + std::to_string(form) + (scaleByMul ? " Mul(x, 1/sqrt2)" : " Div(x, sqrt2)"));
            OpGraph g(13);
            std::vector<Tensor> feeds;
            Tensor want;
            const int x = p.build(g, feeds, want);
            auto c = [&](const std::string& name, float v) { return g.constant(name, Tensor({}, {v})); };
            const int d = g.value("d"), e = g.value("e"), a = g.value("a"), m = g.value("m"), y = g.output("y");
            if (scaleByMul) g.node("Mul", {c("rs2", 0.70710677f), x}, {d});
            else g.node("Div", {x, c("s2", 1.4142135381698608f)}, {d});
            g.node("Erf", {d}, {e});
            g.node("Add", {c("one", 1.0f), e}, {a});
            if (form == 0) {  // (x * (1 + erf)) * 0.5
                g.node("Mul", {x, a}, {m});
                g.node("Mul", {m, c("half", 0.5f)}, {y});
            } else if (form == 1) {  // x * (0.5 * (1 + erf))
                g.node("Mul", {c("half", 0.5f), a}, {m});
                g.node("Mul", {m, x}, {y});
            } else {  // (x * 0.5) * (1 + erf)
                g.node("Mul", {x, c("half", 0.5f)}, {m});
                g.node("Mul", {a, m}, {y});
            }
            EXPECT_TRUE(allClose(runFused(g, feeds, "MatMul+Gelu"), ref::actAll(want, Activation::Gelu), tol()));
        }
    }
    // On a graph input: a standalone Gelu.
    const Tensor x = randomTensor({2, 3, 17}, 210, -4, 4);
    OpGraph g(13);
    const int in = g.input("x", x.shape);
    const int d = g.value("d"), e = g.value("e"), a = g.value("a"), m = g.value("m");
    g.node("Div", {in, g.constant("s2", Tensor({}, {1.4142135f}))}, {d});
    g.node("Erf", {d}, {e});
    g.node("Add", {e, g.constant("one", Tensor({}, {1.0f}))}, {a});
    g.node("Mul", {in, a}, {m});
    g.node("Mul", {m, g.constant("half", Tensor({}, {0.5f}))}, {g.output("y")});
    EXPECT_TRUE(allClose(runFused(g, {x}, "Gelu"), ref::actAll(x, Activation::Gelu), tol()));
}

// Not a GELU: a constant off by more than rounding, and an intermediate read twice.
TEST_P(PointwiseFusionTest, GeluLookalikesStayApart) {
    const Tensor x = randomTensor({2, 3, 17}, 220, -4, 4);
    for (int variant = 0; variant < 2; ++variant) {
        SCOPED_TRACE(variant);
        OpGraph g(13);
        const int in = g.input("x", x.shape);
        const int d = g.value("d"), e = g.value("e"), a = g.value("a"), m = g.value("m");
        const float s = variant == 0 ? 1.5f : 1.4142135f;
        g.node("Div", {in, g.constant("s2", Tensor({}, {s}))}, {d});
        g.node("Erf", {d}, {e});
        g.node("Add", {e, g.constant("one", Tensor({}, {1.0f}))}, {a});
        g.node("Mul", {in, a}, {m});
        std::vector<int> outs = {g.output("y")};
        g.node("Mul", {m, g.constant("half", Tensor({}, {0.5f}))}, {outs[0]});
        if (variant == 1) {  // the erf's output also leaves the graph
            const int e2 = g.output("e2");
            g.node("Relu", {e}, {e2});
        }
        Stats stats;
        const auto out = run(g, {x}, &stats);
        EXPECT_GT(stats.layers.size(), 2u);
        Tensor want = x;
        for (float& v : want.data) v = static_cast<float>(0.5 * v * (1.0 + std::erf(v / static_cast<double>(s))));
        EXPECT_TRUE(allClose(out[0], want, tol()));
    }
}

PERCEPT_OP_TEST_SUITE(PointwiseFusionTest);

}  // namespace
}  // namespace percept::optest
