// SPDX-License-Identifier: Apache-2.0
// The unary pointwise ops (graph/activations.def: Relu ... IsInf) against the double-precision
// references of ref::act: every op with ONNX's default attributes and with each attribute set,
// random data over odd shapes (one large enough to split across threads), special values
// (zeros, halves, large magnitudes, infinities, NaN), the boolean ops through Where, fp16
// storage on Vulkan, and the attribute values the schema refuses.
#include <gtest/gtest.h>

#include <functional>

#include "cpu/op_util.h"
#include "pointwise_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// A function with its parameters, as a kernel gets it.
struct Fused : graph::FusedActivation {
    Fused(Activation k, float alpha = 0, float beta = 0, float lo = -std::numeric_limits<float>::infinity(),
          float hi = std::numeric_limits<float>::infinity()) {
        kind = k, this->alpha = alpha, this->beta = beta, min = lo, max = hi;
    }
};

struct UnaryCase {
    std::string op;
    Activation kind;
    float p0 = 0.0f, p1 = 0.0f;                 // the reference's parameters
    std::function<void(graph::Node&)> attrs;    // attributes set on the node (none: ONNX's defaults)
    float lo = -3.0f, hi = 3.0f;                // random input range
    int64_t opset = 13;
    std::string name() const { return op + (attrs ? " (attributes)" : ""); }
};

std::function<void(graph::Node&)> floats(std::vector<std::pair<std::string, float>> kv) {
    return [kv](graph::Node& n) {
        for (const auto& [k, v] : kv) setFloat(n, k, v);
    };
}

const std::vector<UnaryCase>& unaryCases() {
    static const std::vector<UnaryCase> cases = {
        {"Relu", Activation::Relu, 0, 0, nullptr},
        {"Sigmoid", Activation::Sigmoid, 0, 0, nullptr, -12, 12},
        {"LeakyRelu", Activation::LeakyRelu, 0.01f, 0, nullptr},
        {"LeakyRelu", Activation::LeakyRelu, 0.3f, 0, floats({{"alpha", 0.3f}})},
        {"HardSigmoid", Activation::HardSigmoid, 0.2f, 0.5f, nullptr},
        {"HardSigmoid", Activation::HardSigmoid, 0.3f, 0.4f, floats({{"alpha", 0.3f}, {"beta", 0.4f}})},
        {"HardSwish", Activation::HardSwish, 0, 0, nullptr, -5, 5, 14},
        {"Tanh", Activation::Tanh, 0, 0, nullptr, -6, 6},
        {"Erf", Activation::Erf, 0, 0, nullptr, -4, 4},
        {"Gelu", Activation::Gelu, 0, 0, nullptr, -5, 5, 20},
        {"Gelu", Activation::Gelu, 0, 0, [](graph::Node& n) { setString(n, "approximate", "none"); }, -5, 5, 20},
        {"Gelu", Activation::GeluTanh, 0, 0, [](graph::Node& n) { setString(n, "approximate", "tanh"); }, -5, 5, 20},
        {"Elu", Activation::Elu, 1.0f, 0, nullptr},
        {"Elu", Activation::Elu, 0.5f, 0, floats({{"alpha", 0.5f}})},
        {"Selu", Activation::Selu, 1.67326319217681884765625f, 1.05070102214813232421875f, nullptr},
        {"Selu", Activation::Selu, 1.5f, 2.0f, floats({{"alpha", 1.5f}, {"gamma", 2.0f}})},
        {"Celu", Activation::Celu, 1.0f, 0, nullptr, -3, 3, 12},
        {"Celu", Activation::Celu, 2.5f, 0, floats({{"alpha", 2.5f}}), -3, 3, 12},
        {"Celu", Activation::Celu, -0.5f, 0, floats({{"alpha", -0.5f}}), -3, 3, 12},
        {"ThresholdedRelu", Activation::ThresholdedRelu, 1.0f, 0, nullptr, -3, 3, 10},
        {"ThresholdedRelu", Activation::ThresholdedRelu, -0.5f, 0, floats({{"alpha", -0.5f}}), -3, 3, 10},
        {"Softplus", Activation::Softplus, 0, 0, nullptr, -30, 30},
        {"Softsign", Activation::Softsign, 0, 0, nullptr, -10, 10},
        {"Mish", Activation::Mish, 0, 0, nullptr, -10, 10, 18},
        {"Shrink", Activation::Shrink, 0.0f, 0.5f, nullptr, -3, 3, 9},
        {"Shrink", Activation::Shrink, 1.5f, 1.0f, floats({{"bias", 1.5f}, {"lambd", 1.0f}}), -3, 3, 9},
        {"Exp", Activation::Exp, 0, 0, nullptr, -20, 20},
        {"Log", Activation::Log, 0, 0, nullptr, 0.001f, 100},
        {"Neg", Activation::Neg, 0, 0, nullptr},
        {"Abs", Activation::Abs, 0, 0, nullptr},
        {"Sqrt", Activation::Sqrt, 0, 0, nullptr, 0, 100},
        {"Reciprocal", Activation::Reciprocal, 0, 0, nullptr, 0.1f, 10},
        {"Sin", Activation::Sin, 0, 0, nullptr, -10, 10},
        {"Cos", Activation::Cos, 0, 0, nullptr, -10, 10},
        {"Tan", Activation::Tan, 0, 0, nullptr, -1.4f, 1.4f},
        {"Asin", Activation::Asin, 0, 0, nullptr, -1, 1},
        {"Acos", Activation::Acos, 0, 0, nullptr, -1, 1},
        {"Atan", Activation::Atan, 0, 0, nullptr, -10, 10},
        {"Sinh", Activation::Sinh, 0, 0, nullptr, -5, 5},
        {"Cosh", Activation::Cosh, 0, 0, nullptr, -5, 5},
        {"Asinh", Activation::Asinh, 0, 0, nullptr, -10, 10},
        {"Acosh", Activation::Acosh, 0, 0, nullptr, 1, 10},
        {"Atanh", Activation::Atanh, 0, 0, nullptr, -0.99f, 0.99f},
        {"Ceil", Activation::Ceil, 0, 0, nullptr, -5, 5},
        {"Floor", Activation::Floor, 0, 0, nullptr, -5, 5},
        {"Round", Activation::Round, 0, 0, nullptr, -5, 5, 11},
        {"Sign", Activation::Sign, 0, 0, nullptr, -2, 2},
    };
    return cases;
}

