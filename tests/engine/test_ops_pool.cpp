// SPDX-License-Identifier: Apache-2.0
// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool against the naive references:
// kernel/stride/pad combinations, asymmetric pads, dilation (AveragePool's too, opset 19),
// ceil_mode windows past the padded edge, count_include_pad both ways, auto_pad, 1-D and 3-D
// windows; the schema's refusals and what it accepts (storage_order, an unread Indices output).
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

struct PoolCase {
    std::string name;
    Shape x;
    ref::PoolParams p;
};

ref::PoolParams pp(std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> pads, bool ceil = false, bool includePad = false,
                   std::vector<int64_t> dil = {1, 1}) {
    ref::PoolParams p;
    p.kernel = std::move(k);
    p.strides = std::move(s);
    p.pads = std::move(pads);
    p.ceilMode = ceil;
    p.countIncludePad = includePad;
    p.dilations = std::move(dil);
    return p;
}

class PoolTest : public OpTest {
protected:
    void check(const std::string& op, const PoolCase& c, uint32_t seed) {
        SCOPED_TRACE(op + ": " + c.name);
        const bool isMax = op == "MaxPool";
        const Tensor x = randomTensor(c.x, seed);
        OpGraph g;
        graph::Node& n = g.node(op, {g.input("x", c.x)}, {g.output("y")});
        setInts(n, "kernel_shape", c.p.kernel);
        setInts(n, "strides", c.p.strides);
        setInts(n, "pads", c.p.pads);
        if (c.p.ceilMode) setInt(n, "ceil_mode", 1);
        if (isMax && c.p.dilations != std::vector<int64_t>{1, 1}) setInts(n, "dilations", c.p.dilations);
        if (!isMax) setInt(n, "count_include_pad", c.p.countIncludePad ? 1 : 0);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::pool2d(x, c.p, isMax), tol()));
    }
};

const std::vector<PoolCase>& commonCases() {
    static const std::vector<PoolCase> cases = {
        {"2x2 s2", {1, 3, 8, 8}, pp({2, 2}, {2, 2}, {0, 0, 0, 0})},
        {"3x3 s2 odd size", {1, 5, 13, 11}, pp({3, 3}, {2, 2}, {0, 0, 0, 0})},
        {"3x3 s1 p1", {1, 7, 6, 9}, pp({3, 3}, {1, 1}, {1, 1, 1, 1})},
        {"3x3 s2 asym pads", {1, 4, 9, 10}, pp({3, 3}, {2, 2}, {0, 1, 1, 0})},
        {"3x3 s2 ceil_mode (SqueezeNet)", {1, 13, 14, 14}, pp({3, 3}, {2, 2}, {0, 0, 0, 0}, true)},
        {"3x3 s2 ceil_mode pad 1", {1, 3, 10, 9}, pp({3, 3}, {2, 2}, {1, 1, 1, 1}, true)},
        {"2x2 s2 ceil_mode odd", {1, 3, 7, 5}, pp({2, 2}, {2, 2}, {0, 0, 0, 0}, true)},
        {"rect 3x2 s(1,2)", {1, 2, 6, 7}, pp({3, 2}, {1, 2}, {1, 0, 1, 1})},
        {"window = input", {1, 6, 5, 5}, pp({5, 5}, {1, 1}, {0, 0, 0, 0})},
        {"1x1 input pad 1", {1, 3, 1, 1}, pp({2, 2}, {1, 1}, {1, 1, 0, 0})},
        {"batch 2", {2, 3, 6, 6}, pp({2, 2}, {2, 2}, {0, 0, 0, 0})},
        {"big plane", {1, 2, 64, 70}, pp({3, 3}, {2, 2}, {1, 1, 1, 1})},
        {"ResNet stem pool 3x3 s2 p1", {1, 3, 112, 111}, pp({3, 3}, {2, 2}, {1, 1, 1, 1})},
        {"SqueezeNet pool0 3x3 s2 ceil, wide rows", {1, 2, 111, 111}, pp({3, 3}, {2, 2}, {0, 0, 0, 0}, true)},
        {"3x3 s2 rows of 17..35 outputs", {1, 2, 37, 71}, pp({3, 3}, {2, 2}, {0, 1, 0, 0})},
        {"3x3 s3 asym pads", {1, 3, 16, 17}, pp({3, 3}, {3, 3}, {1, 0, 1, 2})},
        {"4x4 s2 pad 2 ceil", {1, 2, 13, 12}, pp({4, 4}, {2, 2}, {2, 1, 2, 2}, true)},
    };
    return cases;
}

