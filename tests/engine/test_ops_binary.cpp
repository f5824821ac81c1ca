// SPDX-License-Identifier: Apache-2.0
// The pointwise ops of two or more inputs against naive references written from ONNX's
// definitions (double where it matters): Add/Sub/Mul/Div/Pow/Mod with every broadcasting form,
// PRelu, the variadic Sum/Mean/Min/Max, comparisons (float, integer and boolean operands),
// And/Or/Xor, Where; integer constants, special values, fp16 storage on Vulkan, and what the
// schema refuses.
#include <gtest/gtest.h>

#include <functional>

#include "pointwise_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// y = f(x0, x1, ...) with numpy broadcasting, in double.
Tensor nary(const std::vector<Tensor>& xs, const std::function<double(const std::vector<double>&)>& f) {
    Shape s = xs[0].shape;
    for (size_t k = 1; k < xs.size(); ++k) s = broadcastShape(s, xs[k].shape);
    Tensor y(s);
    std::vector<double> v(xs.size());
    for (int64_t i = 0; i < elementCount(s); ++i) {
        const auto idx = unravel(i, s);
        for (size_t k = 0; k < xs.size(); ++k) v[k] = xs[k].data[broadcastIndex(idx, xs[k].shape)];
        y.data[i] = static_cast<float>(f(v));
    }
    return y;
}

double flag(bool c) { return c ? 1.0 : 0.0; }

// ---- Two inputs, every broadcasting form ---------------------------------------------------

class EltwiseTest : public OpTest {};

