// SPDX-License-Identifier: Apache-2.0
// The normalisations with run-time statistics (LayerNormalization, InstanceNormalization,
// MeanVarianceNormalization) against naive double-precision references, and the fusion of the
// decomposed layer normalisation older exporters emit (graph/fusion_norm.cpp).
#include <gtest/gtest.h>

#include "graph/fusion.h"
#include "graph/op_schema.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

// ---- References --------------------------------------------------------------------------

// Normalises x over `axes` (sorted): y = (x - mean) * inv, inv = 1 / (sqrt(var + epsIn) + epsOut),
// both statistics in double and two passes; then per-element scale/bias through `affine`
// (given the element's index, returns {scale, bias}). Mean and inv per output of the
// reduction, in keepdims layout.
struct Stats2 {
    Tensor y, mean, inv;
};
template <class Affine>
Stats2 normalise(const Tensor& x, const std::vector<int64_t>& axes, double epsIn, double epsOut, Affine affine) {
    const size_t rank = x.shape.size();
    Shape kept = x.shape;
    for (int64_t a : axes) kept[static_cast<size_t>(a)] = 1;
    auto group = [&](int64_t i) {
        auto idx = unravel(i, x.shape);
        for (int64_t a : axes) idx[static_cast<size_t>(a)] = 0;
        return static_cast<size_t>(ravel(idx, kept));
    };
    const size_t groups = static_cast<size_t>(elementCount(kept));
    std::vector<double> sum(groups, 0.0), sq(groups, 0.0), count(groups, 0.0);
    for (int64_t i = 0; i < elementCount(x.shape); ++i) sum[group(i)] += x.data[static_cast<size_t>(i)], count[group(i)] += 1;
    for (size_t k = 0; k < groups; ++k) sum[k] /= count[k];  // the mean
    for (int64_t i = 0; i < elementCount(x.shape); ++i) {
        const double d = x.data[static_cast<size_t>(i)] - sum[group(i)];
        sq[group(i)] += d * d;
    }
    Stats2 r{Tensor(x.shape), Tensor(kept), Tensor(kept)};
    for (size_t k = 0; k < groups; ++k) {
        r.mean.data[k] = static_cast<float>(sum[k]);
        r.inv.data[k] = static_cast<float>(1.0 / (std::sqrt(sq[k] / count[k] + epsIn) + epsOut));
    }
    for (int64_t i = 0; i < elementCount(x.shape); ++i) {
        const size_t k = group(i);
        const auto [s, b] = affine(i);
        r.y.data[static_cast<size_t>(i)] = static_cast<float>((x.data[static_cast<size_t>(i)] - sum[k]) / (std::sqrt(sq[k] / count[k] + epsIn) + epsOut) * s + b);
    }
    (void)rank;
    return r;
}

Stats2 layerNorm(const Tensor& x, int64_t axis, const Tensor& scale, const Tensor* bias, float eps) {
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    if (axis < 0) axis += rank;
    std::vector<int64_t> axes;
    for (int64_t a = axis; a < rank; ++a) axes.push_back(a);
    const int64_t row = elementCount(scale.shape);
    return normalise(x, axes, eps, 0.0, [&](int64_t i) {
        const size_t j = static_cast<size_t>(i % row);  // position within the normalised axes
        return std::pair<double, double>(scale.data[j], bias ? bias->data[j] : 0.0);
    });
}

// ---- LayerNormalization --------------------------------------------------------------------

class LayerNormTest : public OpTest {};