class UnaryTest : public OpTest {
protected:
    // x -> op -> y.
    Tensor runUnary(const UnaryCase& c, const Tensor& x) {
        OpGraph g(c.opset);
        graph::Node& n = g.node(c.op, {g.input("x", x.shape)}, {g.output("y")});
        if (c.attrs) c.attrs(n);
        return runBits(g, {x}, backend(), threads())[0];
    }
    // Special values: libm on the CPU; the Vulkan device's GLSL functions are looser.
    double rtol() const { return backend() == Backend::Cpu ? 1e-5 : 1e-4; }
    double atol() const { return backend() == Backend::Cpu ? 1e-6 : 1e-5; }
};

TEST_P(UnaryTest, RandomData) {
    uint32_t seed = 20000;
    for (const UnaryCase& c : unaryCases()) {
        for (const Shape& s : {Shape{1, 13, 5, 7}, Shape{7}, Shape{1, 64, 40, 40}}) {
            SCOPED_TRACE(c.name() + " " + shapeToString(s));
            const Tensor x = randomTensor(s, ++seed, c.lo, c.hi);
            EXPECT_TRUE(allClose(runUnary(c, x), ref::actAll(x, c.kind, c.p0, c.p1), tol()));
        }
    }
}

TEST_P(UnaryTest, SpecialValues) {
    const Tensor x = specialValues();
    for (const UnaryCase& c : unaryCases()) {
        SCOPED_TRACE(c.name());
        Tensor want = ref::actAll(x, c.kind, c.p0, c.p1);
        Tensor got = runUnary(c, x);
        if (backend() != Backend::Cpu) {
            // GLSL's trigonometry is specified on [-pi, pi] only (Vulkan: absolute error 2^-11),
            // and no device reduces 1e30 exactly: magnitudes past 1000 are the CPU's to check.
            const bool periodic = c.kind == Activation::Sin || c.kind == Activation::Cos || c.kind == Activation::Tan;
            for (size_t i = 0; i < x.data.size(); ++i)
                if (periodic && std::fabs(x.data[i]) > 100.0f) got.data[i] = want.data[i];
        }
        EXPECT_TRUE(closeEach(got, want, rtol(), atol()));
    }
}