TEST_P(PoolTest, MaxPool) {
    uint32_t seed = 1000;
    for (const auto& c : commonCases()) check("MaxPool", c, seed += 3);
    check("MaxPool", {"dilation 2", {1, 3, 11, 12}, pp({3, 3}, {1, 1}, {2, 2, 2, 2}, false, false, {2, 2})}, 1100);
    check("MaxPool", {"dilation 2 s2 ceil", {1, 3, 12, 11}, pp({2, 3}, {2, 2}, {1, 0, 0, 1}, true, false, {2, 2})}, 1101);
}

TEST_P(PoolTest, AveragePoolExcludingPad) {
    uint32_t seed = 2000;
    for (auto c : commonCases()) {
        c.p.countIncludePad = false;
        check("AveragePool", c, seed += 3);
    }
}

TEST_P(PoolTest, AveragePoolIncludingPad) {
    uint32_t seed = 3000;
    for (auto c : commonCases()) {
        c.p.countIncludePad = true;
        check("AveragePool", c, seed += 3);
    }
}

// A window that runs past the padded edge under ceil_mode: with count_include_pad = 1 the
// divisor is the window clipped to the padded input (ONNX Runtime), not the full kernel.
TEST_P(PoolTest, AveragePoolCeilModeDivisor) {
    // 1x1x3x3 of ones, kernel 2, stride 2, ceil: the last window covers one row/column only.
    OpGraph g;
    graph::Node& n = g.node("AveragePool", {g.input("x", {1, 1, 3, 3})}, {g.output("y")});
    setInts(n, "kernel_shape", {2, 2});
    setInts(n, "strides", {2, 2});
    setInt(n, "ceil_mode", 1);
    setInt(n, "count_include_pad", 1);
    Tensor x({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    const Tensor y = run1(g, {x});
    EXPECT_EQ(y.shape, (Shape{1, 1, 2, 2}));
    for (float v : y.data) EXPECT_FLOAT_EQ(v, 1.0f);
}

TEST_P(PoolTest, GlobalAveragePool) {
    const std::vector<Shape> shapes = {{1, 13, 7, 7}, {1, 1000, 1, 1}, {2, 5, 3, 11}, {1, 3, 64, 60}, {1, 7, 9}, {1, 9, 13, 13}};
    uint32_t seed = 4000;
    for (const Shape& s : shapes) {
        SCOPED_TRACE(shapeToString(s));
        const Tensor x = randomTensor(s, ++seed);
        OpGraph g;
        g.node("GlobalAveragePool", {g.input("x", s)}, {g.output("y")});
        EXPECT_TRUE(allClose(run1(g, {x}), ref::globalAveragePool(x), tol()));
    }
}

PERCEPT_OP_TEST_SUITE(PoolTest);

TEST_P(PoolTest, GlobalMaxPool) {
    const std::vector<Shape> shapes = {{1, 13, 7, 7}, {1, 5, 1, 1}, {2, 5, 3, 11}, {1, 3, 64, 60}, {1, 7, 9}, {1, 4, 3, 5, 6}};
    uint32_t seed = 4100;
    for (const Shape& s : shapes) {
        SCOPED_TRACE(shapeToString(s));
        const Tensor x = randomTensor(s, ++seed);
        OpGraph g;
        g.node("GlobalMaxPool", {g.input("x", s)}, {g.output("y")});
        Shape os = s;
        int64_t plane = 1;
        for (size_t k = 2; k < s.size(); ++k) plane *= s[k], os[k] = 1;
        Tensor want(os);
        for (int64_t p = 0; p < s[0] * s[1]; ++p)
            want.data[p] = *std::max_element(x.data.begin() + p * plane, x.data.begin() + (p + 1) * plane);
        EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    }
}

// ---- Any number of spatial axes ------------------------------------------------------------

struct PoolNdCase {
    std::string name;
    Shape x;  // N, C, spatial...
    std::vector<int64_t> kernel, strides = {}, pads = {}, dilations = {};  // empty: absent
    bool ceil = false;
    bool includePad = false;
    std::string autoPad = "";
};

// Pooling by ONNX's definition on any number of axes: explicit begin/end pads resolved from
// auto_pad (ceil(in / stride) outputs, the odd pad at the end for SAME_UPPER) or given; the
// output size floor or ceil of (in + pads - extent) / stride + 1, the last window starting
// inside the input or its begin pad; taps clipped to the input; the average over the taps
// inside the input, or (count_include_pad) inside the padded input.
Tensor poolNdRef(const Tensor& x, const PoolNdCase& c, bool isMax) {
    const size_t sp = c.kernel.size();
    std::vector<int64_t> st(sp, 1), dl(sp, 1), pb(sp, 0), pe(sp, 0);
    Shape out(sp), os = {x.shape[0], x.shape[1]};
    const Shape xs(x.shape.begin() + 2, x.shape.end());
    for (size_t a = 0; a < sp; ++a) {
        if (!c.strides.empty()) st[a] = c.strides[a];
        if (!c.dilations.empty()) dl[a] = c.dilations[a];
        const int64_t ext = (c.kernel[a] - 1) * dl[a] + 1;
        if (c.autoPad == "SAME_UPPER" || c.autoPad == "SAME_LOWER") {
            const int64_t o = (xs[a] + st[a] - 1) / st[a], total = std::max<int64_t>(0, (o - 1) * st[a] + ext - xs[a]);
            pb[a] = c.autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pe[a] = total - pb[a];
        } else if (!c.pads.empty() && c.autoPad != "VALID") {
            pb[a] = c.pads[a], pe[a] = c.pads[sp + a];
        }
        out[a] = ref::poolOut(xs[a], c.kernel[a], st[a], pb[a], pe[a], dl[a], c.ceil);
        os.push_back(out[a]);
    }
    const Shape ks(c.kernel.begin(), c.kernel.end());
    const int64_t inPlane = elementCount(xs), outPlane = elementCount(out);
    Tensor y(os);
    for (int64_t p = 0; p < x.shape[0] * x.shape[1]; ++p)
        for (int64_t o = 0; o < outPlane; ++o) {
            const auto oi = unravel(o, out);
            double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
            int64_t inside = 0, padded = 0;
            for (int64_t t = 0; t < elementCount(ks); ++t) {
                const auto kk = unravel(t, ks);
                std::vector<int64_t> ii(sp);
                bool in = true, inPadded = true;
                for (size_t a = 0; a < sp; ++a) {
                    ii[a] = oi[a] * st[a] - pb[a] + kk[a] * dl[a];
                    in = in && ii[a] >= 0 && ii[a] < xs[a];
                    inPadded = inPadded && ii[a] < xs[a] + pe[a];
                }
                padded += inPadded;
                if (!in) continue;
                const double v = x.data[p * inPlane + ravel(ii, xs)];
                best = std::max(best, v);
                sum += v;
                ++inside;
            }
            y.data[p * outPlane + o] = static_cast<float>(isMax ? best : sum / static_cast<double>(c.includePad ? padded : inside));
        }
    return y;
}

class PoolNdTest : public OpTest {
protected:
    void check(const std::string& op, const PoolNdCase& c, uint32_t seed, int64_t opset = 13) {
        SCOPED_TRACE(op + ": " + c.name);
        const Tensor x = randomTensor(c.x, seed);
        OpGraph g(opset);
        graph::Node& n = g.node(op, {g.input("x", c.x)}, {g.output("y")});
        setInts(n, "kernel_shape", c.kernel);
        if (!c.strides.empty()) setInts(n, "strides", c.strides);
        if (!c.pads.empty()) setInts(n, "pads", c.pads);
        if (!c.dilations.empty()) setInts(n, "dilations", c.dilations);
        if (c.ceil) setInt(n, "ceil_mode", 1);
        if (c.includePad) setInt(n, "count_include_pad", 1);
        if (!c.autoPad.empty()) setString(n, "auto_pad", c.autoPad);
        EXPECT_TRUE(allClose(run1(g, {x}), poolNdRef(x, c, op == "MaxPool"), tol()));
    }
    void both(const PoolNdCase& c, uint32_t seed) {
        check("MaxPool", c, seed);
        check("AveragePool", c, seed + 1, c.dilations.empty() ? 13 : 19);
        PoolNdCase inc = c;
        inc.includePad = true;
        check("AveragePool", inc, seed + 2, c.dilations.empty() ? 13 : 19);
    }
};

TEST_P(PoolNdTest, OneD) {
    const std::vector<PoolNdCase> cases = {
        {"k3 s2", {1, 3, 17}, {3}, {2}},
        {"k2 s2 ceil", {2, 3, 9}, {2}, {2}, {}, {}, true},
        {"k3 s1 pads (1,2)", {1, 4, 10}, {3}, {1}, {1, 2}},
        {"k3 dilation 2 s2 pads ceil", {1, 2, 14}, {3}, {2}, {2, 1}, {2}, true},
        {"k4 SAME_UPPER s3", {1, 3, 11}, {4}, {3}, {}, {}, false, false, "SAME_UPPER"},
        {"k4 SAME_LOWER", {1, 3, 8}, {4}, {}, {}, {}, false, false, "SAME_LOWER"},
        {"long", {1, 5, 300}, {5}, {3}, {2, 2}},
    };
    uint32_t seed = 5000;
    for (const auto& c : cases) both(c, seed += 5);
}

TEST_P(PoolNdTest, TwoDDilationsAndAutoPad) {
    const std::vector<PoolNdCase> cases = {
        {"avg dilation 2", {1, 3, 11, 12}, {3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}},
        {"dilation (2,3) s2 ceil asym pads", {1, 2, 13, 14}, {2, 3}, {2, 2}, {1, 0, 0, 2}, {2, 3}, true},
        {"3x3 SAME_UPPER s2", {1, 3, 10, 9}, {3, 3}, {2, 2}, {}, {}, false, false, "SAME_UPPER"},
        {"2x2 SAME_LOWER", {1, 3, 7, 8}, {2, 2}, {}, {}, {}, false, false, "SAME_LOWER"},
        {"3x3 VALID ignores pads", {1, 2, 7, 8}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, false, false, "VALID"},
    };
    uint32_t seed = 5200;
    for (const auto& c : cases) both(c, seed += 5);
}

TEST_P(PoolNdTest, ThreeD) {
    const std::vector<PoolNdCase> cases = {
        {"2x2x2 s2", {1, 3, 6, 7, 8}, {2, 2, 2}, {2, 2, 2}},
        {"3x3x3 s2 pad 1 ceil", {1, 2, 7, 9, 8}, {3, 3, 3}, {2, 2, 2}, {1, 1, 1, 1, 1, 1}, {}, true},
        {"asym pads strides (1,2,3)", {2, 2, 5, 6, 9}, {2, 3, 3}, {1, 2, 3}, {1, 0, 1, 0, 1, 2}},
        {"dilation (2,1,2)", {1, 2, 8, 6, 7}, {2, 3, 2}, {1, 1, 1}, {1, 1, 0, 0, 1, 1}, {2, 1, 2}},
        {"SAME_UPPER", {1, 3, 5, 6, 7}, {3, 2, 3}, {2, 2, 2}, {}, {}, false, false, "SAME_UPPER"},
    };
    uint32_t seed = 5400;
    for (const auto& c : cases) both(c, seed += 5);
}

PERCEPT_OP_TEST_SUITE(PoolNdTest);

// What the schema accepts and refuses, with the reason.
TEST(PoolSchema, IndicesStorageOrderAndRanks) {
    auto loadError = [](OpGraph& g) -> std::string {
        try {
            detail::modelFromGraph(g.g, "t");
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    {
        OpGraph g;  // Indices as a graph output: refused
        graph::Node& n = g.node("MaxPool", {g.input("x", {1, 2, 4, 4})}, {g.output("y"), g.output("i")});
        setInts(n, "kernel_shape", {2, 2});
        EXPECT_NE(loadError(g).find("Indices output ('i') is read"), std::string::npos);
    }
    {
        OpGraph g;  // an unread Indices output and storage_order 1 (which only orders the Indices): accepted
        graph::Node& n = g.node("MaxPool", {g.input("x", {1, 2, 4, 4})}, {g.output("y"), g.value("i")});
        setInts(n, "kernel_shape", {2, 2});
        setInt(n, "storage_order", 1);
        EXPECT_EQ(loadError(g), "");
        const Tensor x = randomTensor({1, 2, 4, 4}, 77);
        ref::PoolParams p;
        p.strides = {1, 1};
        EXPECT_TRUE(allClose(runGraph(g.g, {x}, Backend::Cpu, 1).at(0), ref::pool2d(x, p, true), 0.0));
    }
    {
        OpGraph g;  // 4 spatial axes
        graph::Node& n = g.node("AveragePool", {g.input("x", {1, 1, 2, 2, 2, 2})}, {g.output("y")});
        setInts(n, "kernel_shape", {1, 1, 1, 1});
        EXPECT_NE(loadError(g).find("only 1-D, 2-D and 3-D"), std::string::npos);
    }
    {
        OpGraph g;
        graph::Node& n = g.node("AveragePool", {g.input("x", {1, 1, 4, 4})}, {g.output("y")});
        setInts(n, "kernel_shape", {2, 2});
        setInt(n, "count_include_pad", 2);
        EXPECT_NE(loadError(g).find("count_include_pad must be 0 or 1"), std::string::npos);
    }
}



}  // namespace
}  // namespace percept::optest