TEST_P(EltwiseTest, Broadcasting) {
    const std::vector<std::pair<Shape, Shape>> cases = {
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
    struct Op {
        std::string name;
        std::function<double(double, double)> f;
        float lo = -1.0f, hi = 1.0f, blo = -1.0f, bhi = 1.0f;  // operand ranges
    };
    const std::vector<Op> ops = {
        {"Add", [](double x, double y) { return x + y; }},
        {"Sub", [](double x, double y) { return x - y; }},
        {"Mul", [](double x, double y) { return x * y; }},
        {"Div", [](double x, double y) { return x / y; }, -1, 1, 0.5f, 2},  // divisors kept away from zero
        {"Pow", [](double x, double y) { return std::pow(x, y); }, 0.1f, 3, -2, 2},
        {"Mod", [](double x, double y) { return std::fmod(x, y); }, -10, 10, 0.5f, 3},
        {"Max", [](double x, double y) { return std::max(x, y); }},
        {"Mean", [](double x, double y) { return (x + y) / 2; }},
    };
    uint32_t seed = 7000;
    for (const Op& op : ops) {
        for (const auto& [sa, sb] : cases) {
            for (int constB = 0; constB < 2; ++constB) {
                if (sb.empty() && !constB) continue;  // graph inputs cannot be rank-0
                SCOPED_TRACE(op.name + " " + shapeToString(sa) + " . " + shapeToString(sb) + (constB ? " (B constant)" : " (B input)"));
                const Tensor a = randomTensor(sa, ++seed, op.lo, op.hi), b = randomTensor(sb, ++seed, op.blo, op.bhi);
                OpGraph g;
                const int ia = g.input("a", sa);
                const int ib = constB ? g.constant("b", b) : g.input("b", sb);
                graph::Node& n = g.node(op.name, {ia, ib}, {g.output("y")});
                if (op.name == "Mod") setInt(n, "fmod", 1);
                std::vector<Tensor> feeds = {a};
                if (!constB) feeds.push_back(b);
                EXPECT_TRUE(allClose(run1(g, feeds), nary({a, b}, [&](const auto& v) { return op.f(v[0], v[1]); }), tol()));
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
        const float p0 = act == Activation::Clip ? -0.5f : 0.1f;
        OpGraph g;
        const int y = g.value("y");
        g.node("Add", {g.input("a", s), g.input("b", s)}, {y});
        addActivation(g, act, y, p0, 0.5f);
        Stats stats;
        const Tensor got = run1(g, {a, b}, &stats);
        ASSERT_EQ(stats.layers.size(), 1u);
        EXPECT_EQ(stats.layers[0].op, std::string("Add+") + graph::activationName(act));
        EXPECT_TRUE(allClose(got, ref::actAll(ref::binary(a, b, [](float x, float y) { return x + y; }), act, p0, 0.5f), tol()));
        // And with a per-channel operand.
        OpGraph g2;
        const int y2 = g2.value("y");
        g2.node("Add", {g2.input("a", s), g2.constant("c", c)}, {y2});
        addActivation(g2, act, y2, p0, 0.5f);
        EXPECT_TRUE(allClose(run1(g2, {a}), ref::actAll(ref::binary(a, c, [](float x, float y) { return x + y; }), act, p0, 0.5f), tol()));
    }
}

TEST_P(EltwiseTest, PowSpecialValuesAndIntegerExponents) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    // Base x exponent pairs at the edges of pow: zero bases, negative bases with integer and
    // fractional exponents, 1 and -1 with infinite exponents, NaN.
    const Tensor a({14}, {0.0f, 0.0f, -0.0f, -2.0f, -2.0f, -8.0f, 1.0f, -1.0f, 0.5f, 2.0f, nan, 1.0f, 3.0f, -3.0f});
    const Tensor b({14}, {0.0f, -1.0f, -3.0f, 3.0f, -2.0f, 1.0f / 3, nan, inf, inf, -inf, 0.0f, 5.0f, 2.0f, 2.0f});
    OpGraph g;
    g.node("Pow", {g.input("a", a.shape), g.input("b", b.shape)}, {g.output("y")});
    const Tensor want = nary({a, b}, [](const auto& v) { return std::pow(v[0], v[1]); });
    EXPECT_TRUE(closeEach(runBits(g, {a, b}, backend(), threads())[0], want, 1e-5, 1e-6));
    // Integer exponents as Int64 constants: the scalar 2 (x * x) and a vector.
    const Tensor x = randomTensor({2, 3, 4}, 7600, -3.0f, 3.0f);
    for (const auto& [shape, vals] : {std::pair<Shape, std::vector<int64_t>>{{}, {2}}, {{4}, {3, -1, 0, 2}}}) {
        OpGraph gi;
        gi.node("Pow", {gi.input("x", x.shape), intConstant(gi, "e", shape, vals)}, {gi.output("y")});
        std::vector<float> e(vals.begin(), vals.end());
        EXPECT_TRUE(closeEach(run1(gi, {x}), nary({x, Tensor(shape, e)}, [](const auto& v) { return std::pow(v[0], v[1]); }), 1e-5, 1e-6));
    }
}

TEST_P(EltwiseTest, ModSpecialValues) {
    const float inf = std::numeric_limits<float>::infinity();
    const Tensor a({8}, {5.5f, -5.5f, 5.5f, -5.5f, 3.0f, inf, 7.0f, -0.0f});
    const Tensor b({8}, {2.0f, 2.0f, -2.0f, -2.0f, 0.0f, 2.0f, inf, 3.0f});
    OpGraph g;
    setInt(g.node("Mod", {g.input("a", a.shape), g.input("b", b.shape)}, {g.output("y")}), "fmod", 1);
    EXPECT_TRUE(closeEach(runBits(g, {a, b}, backend(), threads())[0], nary({a, b}, [](const auto& v) { return std::fmod(v[0], v[1]); }),
                          0.0, 0.0));
}

TEST_P(EltwiseTest, PRelu) {
    const Shape x = {1, 13, 5, 7};
    uint32_t seed = 7700;
    for (const Shape& s : {Shape{13, 1, 1}, Shape{1}, Shape{7}, Shape{5, 7}, Shape{1, 13, 5, 7}, Shape{}}) {
        for (int constSlope = 0; constSlope < 2; ++constSlope) {
            if (s.empty() && !constSlope) continue;
            SCOPED_TRACE(shapeToString(s) + (constSlope ? " constant" : " input"));
            const Tensor a = randomTensor(x, ++seed), slope = randomTensor(s, ++seed);
            OpGraph g;
            g.node("PRelu", {g.input("x", x), constSlope ? g.constant("slope", slope) : g.input("slope", s)}, {g.output("y")});
            std::vector<Tensor> feeds = {a};
            if (!constSlope) feeds.push_back(slope);
            EXPECT_TRUE(allClose(run1(g, feeds), nary({a, slope}, [](const auto& v) { return v[0] < 0 ? v[0] * v[1] : v[0]; }), tol()));
        }
    }
}

PERCEPT_OP_TEST_SUITE(EltwiseTest);

// ---- Sum, Mean, Min, Max of 1 to 4 inputs -----------------------------------------------------

class VariadicTest : public OpTest {};

TEST_P(VariadicTest, BroadcastChains) {
    const std::vector<std::vector<Shape>> cases = {
        {{2, 3, 4}},                              // one input: the input itself
        {{2, 3, 4}, {4}},
        {{1, 3, 1}, {2, 1, 4}, {3, 4}},           // the first two broadcast to less than the output
        {{5}, {2, 1, 5}, {1}, {2, 3, 5}},
        {{1, 32, 40, 40}, {32, 1, 1}, {1, 32, 40, 40}},  // large: split across threads
    };
    const std::vector<std::pair<std::string, std::function<double(const std::vector<double>&)>>> ops = {
        {"Sum", [](const auto& v) { double s = 0; for (double x : v) s += x; return s; }},
        {"Mean", [](const auto& v) { double s = 0; for (double x : v) s += x; return s / static_cast<double>(v.size()); }},
        {"Min", [](const auto& v) { return *std::min_element(v.begin(), v.end()); }},
        {"Max", [](const auto& v) { return *std::max_element(v.begin(), v.end()); }},
    };
    uint32_t seed = 7800;
    for (const auto& [op, f] : ops) {
        for (const auto& shapes : cases) {
            SCOPED_TRACE(op + " of " + std::to_string(shapes.size()));
            OpGraph g;
            std::vector<Tensor> xs, feeds;
            std::vector<int> ins;
            for (size_t k = 0; k < shapes.size(); ++k) {
                xs.push_back(randomTensor(shapes[k], ++seed));
                // Every other operand a constant.
                if (k % 2 == 1) {
                    ins.push_back(g.constant("c" + std::to_string(k), xs.back()));
                } else {
                    ins.push_back(g.input("x" + std::to_string(k), shapes[k]));
                    feeds.push_back(xs.back());
                }
            }
            g.node(op, ins, {g.output("y")});
            EXPECT_TRUE(allClose(run1(g, feeds), nary(xs, f), tol()));
        }
    }
}

TEST_P(VariadicTest, MinMaxPropagateNaNAndKeepIntegers) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor a({4}, {1.0f, nan, 3.0f, nan}), b({4}, {nan, 2.0f, -1.0f, nan});
    for (const std::string op : {"Min", "Max"}) {
        SCOPED_TRACE(op);
        OpGraph g;
        g.node(op, {g.input("a", a.shape), g.input("b", b.shape)}, {g.output("y")});
        const Tensor want({4}, {nan, nan, op == "Min" ? -1.0f : 3.0f, nan});
        EXPECT_TRUE(closeEach(runBits(g, {a, b}, backend(), threads())[0], want, 0.0, 0.0));
        // Integers computed at run time (Where of Int64 constants) against an Int64 constant;
        // the result compared to a third integer, so the output is a boolean.
        const Tensor x = randomTensor({2, 5}, 7900);
        OpGraph gi;
        const int in = gi.input("x", x.shape);
        const int ints = gi.value("ints"), m = gi.value("m"), eq = gi.value("eq");
        gi.node("Where", {boolFrom(gi, in), intConstant(gi, "p", {5}, {10, -20, 30, 16777215, 0}), intConstant(gi, "q", {}, {-7})}, {ints});
        gi.node(op, {ints, intConstant(gi, "k", {5}, {5, 5, 40, 0, -7})}, {m});
        gi.node("Equal", {m, intConstant(gi, "r", {}, {op == "Min" ? -7 : 5})}, {eq});
        boolOutput(gi, eq);
        const std::vector<int64_t> p = {10, -20, 30, 16777215, 0}, k = {5, 5, 40, 0, -7};
        Tensor wi(x.shape);
        for (int64_t i = 0; i < 10; ++i) {
            const int64_t v = x.data[i] > 0 ? p[i % 5] : -7;
            const int64_t r = op == "Min" ? std::min(v, k[i % 5]) : std::max(v, k[i % 5]);
            wi.data[i] = r == (op == "Min" ? -7 : 5) ? 1.0f : 0.0f;
        }
        EXPECT_TRUE(closeEach(run1(gi, {x}), wi, 0.0, 0.0));
    }
}

PERCEPT_OP_TEST_SUITE(VariadicTest);

// ---- Comparisons, logic, Where -----------------------------------------------------------------

class SelectTest : public OpTest {};

TEST_P(SelectTest, ComparisonsOfFloats) {
    const std::vector<std::pair<std::string, std::function<bool(double, double)>>> ops = {
        {"Equal", [](double x, double y) { return x == y; }},
        {"Less", [](double x, double y) { return x < y; }},
        {"LessOrEqual", [](double x, double y) { return x <= y; }},
        {"Greater", [](double x, double y) { return x > y; }},
        {"GreaterOrEqual", [](double x, double y) { return x >= y; }},
    };
    const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{3, 1}, {1, 5}}, {{1, 8, 9, 9}, {}}};
    uint32_t seed = 8000;
    for (const auto& [op, f] : ops) {
        for (const auto& [sa, sb] : shapes) {
            SCOPED_TRACE(op + " " + shapeToString(sa) + " . " + shapeToString(sb));
            // Quarters in [-1, 1]: many ties, so Equal and the *OrEqual forms matter.
            Tensor a = randomTensor(sa, ++seed), b = randomTensor(sb, ++seed);
            for (float& v : a.data) v = std::round(v * 4) / 4;
            for (float& v : b.data) v = std::round(v * 4) / 4;
            OpGraph g;
            const int c = g.value("c");
            g.node(op, {g.input("a", sa), g.constant("b", b)}, {c});
            boolOutput(g, c);
            EXPECT_TRUE(closeEach(run1(g, {a}), nary({a, b}, [&](const auto& v) { return flag(f(v[0], v[1])); }), 0.0, 0.0));
        }
    }
}