TEST_P(UnaryTest, BooleanResults) {
    // IsNaN / IsInf (every detect_* form) and Not: their boolean outputs through Where.
    const Tensor x = specialValues();
    struct Case {
        std::string op;
        int64_t pos = 1, neg = 1;
        bool setAttrs = false;
    };
    for (const Case& c : {Case{"IsNaN"}, Case{"IsInf"}, Case{"IsInf", 1, 0, true}, Case{"IsInf", 0, 1, true}, Case{"IsInf", 0, 0, true},
                          Case{"Not"}}) {
        SCOPED_TRACE(c.op + " " + std::to_string(c.pos) + std::to_string(c.neg));
        OpGraph g(20);
        const int in = g.input("x", x.shape);
        const int b = g.value("b");
        // Not takes a boolean: x > 0, computed at run time.
        graph::Node& n = g.node(c.op, {c.op == "Not" ? boolFrom(g, in) : in}, {b});
        if (c.setAttrs) {
            setInt(n, "detect_positive", c.pos);
            setInt(n, "detect_negative", c.neg);
        }
        boolOutput(g, b);
        Tensor want(x.shape);
        for (size_t i = 0; i < x.data.size(); ++i) {
            const float v = x.data[i];
            if (c.op == "IsNaN") want.data[i] = ref::act(Activation::IsNaN, v);
            else if (c.op == "IsInf") want.data[i] = ref::act(Activation::IsInf, v, static_cast<float>(c.pos), static_cast<float>(c.neg));
            else want.data[i] = ref::act(Activation::Not, v > 0.0f ? 1.0f : 0.0f);
        }
        EXPECT_TRUE(closeEach(run1(g, {x}), want, 0.0, 0.0));
    }
}

TEST_P(UnaryTest, NotOfBooleanConstant) {
    // Not of a constant boolean tensor (held as integers on the host) is folded at load time;
    // Not of a boolean computed at run time (a comparison, held as 0/1 floats) runs on the
    // backend. Both select per element in Where.
    const int64_t n = 5003;
    const Tensor x = randomTensor({2, n}, 20500), z = randomTensor({2, n}, 20501), m = randomTensor({n}, 20502);
    Tensor want(x.shape);
    {
        OpGraph g;
        auto mask = std::make_shared<graph::TensorData>();
        mask->dtype = graph::DType::Bool;
        mask->shape = {n};
        for (int64_t i = 0; i < n; ++i) mask->i.push_back(i % 3 != 1);
        const int nb = g.value("not");
        g.node("Not", {g.g.addConstant("mask", mask)}, {nb});
        g.node("Where", {nb, g.input("x", x.shape), g.input("z", z.shape)}, {g.output("y")});
        for (int64_t i = 0; i < 2 * n; ++i) want.data[i] = (i % n) % 3 == 1 ? x.data[i] : z.data[i];
        Stats stats;
        EXPECT_TRUE(closeEach(run(g, {x, z}, &stats)[0], want, 0.0, 0.0));
        EXPECT_EQ(stats.layers.size(), 1u);  // Not folded into a constant
    }
    {
        OpGraph g;
        const int gt = g.value("gt"), nb = g.value("not");
        g.node("Greater", {g.input("m", m.shape), g.constant("zero", Tensor({}, {0.0f}))}, {gt});
        g.node("Not", {gt}, {nb});
        g.node("Where", {nb, g.input("x", x.shape), g.input("z", z.shape)}, {g.output("y")});
        for (int64_t i = 0; i < 2 * n; ++i) want.data[i] = m.data[i % n] > 0.0f ? z.data[i] : x.data[i];
        Stats stats;
        EXPECT_TRUE(closeEach(run(g, {m, x, z}, &stats)[0], want, 0.0, 0.0));
        EXPECT_EQ(stats.layers.size(), 3u);  // Greater, Not and Where ran on the backend
    }
}

