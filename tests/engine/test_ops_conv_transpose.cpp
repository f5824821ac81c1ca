// SPDX-License-Identifier: Apache-2.0
// ConvTranspose against a scatter reference written from ONNX's definition (every input value
// times every tap added at o = i*stride - padBegin + k*dilation), in 1-D, 2-D and 3-D: groups,
// strides, dilations, asymmetric pads, output_padding, output_shape (smaller and larger than
// the natural size), auto_pad SAME_UPPER / SAME_LOWER / VALID, no bias, fused activations,
// shapes with several channel blocks and column tiles; and the schema's refusals.
#include <gtest/gtest.h>

#include <numeric>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

struct CtCase {
    std::string name;
    Shape x;                          // N, C, spatial...
    int64_t M = 1;                    // output channels
    std::vector<int64_t> kernel = {};
    int64_t group = 1;
    // Empty: the attribute is absent.
    std::vector<int64_t> strides = {}, dilations = {}, pads = {}, outputPadding = {}, outputShape = {};
    std::string autoPad = "";
    bool bias = true;
    Activation act = Activation::None;
};

// The output size and begin pad of one axis, from ONNX's formulas: natural size
// s*(in-1) + output_padding + (k-1)*d + 1 - pads; output_shape or SAME fix the size and the
// total pad is split (SAME_UPPER: the odd one at the end); a size past the natural one extends
// the end.
void axisGeometry(const CtCase& c, size_t a, int64_t& out, int64_t& padBegin) {
    const size_t sp = c.kernel.size();
    const int64_t in = c.x[2 + a], k = c.kernel[a];
    const int64_t s = c.strides.empty() ? 1 : c.strides[a], d = c.dilations.empty() ? 1 : c.dilations[a];
    const int64_t op = c.outputPadding.empty() ? 0 : c.outputPadding[a];
    const int64_t natural = s * (in - 1) + op + (k - 1) * d + 1;
    int64_t want = -1;
    if (!c.outputShape.empty()) want = c.outputShape[c.outputShape.size() - sp + a];  // [spatial...] or [N, C, spatial...]
    else if (c.autoPad == "SAME_UPPER" || c.autoPad == "SAME_LOWER") want = in * s;
    if (want >= 0) {
        const int64_t total = natural - want;
        out = want;
        padBegin = total < 0 ? 0 : c.autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (c.autoPad == "VALID") {
        out = natural;
        padBegin = 0;
    } else {
        const int64_t pb = c.pads.empty() ? 0 : c.pads[a], pe = c.pads.empty() ? 0 : c.pads[sp + a];
        out = natural - pb - pe;
        padBegin = pb;
    }
}

// The scatter form, in double.
Tensor convTransposeRef(const CtCase& c, const Tensor& x, const Tensor& w, const Tensor* b) {
    const size_t sp = c.kernel.size();
    const int64_t N = c.x[0], C = c.x[1], Cg = C / c.group, Mg = c.M / c.group;
    Shape os = {N, c.M};
    std::vector<int64_t> pb(sp);
    for (size_t a = 0; a < sp; ++a) {
        int64_t o;
        axisGeometry(c, a, o, pb[a]);
        os.push_back(o);
    }
    const Shape xs(c.x.begin() + 2, c.x.end()), ys(os.begin() + 2, os.end());
    const Shape ks(c.kernel.begin(), c.kernel.end());
    const int64_t inPlane = elementCount(xs), outPlane = elementCount(ys), taps = elementCount(ks);
    std::vector<double> acc(static_cast<size_t>(elementCount(os)), 0.0);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t ci = 0; ci < C; ++ci)
            for (int64_t i = 0; i < inPlane; ++i) {
                const auto ii = unravel(i, xs);
                const double v = x.data[(n * C + ci) * inPlane + i];
                for (int64_t t = 0; t < taps; ++t) {
                    const auto kk = unravel(t, ks);
                    std::vector<int64_t> o(sp);
                    bool inside = true;
                    for (size_t a = 0; a < sp; ++a) {
                        const int64_t s = c.strides.empty() ? 1 : c.strides[a], d = c.dilations.empty() ? 1 : c.dilations[a];
                        o[a] = ii[a] * s - pb[a] + kk[a] * d;
                        inside = inside && o[a] >= 0 && o[a] < ys[a];
                    }
                    if (!inside) continue;
                    const int64_t g = ci / Cg;
                    for (int64_t m = 0; m < Mg; ++m)
                        acc[static_cast<size_t>((n * c.M + g * Mg + m) * outPlane + ravel(o, ys))] +=
                            v * w.data[(ci * Mg + m) * taps + t];
                }
            }
    Tensor y(os);
    for (int64_t i = 0; i < elementCount(os); ++i) {
        const int64_t m = (i / outPlane) % c.M;
        y.data[i] = ref::act(c.act, static_cast<float>(acc[static_cast<size_t>(i)] + (b ? b->data[m] : 0.0)));
    }
    return y;
}