TEST_P(LayerNormTest, AxesBiasAndStatisticsOutputs) {
    struct Case {
        Shape s;
        int64_t axis;  // 99: attribute absent (-1)
        bool bias, stats;
        float eps;
    };
    const std::vector<Case> cases = {
        {{1, 197, 768}, 99, true, false, 1e-6f},  // ViT
        {{2, 3, 4, 5}, 99, true, true, 1e-5f},    // ONNX's default-axis test
        {{2, 3, 4, 5}, 1, false, true, 1e-5f},
        {{2, 3, 5}, 0, true, true, 0.1f},
        {{2, 3, 5}, -2, true, false, 1e-5f},
        {{4, 1, 7, 1}, 2, true, true, 1e-5f},     // size-1 axes inside the row
        {{3, 5000}, -1, false, false, 1e-5f},     // long rows: threads
        {{50, 3}, 1, true, true, 1e-5f},          // many short rows
    };
    uint32_t seed = 40000;
    for (const Case& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + " axis " + std::to_string(c.axis) + (c.bias ? " bias" : "") + (c.stats ? " Mean/InvStdDev" : ""));
        const int64_t rank = static_cast<int64_t>(c.s.size());
        const int64_t axis = c.axis == 99 ? -1 : c.axis;
        const Shape norm(c.s.begin() + (axis < 0 ? axis + rank : axis), c.s.end());
        const Tensor x = randomTensor(c.s, ++seed, -3.0f, 5.0f), scale = randomTensor(norm, ++seed), bias = randomTensor(norm, ++seed);
        OpGraph g(17);
        std::vector<int> ins = {g.input("x", c.s), g.constant("scale", scale)};
        if (c.bias) ins.push_back(g.constant("bias", bias));
        std::vector<int> outs = {g.output("y")};
        if (c.stats) outs.push_back(g.output("mean")), outs.push_back(g.output("inv_std_dev"));
        graph::Node& n = g.node("LayerNormalization", ins, outs);
        if (c.axis != 99) setInt(n, "axis", c.axis);
        setFloat(n, "epsilon", c.eps);
        const auto got = run(g, {x});
        const Stats2 want = layerNorm(x, axis, scale, c.bias ? &bias : nullptr, c.eps);
        ASSERT_EQ(got.size(), c.stats ? 3u : 1u);
        EXPECT_TRUE(allClose(got[0], want.y, tol()));
        if (c.stats) {
            EXPECT_TRUE(allClose(got[1], want.mean, tol()));
            EXPECT_TRUE(allClose(got[2], want.inv, tol()));
        }
    }
}

// A large mean against a small spread: sum(x^2) - n * mean^2 in float would lose every digit.
TEST_P(LayerNormTest, LargeOffsetStaysAccurate) {
    const Shape s = {4, 768};
    Tensor x = randomTensor(s, 40500, -0.01f, 0.01f);
    for (float& v : x.data) v += 1000.0f;
    const Tensor scale = randomTensor({768}, 40501, 0.5f, 1.5f);
    OpGraph g(17);
    g.node("LayerNormalization", {g.input("x", s), g.constant("scale", scale)}, {g.output("y")});
    EXPECT_TRUE(allClose(run1(g, {x}), layerNorm(x, -1, scale, nullptr, 1e-5f).y, tol()));
}