TEST_P(UnaryTest, ClipOpset10Attributes) {
    const Tensor x = randomTensor({1, 5, 6, 7}, 8100, -3.0f, 3.0f);
    auto clip = [&](int64_t opset, std::function<void(graph::Node&)> attrs) {
        return runUnary({"Clip", Activation::Clip, 0, 0, std::move(attrs), 0, 0, opset}, x);
    };
    EXPECT_TRUE(allClose(clip(10, floats({{"min", 0.0f}, {"max", 6.0f}})), ref::actAll(x, Activation::Clip, 0.0f, 6.0f), tol()));
    EXPECT_TRUE(allClose(clip(10, floats({{"max", 0.5f}})), ref::actAll(x, Activation::Clip, -1e30f, 0.5f), tol()));
    EXPECT_TRUE(allClose(clip(6, floats({{"min", -0.25f}})), ref::actAll(x, Activation::Clip, -0.25f, 1e30f), tol()));
}

TEST_P(UnaryTest, ClipOpset13Inputs) {
    const Tensor x = randomTensor({1, 5, 6, 7}, 8200, -3.0f, 3.0f);
    auto clip = [&](int64_t opset, float lo, float hi, bool hasLo, bool hasHi) {
        OpGraph g(opset);
        std::vector<int> ins = {g.input("x", x.shape)};
        if (hasLo || hasHi) ins.push_back(hasLo ? g.constant("min", Tensor({}, {lo})) : -1);
        if (hasHi) ins.push_back(g.constant("max", Tensor({}, {hi})));
        g.node("Clip", ins, {g.output("y")});
        return run1(g, {x});
    };
    EXPECT_TRUE(allClose(clip(13, -1.0f, 1.5f, true, true), ref::actAll(x, Activation::Clip, -1.0f, 1.5f), tol()));
    EXPECT_TRUE(allClose(clip(13, 0, 0.5f, false, true), ref::actAll(x, Activation::Clip, -1e30f, 0.5f), tol()));  // min absent
    EXPECT_TRUE(allClose(clip(11, 0.0f, 0, true, false), ref::actAll(x, Activation::Clip, 0.0f, 1e30f), tol()));  // min only
    EXPECT_TRUE(allClose(clip(13, 0, 0, false, false), x, tol()));                                                 // the identity
}

TEST_P(UnaryTest, Fp16Storage) {
    if (backend() != Backend::Vulkan || threads() != 1) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    // A few functions with tensors stored as float16: inputs and outputs rounded to 11 bits.
    for (const UnaryCase& c : unaryCases()) {
        if (c.op != "Sigmoid" && c.op != "Gelu" && c.op != "Tanh" && c.op != "HardSwish" && c.op != "Exp" && c.op != "Log") continue;
        SCOPED_TRACE(c.name());
        const Tensor x = randomTensor({1, 13, 9, 7}, 20600, c.lo / 4, c.hi / 4);
        OpGraph g(c.opset);
        graph::Node& n = g.node(c.op, {g.input("x", x.shape)}, {g.output("y")});
        if (c.attrs) c.attrs(n);
        EXPECT_TRUE(closeEach(runVulkanFp16(g, {x}), ref::actAll(x, c.kind, c.p0, c.p1), 4e-3, 4e-3));
    }
}

TEST_P(UnaryTest, RefusedForms) {
    auto load = [](OpGraph& g) { detail::modelFromGraph(g.g, "refused"); };
    {
        OpGraph g(20);
        setString(g.node("Gelu", {g.input("x", {4})}, {g.output("y")}), "approximate", "erf");
        EXPECT_THROW(load(g), Error);
    }
    {
        OpGraph g(12);
        setFloat(g.node("Celu", {g.input("x", {4})}, {g.output("y")}), "alpha", 0.0f);
        EXPECT_THROW(load(g), Error);
    }
    {
        // Not of a float tensor; Neg of an integer tensor computed at run time.
        OpGraph g;
        g.node("Not", {g.input("x", {4})}, {g.output("y")});
        EXPECT_THROW(load(g), Error);
    }
    {
        OpGraph g;
        const int in = g.input("x", {4});
        const int iw = g.value("ints");
        g.node("Where", {boolFrom(g, in), intConstant(g, "one", {}, {1}), intConstant(g, "two", {}, {2})}, {iw});
        g.node("Neg", {iw}, {g.output("y")});
        EXPECT_THROW(load(g), Error);
    }
}