TEST_P(SelectTest, ComparisonsOfIntegersAndBooleans) {
    const Tensor x = randomTensor({3, 4}, 8100), z = randomTensor({4}, 8101);
    // Integers computed at run time against an Int64 constant.
    for (const std::string op : {"Equal", "Less", "GreaterOrEqual"}) {
        SCOPED_TRACE(op);
        OpGraph g;
        const int in = g.input("x", x.shape);
        const int ints = g.value("ints"), c = g.value("c");
        g.node("Where", {boolFrom(g, in), intConstant(g, "p", {4}, {1, 2, 3, 4}), intConstant(g, "q", {}, {3})}, {ints});
        g.node(op, {ints, intConstant(g, "k", {3, 1}, {1, 3, 4})}, {c});
        boolOutput(g, c);
        Tensor want(x.shape);
        for (int64_t i = 0; i < 12; ++i) {
            const int64_t v = x.data[i] > 0 ? i % 4 + 1 : 3, k = std::vector<int64_t>{1, 3, 4}[i / 4];
            want.data[i] = static_cast<float>(flag(op == "Equal" ? v == k : op == "Less" ? v < k : v >= k));
        }
        EXPECT_TRUE(closeEach(run1(g, {x}), want, 0.0, 0.0));
    }
    // Booleans: Equal(x > 0, z > 0), broadcast.
    OpGraph g;
    const int c = g.value("c");
    g.node("Equal", {boolFrom(g, g.input("x", x.shape)), boolFrom(g, g.input("z", z.shape))}, {c});
    boolOutput(g, c);
    EXPECT_TRUE(closeEach(run(g, {x, z})[0], nary({x, z}, [](const auto& v) { return flag((v[0] > 0) == (v[1] > 0)); }), 0.0, 0.0));
}