class ConvTransposeTest : public OpTest {
protected:
    void check(const CtCase& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        Shape ws = {c.x[1], c.M / c.group};
        ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
        const Tensor x = randomTensor(c.x, seed), w = randomTensor(ws, seed + 1, -0.5f, 0.5f), b = randomTensor({c.M}, seed + 2);
        OpGraph g;
        std::vector<int> ins = {g.input("x", c.x), g.constant("w", w)};
        if (c.bias) ins.push_back(g.constant("b", b));
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        graph::Node& n = g.node("ConvTranspose", ins, {y});
        if (c.group != 1) setInt(n, "group", c.group);
        if (!c.strides.empty()) setInts(n, "strides", c.strides);
        if (!c.dilations.empty()) setInts(n, "dilations", c.dilations);
        if (!c.pads.empty()) setInts(n, "pads", c.pads);
        if (!c.outputPadding.empty()) setInts(n, "output_padding", c.outputPadding);
        if (!c.outputShape.empty()) setInts(n, "output_shape", c.outputShape);
        if (!c.autoPad.empty()) setString(n, "auto_pad", c.autoPad);
        if (c.act != Activation::None) addActivation(g, c.act, y);
        Stats stats;
        const Tensor got = run1(g, {x}, &stats);
        EXPECT_TRUE(allClose(got, convTransposeRef(c, x, w, c.bias ? &b : nullptr), tol()));
        ASSERT_EQ(stats.layers.size(), 1u);  // the activation was fused
    }
};