TEST_P(LayerNormTest, Refusals) {
    auto refused = [](OpGraph& g, const std::string& what) {
        try {
            detail::modelFromGraph(g.g, "op-test");
            ADD_FAILURE() << "expected a refusal naming '" << what << "'";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    {
        OpGraph g(17);
        setInt(g.node("LayerNormalization", {g.input("x", {2, 8}), g.constant("s", Tensor({8}))}, {g.output("y")}), "stash_type", 10);
        refused(g, "stash_type");
    }
    {
        OpGraph g(17);
        g.node("LayerNormalization", {g.input("x", {2, 8}), g.constant("s", Tensor({1}))}, {g.output("y")});
        refused(g, "Scale has shape [1]");
    }
}

PERCEPT_OP_TEST_SUITE(LayerNormTest);

// ---- InstanceNormalization, MeanVarianceNormalization -------------------------------------

class StatNormTest : public OpTest {};

TEST_P(StatNormTest, InstanceNormalization) {
    uint32_t seed = 41000;
    for (const Shape& s : {Shape{2, 3, 4, 5}, Shape{1, 16, 56, 56}, Shape{3, 5, 7}, Shape{1, 2, 3, 4, 5}, Shape{2, 4, 1, 1}}) {
        SCOPED_TRACE(shapeToString(s));
        const int64_t C = s[1];
        int64_t plane = 1;
        for (size_t k = 2; k < s.size(); ++k) plane *= s[k];
        const Tensor x = randomTensor(s, ++seed, -2.0f, 3.0f), scale = randomTensor({C}, ++seed), bias = randomTensor({C}, ++seed);
        OpGraph g(6);
        setFloat(g.node("InstanceNormalization", {g.input("x", s), g.constant("s", scale), g.constant("b", bias)}, {g.output("y")}), "epsilon",
                 0.01f);
        std::vector<int64_t> axes;
        for (size_t a = 2; a < s.size(); ++a) axes.push_back(static_cast<int64_t>(a));
        const Tensor want = normalise(x, axes, 0.01, 0.0, [&](int64_t i) {
                                const size_t c = static_cast<size_t>((i / plane) % C);
                                return std::pair<double, double>(scale.data[c], bias.data[c]);
                            }).y;
        EXPECT_TRUE(allClose(run1(g, {x}), want, tol()));
    }
}

TEST_P(StatNormTest, MeanVarianceNormalization) {
    struct Case {
        Shape s;
        bool hasAxes;
        std::vector<int64_t> axes;
    };
    const std::vector<Case> cases = {
        {{3, 3, 3, 1}, false, {}},   // ONNX's test_mvn: default axes [0, 2, 3]
        {{1, 8, 9, 10}, false, {}},  // N = 1: one contiguous plane per channel
        {{2, 5, 6}, true, {2}},
        {{2, 5, 6}, true, {0, 1}},   // the kept axis is the last: strided rows
        {{2, 3, 4, 5}, true, {-1, 1}},
    };
    uint32_t seed = 42000;
    for (const Case& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + (c.hasAxes ? " axes " + ::testing::PrintToString(c.axes) : " default axes"));
        const Tensor x = randomTensor(c.s, ++seed, -1.0f, 2.0f);
        OpGraph g(13);
        graph::Node& n = g.node("MeanVarianceNormalization", {g.input("x", c.s)}, {g.output("y")});
        if (c.hasAxes) setInts(n, "axes", c.axes);
        std::vector<int64_t> axes = c.hasAxes ? c.axes : std::vector<int64_t>{0, 2, 3};
        for (auto& a : axes) a = a < 0 ? a + static_cast<int64_t>(c.s.size()) : a;
        std::sort(axes.begin(), axes.end());
        const Tensor want = normalise(x, axes, 0.0, 1e-9, [](int64_t) { return std::pair<double, double>(1.0, 0.0); }).y;
        EXPECT_TRUE(allClose(run1(g, {x}), want, tol()));
    }
}

// fp16 storage on Vulkan: values stored in half precision, statistics and arithmetic in fp32.
TEST_P(StatNormTest, VulkanFp16Storage) {
    if (backend() != Backend::Vulkan) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    SessionOptions opt;
    opt.backend = Backend::Vulkan;
    opt.fp16Storage = true;
    std::string device;
    {
        SCOPED_TRACE("LayerNormalization with Mean and InvStdDev");
        const Shape s = {2, 9, 64};
        const Tensor x = randomTensor(s, 45000, -2.0f, 2.0f), scale = randomTensor({64}, 45001), bias = randomTensor({64}, 45002);
        OpGraph g(17);
        g.node("LayerNormalization", {g.input("x", s), g.constant("s", scale), g.constant("b", bias)}, {g.output("y"), g.output("m"), g.output("i")});
        const auto out = runWithOptions(g.g, {x}, opt, &device);
        EXPECT_NE(device.find("fp16 storage"), std::string::npos) << device;
        const Stats2 want = layerNorm(x, -1, scale, &bias, 1e-5f);
        ASSERT_EQ(out.size(), 3u);
        EXPECT_TRUE(allClose(out[0], want.y, 1e-2));
        EXPECT_TRUE(allClose(out[1], want.mean, 1e-2));
        EXPECT_TRUE(allClose(out[2], want.inv, 1e-2));
    }
    {
        SCOPED_TRACE("InstanceNormalization");
        const Shape s = {1, 4, 20, 20};
        const Tensor x = randomTensor(s, 45003, -2.0f, 2.0f), scale = randomTensor({4}, 45004), bias = randomTensor({4}, 45005);
        OpGraph g(6);
        g.node("InstanceNormalization", {g.input("x", s), g.constant("s", scale), g.constant("b", bias)}, {g.output("y")});
        const auto out = runWithOptions(g.g, {x}, opt);
        const Tensor want = normalise(x, {2, 3}, 1e-5, 0.0, [&](int64_t i) {
                                const size_t c = static_cast<size_t>(i / 400);
                                return std::pair<double, double>(scale.data[c], bias.data[c]);
                            }).y;
        ASSERT_EQ(out.size(), 1u);
        EXPECT_TRUE(allClose(out[0], want, 1e-2));
    }
}

PERCEPT_OP_TEST_SUITE(StatNormTest);

// ---- The decomposed layer normalisation ----------------------------------------------------

// The pattern as exporters write it, in one of its spellings:
//   Torch:    Pow(d, 2), Add(var, eps), Div(d, sd), Mul(n, gamma), Add(., beta)
//   TorchAlt: Mul(d, d), Add(eps, var), Mul(Reciprocal(sd), d), Mul(gamma, n), Add(beta, .)
//   Keras:    Mul(d, d), inv = Mul(Reciprocal(sd), gamma), Add(Mul(x, inv), Sub(beta, Mul(mu, inv)))
//             (without affine: Sub(Mul(x, inv), Mul(mu, inv)); with KerasNeg: Add(., Neg(.)))
enum class Spelling { Torch, TorchAlt, Keras, KerasNeg };
struct Decomposed {
    Spelling spelling = Spelling::Torch;
    bool affine = true;
    bool meanIsOutput = false;  // another reader of the mean: must not fuse
    std::vector<int64_t> axes = {-1};
};

// Adds the pattern over x to g; returns the output value. `shaped` gives every value its
// shape and the ReduceMeans canonical axes, as shape inference would (for calling the fusion
// directly); otherwise the graph is as the importer builds it.
int addDecomposed(OpGraph& g, int x, const Shape& xs, const Decomposed& d, const Tensor& gamma, const Tensor& beta, bool shaped) {
    const int64_t rank = static_cast<int64_t>(xs.size());
    const bool keras = d.spelling == Spelling::Keras || d.spelling == Spelling::KerasNeg, torch = d.spelling == Spelling::Torch;
    Shape stat = xs;
    std::vector<int64_t> canon;
    for (int64_t a : d.axes) canon.push_back(a < 0 ? a + rank : a), stat[static_cast<size_t>(canon.back())] = 1;
    auto value = [&](const std::string& name, const Shape& s) {
        const int v = g.value(name);
        if (shaped) g.g.value(v).shape = s, g.g.value(v).shapeKnown = true;
        return v;
    };
    auto mean = [&](int in, int out) { setInts(g.node("ReduceMean", {in}, {out}), "axes", shaped ? canon : d.axes); };
    const int mu = d.meanIsOutput ? g.output("mu") : value("mu", stat);
    if (d.meanIsOutput && shaped) g.g.value(mu).shape = stat, g.g.value(mu).shapeKnown = true;
    mean(x, mu);
    const int diff = value("d", xs);
    g.node("Sub", {x, mu}, {diff});
    const int sq = value("sq", xs);
    if (torch) g.node("Pow", {diff, g.constant("two", Tensor({}, {2.0f}))}, {sq});
    else g.node("Mul", {diff, diff}, {sq});
    const int var = value("var", stat), ve = value("ve", stat), sd = value("sd", stat);
    mean(sq, var);
    const int eps = g.constant("eps", Tensor({}, {1e-5f}));
    g.node("Add", torch ? std::vector<int>{var, eps} : std::vector<int>{eps, var}, {ve});
    g.node("Sqrt", {ve}, {sd});
    const int gm = d.affine ? g.constant("gamma", gamma) : -1, bt = d.affine ? g.constant("beta", beta) : -1;
    if (keras) {
        int inv = value("rs", stat);
        g.node("Reciprocal", {sd}, {inv});
        if (d.affine) {
            const int scaled = value("inv", xs);
            g.node("Mul", {inv, gm}, {scaled});
            inv = scaled;
        }
        const int xsv = value("x_inv", xs), ms = value("mu_inv", d.affine ? xs : stat), y = value("y_pattern", xs);
        g.node("Mul", {x, inv}, {xsv});
        g.node("Mul", {mu, inv}, {ms});
        if (d.spelling == Spelling::KerasNeg || d.affine) {
            const int bb = value("bb", d.affine ? xs : stat);
            if (d.spelling == Spelling::KerasNeg) g.node("Neg", {ms}, {bb});
            else g.node("Sub", {bt, ms}, {bb});
            g.node("Add", {xsv, bb}, {y});
        } else {
            g.node("Sub", {xsv, ms}, {y});
        }
        return y;
    }
    const int nrm = value("n", xs);
    if (torch) {
        g.node("Div", {diff, sd}, {nrm});
    } else {
        const int rs = value("rs", stat);
        g.node("Reciprocal", {sd}, {rs});
        g.node("Mul", {rs, diff}, {nrm});
    }
    if (!d.affine) return nrm;
    const int scaled = value("scaled", xs);
    g.node("Mul", torch ? std::vector<int>{nrm, gm} : std::vector<int>{gm, nrm}, {scaled});
    const int y = value("y_pattern", xs);
    g.node("Add", torch ? std::vector<int>{scaled, bt} : std::vector<int>{bt, scaled}, {y});
    return y;
}

size_t countOps(const graph::Graph& g, graph::OpKind k) {
    return static_cast<size_t>(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const graph::Node& n) { return n.op == k; }));
}