TEST_P(SelectTest, Logic) {
    const std::vector<std::pair<std::string, std::function<bool(bool, bool)>>> ops = {
        {"And", [](bool p, bool q) { return p && q; }},
        {"Or", [](bool p, bool q) { return p || q; }},
        {"Xor", [](bool p, bool q) { return p != q; }},
    };
    uint32_t seed = 8200;
    for (const auto& [op, f] : ops) {
        for (const auto& [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {3, 1}}, {{1, 5}, {4, 1}}}) {
            SCOPED_TRACE(op + " " + shapeToString(sa) + " . " + shapeToString(sb));
            const Tensor a = randomTensor(sa, ++seed), b = randomTensor(sb, ++seed);
            OpGraph g;
            const int c = g.value("c");
            g.node(op, {boolFrom(g, g.input("a", sa)), boolFrom(g, g.input("b", sb), 0.2f)}, {c});
            boolOutput(g, c);
            EXPECT_TRUE(closeEach(run(g, {a, b})[0], nary({a, b}, [&](const auto& v) { return flag(f(v[0] > 0, v[1] > 0.2)); }), 0.0, 0.0));
        }
    }
    // A constant boolean operand (held as integers on the host).
    const Tensor a = randomTensor({2, 3}, 8300);
    auto mask = std::make_shared<graph::TensorData>();
    mask->dtype = graph::DType::Bool;
    mask->shape = {3};
    mask->i = {1, 0, 1};
    OpGraph g;
    const int c = g.value("c");
    g.node("Xor", {boolFrom(g, g.input("a", a.shape)), g.g.addConstant("mask", mask)}, {c});
    boolOutput(g, c);
    EXPECT_TRUE(closeEach(run1(g, {a}), nary({a, Tensor({3}, {1, 0, 1})}, [](const auto& v) { return flag((v[0] > 0) != (v[1] != 0)); }),
                          0.0, 0.0));
}