TEST_P(ConvTransposeTest, TwoD) {
    const std::vector<CtCase> cases = {
        {"3x3 plain", {1, 3, 5, 6}, 4, {3, 3}},
        {"stride 2 (DCGAN 4x4 s2 p1)", {1, 6, 7, 5}, 5, {4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}},
        {"stride (3,2) asym pads", {1, 3, 7, 6}, 4, {3, 3}, 1, {3, 2}, {}, {1, 0, 2, 1}},
        {"output_padding", {1, 3, 6, 7}, 4, {3, 3}, 1, {2, 3}, {}, {1, 1, 1, 1}, {1, 2}},
        {"output_shape", {1, 2, 3, 3}, 3, {3, 3}, 1, {3, 2}, {}, {}, {}, {10, 8}},
        {"output_shape [N,C,H,W] form, smaller", {1, 2, 4, 4}, 2, {3, 3}, 1, {2, 2}, {}, {}, {}, {1, 2, 8, 7}},
        {"output_shape past the natural size", {1, 2, 3, 4}, 2, {2, 2}, 1, {2, 2}, {}, {}, {}, {9, 10}},
        {"output_padding + output_shape", {1, 1, 3, 3}, 2, {3, 3}, 1, {3, 2}, {}, {}, {1, 1}, {10, 8}},
        {"SAME_UPPER", {1, 3, 5, 4}, 2, {3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_UPPER"},
        {"SAME_LOWER", {1, 3, 5, 4}, 2, {3, 3}, 1, {2, 2}, {}, {}, {}, {}, "SAME_LOWER"},
        {"SAME_UPPER stride 3 odd total", {1, 2, 4, 3}, 3, {4, 2}, 1, {3, 3}, {}, {}, {}, {}, "SAME_UPPER"},
        {"VALID ignores pads", {1, 2, 4, 5}, 3, {3, 2}, 1, {2, 1}, {}, {1, 1, 1, 1}, {}, {}, "VALID"},
        {"dilation 2", {1, 3, 5, 5}, 2, {3, 3}, 1, {}, {2, 2}},
        {"dilation (2,3) stride 2 pads", {1, 2, 6, 5}, 3, {3, 2}, 1, {2, 2}, {2, 3}, {2, 1, 1, 0}},
        {"kernel smaller than stride (gaps)", {1, 3, 4, 4}, 2, {2, 2}, 1, {3, 3}},
        {"groups 2", {1, 4, 5, 6}, 6, {3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}},
        {"groups 3 stride 2", {1, 6, 4, 5}, 9, {3, 2}, 3, {2, 1}},
        {"depthwise (group = C)", {1, 5, 6, 6}, 5, {4, 4}, 5, {2, 2}, {}, {1, 1, 1, 1}},
        {"no bias", {1, 3, 5, 5}, 4, {3, 3}, 1, {2, 2}, {}, {0, 0, 0, 0}, {}, {}, "", false},
        {"batch 2 groups 2", {2, 4, 5, 4}, 4, {3, 3}, 2, {2, 2}, {}, {1, 1, 1, 1}, {1, 1}},
        {"1x1 kernel stride 2", {1, 5, 4, 6}, 3, {1, 1}, 1, {2, 2}},
        {"fused Relu", {1, 4, 5, 5}, 6, {3, 3}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true, Activation::Relu},
        {"fused Sigmoid", {1, 4, 5, 5}, 3, {4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true, Activation::Sigmoid},
    };
    uint32_t seed = 8000;
    for (const auto& c : cases) check(c, seed += 10);
}

// Shapes with several blocks of output channels, several column tiles of input positions
// (> 2048 positions at 128 GEMM rows), deep channel counts (packed GEMM KC blocks), and an
// FCN-like large kernel (16x16 stride 8).
TEST_P(ConvTransposeTest, LargerShapes) {
    const std::vector<CtCase> cases = {
        {"C64 M48 4x4 s2 p1 (6 channel blocks)", {1, 64, 9, 11}, 48, {4, 4}, 1, {2, 2}, {}, {1, 1, 1, 1}},
        {"C8 M12 3x3 s2, 3000 input positions", {1, 8, 50, 60}, 12, {3, 3}, 1, {2, 2}, {}, {1, 1, 0, 0}, {1, 1}},
        {"C300 M20 2x2 s2 (two KC blocks)", {1, 300, 6, 7}, 20, {2, 2}, 1, {2, 2}},
        {"FCN 16x16 s8 p4", {1, 21, 4, 5}, 21, {16, 16}, 1, {8, 8}, {}, {4, 4, 4, 4}},
        {"groups 4 M40 C32 3x3 s2 batch 2", {2, 32, 7, 9}, 40, {3, 3}, 4, {2, 2}, {}, {1, 1, 1, 1}, {}, {}, "", true, Activation::Relu},
    };
    uint32_t seed = 8500;
    for (const auto& c : cases) check(c, seed += 10);
}

TEST_P(ConvTransposeTest, OneAndThreeD) {
    const std::vector<CtCase> cases = {
        {"1-D plain", {1, 3, 7}, 4, {3}},
        {"1-D stride 3 pads output_padding", {1, 4, 6}, 2, {4}, 1, {3}, {}, {1, 2}, {2}},
        {"1-D dilation 2 groups 2", {2, 4, 9}, 6, {3}, 2, {2}, {2}, {1, 0}},
        {"1-D SAME_LOWER", {1, 3, 5}, 2, {4}, 1, {2}, {}, {}, {}, {}, "SAME_LOWER"},
        {"1-D output_shape", {1, 2, 5}, 3, {3}, 1, {2}, {}, {}, {}, {12}},
        {"3-D plain", {1, 1, 3, 4, 5}, 2, {3, 3, 3}},
        {"3-D stride 2 pads", {1, 3, 3, 4, 5}, 4, {3, 2, 3}, 1, {2, 2, 1}, {}, {1, 0, 1, 0, 1, 1}},
        {"3-D dilation output_padding groups", {1, 4, 3, 3, 4}, 4, {2, 2, 2}, 2, {2, 2, 2}, {2, 1, 1}, {}, {1, 0, 1}},
        {"3-D SAME_UPPER fused Relu", {1, 2, 3, 4, 3}, 3, {3, 3, 3}, 1, {2, 1, 2}, {}, {}, {}, {}, "SAME_UPPER", true, Activation::Relu},
    };
    uint32_t seed = 9000;
    for (const auto& c : cases) check(c, seed += 10);
}

// The schema's refusals name the node and the reason.
TEST(ConvTransposeSchema, Refusals) {
    auto loadError = [](OpGraph& g) -> std::string {
        try {
            detail::modelFromGraph(g.g, "t");
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    {
        OpGraph g;  // weights computed at run time
        g.node("ConvTranspose", {g.input("x", {1, 2, 3, 3}), g.input("w", {2, 2, 3, 3})}, {g.output("y")});
        EXPECT_NE(loadError(g).find("weights must be a constant"), std::string::npos);
    }
    {
        OpGraph g;  // group not dividing the channels
        graph::Node& n = g.node("ConvTranspose", {g.input("x", {1, 3, 3, 3}), g.constant("w", Tensor({3, 1, 2, 2}))}, {g.output("y")});
        setInt(n, "group", 2);
        EXPECT_NE(loadError(g).find("group 2 does not match"), std::string::npos);
    }
    {
        OpGraph g;  // output_shape too small for anything to remain
        graph::Node& n = g.node("ConvTranspose", {g.input("x", {1, 1, 3, 3}), g.constant("w", Tensor({1, 1, 2, 2}))}, {g.output("y")});
        setInts(n, "pads", {3, 3, 3, 3});
        EXPECT_NE(loadError(g).find("output would be empty"), std::string::npos);
    }
    {
        OpGraph g;  // 4 spatial axes
        g.node("ConvTranspose", {g.input("x", {1, 1, 2, 2, 2, 2}), g.constant("w", Tensor({1, 1, 1, 1, 1, 1}))}, {g.output("y")});
        EXPECT_NE(loadError(g).find("only 1-D, 2-D and 3-D"), std::string::npos);
    }
}

PERCEPT_OP_TEST_SUITE(ConvTransposeTest);

}  // namespace
}  // namespace percept::optest