// The fusion itself, on graphs shaped as shape inference leaves them: which spellings fuse, and
// the fused node computing what the pattern defines.
TEST(LayerNormFusion, FusesExactMatchesOnly) {
    const Shape xs = {2, 5, 12};
    struct Case {
        std::string name;
        Decomposed d;
        bool fuses;
    };
    const std::vector<Case> cases = {
        {"torch", {}, true},
        {"torch, other spellings", {Spelling::TorchAlt}, true},
        {"keras", {Spelling::Keras}, true},
        {"keras, no beta (Neg)", {Spelling::KerasNeg, false}, true},
        {"keras, no affine", {Spelling::Keras, false}, true},
        {"no affine", {Spelling::Torch, false}, true},
        {"two trailing axes", {Spelling::Torch, true, false, {1, 2}}, true},
        {"keras, two trailing axes", {Spelling::Keras, true, false, {1, 2}}, true},
        {"mean also read elsewhere", {Spelling::Torch, true, true}, false},
        {"keras, mean also read elsewhere", {Spelling::Keras, true, true}, false},
        {"not the trailing axes", {Spelling::Torch, true, false, {1}}, false},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        OpGraph g(13);
        const int x = g.input("x", xs);
        Shape norm(xs.end() - static_cast<std::ptrdiff_t>(c.d.axes.size()), xs.end());
        const Tensor gamma = randomTensor(norm, 43000), beta = randomTensor(norm, 43001);
        const int y = addDecomposed(g, x, xs, c.d, gamma, beta, true);
        g.g.outputs.push_back(y);
        const size_t before = g.g.nodes.size();
        graph::fuseLayerNorm(g.g);
        EXPECT_EQ(countOps(g.g, graph::OpKind::LayerNormalization), c.fuses ? 1u : 0u);
        if (!c.fuses) {
            EXPECT_EQ(g.g.nodes.size(), before);
            continue;
        }
        ASSERT_EQ(g.g.nodes.size(), 1u);  // the whole pattern is one node
        const graph::Node& ln = g.g.nodes[0];
        EXPECT_EQ(ln.inputs[0], x);
        EXPECT_EQ(ln.outputs[0], y);
        EXPECT_EQ(ln.attrInt("axis", -1), 3 - static_cast<int64_t>(c.d.axes.size()));
        EXPECT_FLOAT_EQ(ln.attrFloat("epsilon", 0.0f), 1e-5f);
        // The fused graph runs and computes the pattern's function.
        g.g.opset = 17;
        const Tensor in = randomTensor(xs, 43002, -2.0f, 2.0f);
        const Tensor ones = Tensor(norm, std::vector<float>(static_cast<size_t>(elementCount(norm)), 1.0f));
        const Tensor zeros = Tensor(norm);
        const Tensor want = layerNorm(in, 3 - static_cast<int64_t>(c.d.axes.size()), c.d.affine ? gamma : ones, c.d.affine ? &beta : &zeros, 1e-5f).y;
        const auto out = runGraph(g.g, {in}, Backend::Cpu, 1);
        ASSERT_EQ(out.size(), 1u);
        EXPECT_TRUE(allClose(out[0], want, 1e-4));
    }
}