TEST_P(SelectTest, Where) {
    const std::vector<std::array<Shape, 3>> cases = {
        {Shape{2, 3, 4}, Shape{2, 3, 4}, Shape{2, 3, 4}},
        {Shape{3, 1}, Shape{1, 4}, Shape{2, 1, 1}},      // each operand broadcast differently
        {Shape{4}, Shape{2, 3, 4}, Shape{}},              // scalar otherwise-value
        {Shape{1, 32, 48, 48}, Shape{32, 1, 1}, Shape{1, 32, 48, 48}},  // large
    };
    uint32_t seed = 8400;
    for (const auto& s : cases) {
        SCOPED_TRACE(shapeToString(s[0]) + " " + shapeToString(s[1]) + " " + shapeToString(s[2]));
        const Tensor c = randomTensor(s[0], ++seed), x = randomTensor(s[1], ++seed), z = randomTensor(s[2], ++seed);
        OpGraph g;
        g.node("Where", {boolFrom(g, g.input("c", s[0])), g.input("x", s[1]), g.constant("z", z)}, {g.output("y")});
        EXPECT_TRUE(closeEach(run(g, {c, x})[0], nary({c, x, z}, [](const auto& v) { return v[0] > 0 ? v[1] : v[2]; }), 0.0, 0.0));
    }
}

TEST_P(SelectTest, Fp16Storage) {
    if (backend() != Backend::Vulkan || threads() != 1) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    const Tensor a = randomTensor({1, 16, 9, 7}, 8500), b = randomTensor({16, 1, 1}, 8501, 0.5f, 2.0f);
    for (const std::string op : {"Add", "Max", "Pow", "Div", "PRelu"}) {
        SCOPED_TRACE(op);
        OpGraph g;
        g.node(op, {g.input("a", a.shape), g.constant("b", b)}, {g.output("y")});
        const Tensor want = nary({a, b}, [&](const auto& v) {
            return op == "Add" ? v[0] + v[1] : op == "Max" ? std::max(v[0], v[1]) : op == "Pow" ? std::pow(std::fabs(v[0]), v[1])
                 : op == "Div" ? v[0] / v[1] : (v[0] < 0 ? v[0] * v[1] : v[0]);
        });
        if (op == "Pow") {  // a positive base
            OpGraph gp;
            const int abs = gp.value("abs");
            gp.node("Abs", {gp.input("a", a.shape)}, {abs});
            gp.node("Pow", {abs, gp.constant("b", b)}, {gp.output("y")});
            EXPECT_TRUE(closeEach(runVulkanFp16(gp, {a}), want, 4e-3, 4e-3));
            continue;
        }
        EXPECT_TRUE(closeEach(runVulkanFp16(g, {a}), want, 4e-3, 4e-3));
    }
    // Where: the graph computes booleans, which keeps the session at fp32 storage.
    OpGraph g;
    g.node("Where", {boolFrom(g, g.input("a", a.shape)), g.constant("b", b), g.constant("z", Tensor({}, {0.25f}))}, {g.output("y")});
    EXPECT_TRUE(closeEach(runVulkanFp16(g, {a}), nary({a, b}, [](const auto& v) { return v[0] > 0 ? v[1] : 0.25; }), 1e-6, 0.0));
}