PERCEPT_OP_TEST_SUITE(UnaryTest);

// The SIMD levels' vector rows (cpu::CpuKernels::activate: a polynomial exp, tanh, erf) against
// the portable scalar functions, at every level this CPU has, over a dense sweep of [-110, 110],
// subnormal-producing and special inputs, and short rows (the masked / buffered tails): within
// 1e-6 relative (a few ulp), NaN and infinities exactly. Where a sum cancels (Gelu's 1 + erf for
// negative x, HardSigmoid's alpha x + beta near 0: the vector rows fuse the multiply-add) both
// sides are only good to a few ulp of the terms, scaled by |x|.
TEST(PointwiseSimd, VectorRowsMatchTheScalarFunctions) {
    std::vector<float> x;
    for (int i = -110000; i <= 110000; ++i) x.push_back(static_cast<float>(i) * 1e-3f);
    for (float v : specialValues().data) x.push_back(v);
    for (float v : {1e-30f, -1e-30f, 1e-40f, -1e-40f, 87.3f, 88.72f, 88.73f, -87.4f, -103.9f, -104.1f}) x.push_back(v);
    const std::vector<Fused> kinds = {
        {Activation::Relu},      {Activation::Clip, 0, 0, -0.5f, 2.0f}, {Activation::LeakyRelu, 0.1f}, {Activation::Sigmoid},
        {Activation::Silu},      {Activation::HardSigmoid, 0.2f, 0.5f}, {Activation::HardSwish},       {Activation::Tanh},
        {Activation::Erf},       {Activation::Gelu},                    {Activation::GeluTanh},        {Activation::Exp},
    };
    std::vector<cpu::Isa> levels = cpu::supportedIsas();
    levels.erase(levels.begin());  // generic: cpu::activate itself
    if (levels.empty()) GTEST_SKIP() << "this CPU has no SIMD level";
    for (cpu::Isa isa : levels) {
        const cpu::ActivateFn vec = cpu::cpuKernels(isa).activate;
        ASSERT_NE(vec, nullptr);
        for (const graph::FusedActivation& a : kinds) {
            SCOPED_TRACE(std::string(cpu::isaName(isa)) + " " + graph::activationName(a.kind));
            std::vector<float> want(x.size()), got(x.size(), 0.0f);
            cpu::activate(a, x.data(), want.data(), static_cast<int64_t>(x.size()));
            vec(a, x.data(), got.data(), static_cast<int64_t>(x.size()));
            // Short rows at odd offsets: every tail length.
            for (int64_t n = 1; n <= 33; ++n) vec(a, x.data() + 1000 * n + 3, got.data() + 1000 * n + 3, n);
            const bool cancels = a.kind == Activation::Gelu || a.kind == Activation::GeluTanh || a.kind == Activation::HardSigmoid ||
                                 a.kind == Activation::HardSwish;
            int bad = 0;
            for (size_t i = 0; i < x.size() && bad < 5; ++i) {
                const double g = got[i], w = want[i];
                const double tolerance = 1e-6 * std::fabs(w) + 1e-37 + (cancels ? 2.5e-7 * std::max(1.0f, std::fabs(x[i])) : 0.0);
                const bool ok = std::isnan(w) ? std::isnan(g) : std::isinf(w) ? g == w : std::fabs(g - w) <= tolerance;
                if (!ok) {
                    ADD_FAILURE() << "x = " << x[i] << ": vector " << g << ", scalar " << w;
                    ++bad;
                }
            }
        }
    }
}

}  // namespace
}  // namespace percept::optest