// Through the whole load pipeline, as an ONNX file gives it: the optimised graph holds one
// LayerNormalization and computes the pattern; a pattern that must not fuse still runs.
class LayerNormFusionTest : public OpTest {};

TEST_P(LayerNormFusionTest, FusedAndUnfusedPatternsRun) {
    const Shape xs = {1, 7, 48};
    const Tensor gamma = randomTensor({48}, 44000), beta = randomTensor({48}, 44001), in = randomTensor(xs, 44002, -2.0f, 2.0f);
    const Tensor want = layerNorm(in, -1, gamma, &beta, 1e-5f).y;
    for (const Spelling spelling : {Spelling::Torch, Spelling::TorchAlt, Spelling::Keras})
        for (const bool meanIsOutput : {false, true}) {
            SCOPED_TRACE(std::to_string(static_cast<int>(spelling)) + (meanIsOutput ? ", mean also an output: unfused" : ""));
            OpGraph g(13);
            Decomposed d;
            d.spelling = spelling;
            d.meanIsOutput = meanIsOutput;
            const int y = addDecomposed(g, g.input("x", xs), xs, d, gamma, beta, false);
            g.g.outputs.push_back(y);
            const Model model = detail::modelFromGraph(g.g, "op-test");
            EXPECT_EQ(countOps(model.graph(), graph::OpKind::LayerNormalization), meanIsOutput ? 0u : 1u);
            if (!meanIsOutput) {
                EXPECT_EQ(model.graph().nodes.size(), 1u);
            }
            const auto out = run(g, {in});
            ASSERT_EQ(out.size(), meanIsOutput ? 2u : 1u);
            EXPECT_TRUE(allClose(out.back(), want, tol()));
        }
}

PERCEPT_OP_TEST_SUITE(LayerNormFusionTest);

}  // namespace
}  // namespace percept::optest