TEST_P(SelectTest, RefusedForms) {
    auto load = [](OpGraph& g) { detail::modelFromGraph(g.g, "refused"); };
    auto expectRefused = [&](const std::function<void(OpGraph&)>& build) {
        OpGraph g;
        build(g);
        EXPECT_THROW(load(g), Error);
    };
    // Mod of floats without fmod=1.
    expectRefused([](OpGraph& g) { g.node("Mod", {g.input("a", {4}), g.input("b", {4})}, {g.output("y")}); });
    // A slope that does not broadcast to X; a per-channel slope before opset 7 (undefined layout).
    expectRefused([](OpGraph& g) { g.node("PRelu", {g.input("x", {1, 13, 5, 7}), g.input("s", {13})}, {g.output("y")}); });
    {
        OpGraph g(6);
        g.node("PRelu", {g.input("x", {1, 13, 5, 7}), g.constant("s", randomTensor({13, 1, 1}, 1))}, {g.output("y")});
        EXPECT_THROW(load(g), Error);
    }
    // Where with a float condition; comparisons of a float with an integer tensor.
    expectRefused([](OpGraph& g) { g.node("Where", {g.input("c", {4}), g.input("x", {4}), g.input("z", {4})}, {g.output("y")}); });
    expectRefused([](OpGraph& g) {
        const int c = g.value("c");
        g.node("Less", {g.input("x", {4}), intConstant(g, "k", {4}, {1, 2, 3, 4})}, {c});
        boolOutput(g, c);
    });
    // And of floats; Sum of integers computed at run time; an integer constant past 2^24 in Max.
    expectRefused([](OpGraph& g) {
        const int c = g.value("c");
        g.node("And", {g.input("a", {4}), g.input("b", {4})}, {c});
        boolOutput(g, c);
    });
    for (const std::string op : {"Sum", "Max"}) {
        expectRefused([&](OpGraph& g) {
            const int ints = g.value("ints"), s = g.value("s"), c = g.value("c");
            g.node("Where", {boolFrom(g, g.input("x", {4})), intConstant(g, "p", {}, {1}), intConstant(g, "q", {}, {2})}, {ints});
            g.node(op, {ints, intConstant(g, "k", {}, {op == "Max" ? int64_t{1} << 30 : 1})}, {s});
            g.node("Equal", {s, intConstant(g, "r", {}, {2})}, {c});
            boolOutput(g, c);
        });
    }
}

PERCEPT_OP_TEST_SUITE(SelectTest);

// Shape arithmetic with the pointwise ops (torch's dynamic-shape exports): folded at load
// time, so Reshape gets a constant shape and the graph runs as one copy.
TEST(PointwiseFolding, ShapeArithmetic) {
    const Tensor x = randomTensor({2, 3, 4}, 8600);
    OpGraph g;
    const int in = g.input("x", x.shape);
    auto v = [&](const std::string& name) { return g.value(name); };
    auto ints = [&](const std::string& name, std::vector<int64_t> vals) { return intConstant(g, name, {3}, vals); };
    const int s = v("s"), neg = v("neg"), abs = v("abs"), mod = v("mod"), sign = v("sign"), less = v("less"), eq = v("eq"), both = v("both"),
              any = v("any"), one = v("one"), w = v("w"), shape = v("shape");
    g.node("Shape", {in}, {s});                                       // [2, 3, 4]
    g.node("Neg", {s}, {neg});
    g.node("Abs", {neg}, {abs});                                      // [2, 3, 4]
    setInt(g.node("Mod", {abs, ints("three", {3, 3, 3})}, {mod}), "fmod", 0);  // [2, 0, 1]
    g.node("Sign", {mod}, {sign});                                    // [1, 0, 1]
    g.node("Less", {sign, ints("ones", {1, 1, 1})}, {less});          // [F, T, F]
    g.node("Equal", {s, ints("probe", {2, 3, 9})}, {eq});             // [T, T, F]
    g.node("And", {less, eq}, {both});                                // [F, T, F]
    g.node("Xor", {both, eq}, {any});                                 // [T, F, F]
    g.node("Not", {any}, {one});                                      // [F, T, T]
    g.node("Where", {one, ints("minus", {-1, -1, -1}), s}, {w});     // [2, -1, -1]
    g.node("Max", {w, ints("floor", {1, -1, 4})}, {shape});          // [2, -1, 4]
    g.node("Reshape", {in, shape}, {g.output("y")});
    const Model m = detail::modelFromGraph(g.g, "folding");
    EXPECT_EQ(m.nodeCount(), 1u);
    ASSERT_EQ(m.outputs().size(), 1u);
    EXPECT_EQ(m.outputs()[0].shape, (Shape{2, 3, 4}));
    const auto y = Session::create(m, SessionOptions{})->run(std::vector<Tensor>{x});
    EXPECT_EQ(y[0].data, x.data);
}

}  // namespace
}  // namespace percept::optest
