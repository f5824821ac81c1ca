// SPDX-License-Identifier: Apache-2.0
// The index-mapping ops against naive references written from ONNX's definitions: Slice (every
// opset form, negative and large steps, clamping), Split (attribute, input, num_outputs, equal
// parts), Squeeze / Unsqueeze (attribute and input forms), Expand, Tile, DepthToSpace (DCR,
// CRD), SpaceToDepth, Trilu, and Cast at run time (truncation, bool, float16).
#include <gtest/gtest.h>

#include <functional>

#include "op_test_util.h"

namespace percept::optest {
namespace {

class MoveTest : public OpTest {};

// Python's slice.indices(): the positions a[start:stop:step] takes on an axis of `len` values
// (ONNX's Slice is numpy's basic slicing).
std::vector<int64_t> pythonSlice(int64_t len, int64_t start, int64_t stop, int64_t step) {
    const int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? len - 1 : len;
    auto fix = [&](int64_t v) {
        if (v < 0) v = std::max(v + len, lower);
        return std::min(v, upper);
    };
    std::vector<int64_t> out;
    const int64_t b = fix(start), e = fix(stop);
    for (int64_t i = b; step > 0 ? i < e : i > e; i += step) out.push_back(i);
    return out;
}

// out[i0, i1, ...] = x[picks[0][i0], picks[1][i1], ...].
Tensor pick(const Tensor& x, const std::vector<std::vector<int64_t>>& picks) {
    Shape s;
    for (const auto& p : picks) s.push_back(static_cast<int64_t>(p.size()));
    Tensor y(s);
    for (int64_t i = 0; i < elementCount(s); ++i) {
        auto idx = unravel(i, s);
        for (size_t d = 0; d < idx.size(); ++d) idx[d] = picks[d][static_cast<size_t>(idx[d])];
        y.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel(idx, x.shape))];
    }
    return y;
}

std::vector<int64_t> iota(int64_t n, int64_t from = 0) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(from + i);
    return v;
}

TEST_P(MoveTest, Slice) {
    struct Case {
        Shape s;
        std::vector<int64_t> starts, ends, axes, steps;  // axes/steps empty: defaults
    };
    const int64_t big = INT64_MAX, small = INT64_MIN;
    const std::vector<Case> cases = {
        {{5, 7}, {1, 2}, {4, 6}, {}, {}},
        {{5, 7}, {-4}, {-1}, {1}, {}},                          // negative starts/ends
        {{5, 7}, {0, 6}, {big, small}, {0, 1}, {2, -2}},        // steps both ways, clamped ends
        {{2, 3, 8, 9}, {1, 7}, {8, -100}, {-1, -2}, {3, -3}},   // negative axes, overshooting end
        {{2, 3, 8, 9}, {100}, {200}, {2}, {}},                  // start past the end: empty
        {{3, 4, 5}, {-1, -1, -1}, {small, small, small}, {}, {-1, -1, -1}},  // full reversal
        {{1, 16, 12, 12}, {0, 1, 1}, {16, 12, 12}, {1, 2, 3}, {2, 2, 2}},     // strided subsample
        {{6, 40}, {2}, {38}, {1}, {7}},
    };
    uint32_t seed = 20000;
    for (int64_t opset : {int64_t{9}, int64_t{13}}) {
        for (const auto& c : cases) {
            const bool stepped = !c.steps.empty() && std::any_of(c.steps.begin(), c.steps.end(), [](int64_t s) { return s != 1; });
            if (opset < 10 && stepped) continue;  // opset 9's attributes have no steps
            SCOPED_TRACE(shapeToString(c.s) + " starts " + shapeToString(c.starts) + " ends " + shapeToString(c.ends) + " opset " +
                         std::to_string(opset));
            const Tensor x = randomTensor(c.s, ++seed);
            std::vector<std::vector<int64_t>> picks;
            for (int64_t d : c.s) picks.push_back(iota(d));
            for (size_t k = 0; k < c.starts.size(); ++k) {
                int64_t a = c.axes.empty() ? static_cast<int64_t>(k) : c.axes[k];
                if (a < 0) a += static_cast<int64_t>(c.s.size());
                picks[a] = pythonSlice(c.s[a], c.starts[k], c.ends[k], c.steps.empty() ? 1 : c.steps[k]);
            }
            OpGraph g(opset);
            const int in = g.input("x", c.s), y = g.output("y");
            if (opset < 10) {
                graph::Node& n = g.node("Slice", {in}, {y});
                setInts(n, "starts", c.starts);
                setInts(n, "ends", c.ends);
                if (!c.axes.empty()) setInts(n, "axes", c.axes);
            } else {
                std::vector<int> ins = {in, g.constantInts("starts", c.starts), g.constantInts("ends", c.ends)};
                ins.push_back(c.axes.empty() ? -1 : g.constantInts("axes", c.axes));
                if (!c.steps.empty()) ins.push_back(g.constantInts("steps", c.steps));
                g.node("Slice", ins, {y});
            }
            EXPECT_TRUE(allClose(run1(g, {x}), pick(x, picks), 0.0));
        }
    }
}

TEST_P(MoveTest, Split) {
    const Tensor x = randomTensor({2, 10, 3}, 20100);
    struct Case {
        int64_t opset, axis;
        std::vector<int64_t> sizes;  // empty: equal parts / num_outputs
        int parts;
    };
    const std::vector<Case> cases = {
        {11, 1, {3, 7}, 2}, {13, 1, {2, 0, 5, 3}, 4}, {13, -1, {}, 3}, {13, 0, {}, 2}, {18, 1, {}, 3}, {18, 1, {}, 4}, {18, 2, {1, 2}, 2},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("opset " + std::to_string(c.opset) + " axis " + std::to_string(c.axis) + " sizes " + shapeToString(c.sizes));
        const int64_t axis = c.axis < 0 ? c.axis + 3 : c.axis, dim = x.shape[axis];
        std::vector<int64_t> sizes = c.sizes;
        if (sizes.empty()) {
            // ONNX: equal parts; opset 18's num_outputs: ceil(dim / parts) each, the last smaller.
            const int64_t chunk = c.opset >= 18 ? (dim + c.parts - 1) / c.parts : dim / c.parts;
            for (int k = 0; k < c.parts; ++k) sizes.push_back(k + 1 < c.parts ? chunk : dim - chunk * (c.parts - 1));
        }
        OpGraph g(c.opset);
        std::vector<int> outs;
        for (int k = 0; k < c.parts; ++k) outs.push_back(g.output("y" + std::to_string(k)));
        std::vector<int> ins = {g.input("x", x.shape)};
        if (!c.sizes.empty() && c.opset >= 13) ins.push_back(g.constantInts("split", c.sizes));
        graph::Node& n = g.node("Split", ins, outs);
        setInt(n, "axis", c.axis);
        if (!c.sizes.empty() && c.opset < 13) setInts(n, "split", c.sizes);
        if (c.sizes.empty() && c.opset >= 18) setInt(n, "num_outputs", c.parts);
        const auto got = run(g, {x});
        ASSERT_EQ(got.size(), static_cast<size_t>(c.parts));
        int64_t at = 0;
        for (int k = 0; k < c.parts; ++k) {
            std::vector<std::vector<int64_t>> picks = {iota(2), iota(10), iota(3)};
            picks[axis] = iota(sizes[k], at);
            at += sizes[k];
            EXPECT_TRUE(allClose(got[k], pick(x, picks), 0.0)) << "output " << k;
        }
    }
}

TEST_P(MoveTest, SqueezeUnsqueeze) {
    const Tensor x = randomTensor({1, 3, 1, 4}, 20200);
    for (int64_t opset : {int64_t{11}, int64_t{13}}) {
        struct Case {
            const char* op;
            std::vector<int64_t> axes;
            Shape want;
        };
        const std::vector<Case> cases = {
            {"Squeeze", {0, -2}, {3, 4}}, {"Squeeze", {}, {3, 4}}, {"Squeeze", {2}, {1, 3, 4}},
            {"Unsqueeze", {0, 5}, {1, 1, 3, 1, 4, 1}}, {"Unsqueeze", {-1, 2}, {1, 3, 1, 1, 4, 1}},
        };
        for (const auto& c : cases) {
            SCOPED_TRACE(std::string(c.op) + " axes " + shapeToString(c.axes) + " opset " + std::to_string(opset));
            OpGraph g(opset);
            std::vector<int> ins = {g.input("x", x.shape)};
            if (opset >= 13 && !c.axes.empty()) ins.push_back(g.constantInts("axes", c.axes));
            // A Relu after the view: the view's output is not a graph output, so it may share the
            // input's bytes (graph/memory_planner.h), and the Relu reads through it.
            const int v = g.value("v");
            graph::Node& n = g.node(c.op, ins, {v});
            if (opset < 13 && !c.axes.empty()) setInts(n, "axes", c.axes);
            g.node("Relu", {v}, {g.output("y")});
            const Tensor got = run1(g, {x});
            EXPECT_EQ(got.shape, c.want);
            EXPECT_TRUE(allClose(Tensor(x.shape, got.data), ref::actAll(x, graph::Activation::Relu), 0.0));
        }
    }
}

TEST_P(MoveTest, ExpandAndTile) {
    struct Case {
        Shape in, target;
    };
    for (const auto& c : std::vector<Case>{{{3, 1}, {2, 3, 5}}, {{1, 4, 1, 1}, {1, 4, 6, 7}}, {{2, 1, 3}, {1, 1}}, {{5}, {4, 1, 5}}}) {
        SCOPED_TRACE("Expand " + shapeToString(c.in) + " to " + shapeToString(c.target));
        const Tensor x = randomTensor(c.in, 20300);
        OpGraph g;
        g.node("Expand", {g.input("x", c.in), g.constantInts("shape", c.target)}, {g.output("y")});
        const Tensor want = ref::binary(x, Tensor(c.target), [](float a, float) { return a; });
        EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    }
    struct TileCase {
        Shape in;
        std::vector<int64_t> reps;
    };
    for (const auto& c : std::vector<TileCase>{{{2, 3}, {2, 3}}, {{1, 3, 4, 5}, {1, 1, 2, 1}}, {{3}, {4}}, {{2, 1, 3}, {1, 5, 1}}, {{2, 2}, {0, 2}}}) {
        SCOPED_TRACE("Tile " + shapeToString(c.in) + " x " + shapeToString(c.reps));
        const Tensor x = randomTensor(c.in, 20310);
        std::vector<std::vector<int64_t>> picks;
        for (size_t d = 0; d < c.in.size(); ++d) {
            std::vector<int64_t> p;
            for (int64_t i = 0; i < c.in[d] * c.reps[d]; ++i) p.push_back(i % c.in[d]);  // ONNX: out[i] = in[i mod n]
            picks.push_back(p);
        }
        OpGraph g;
        g.node("Tile", {g.input("x", c.in), g.constantInts("repeats", c.reps)}, {g.output("y")});
        EXPECT_TRUE(allClose(run1(g, {x}), pick(x, picks), 0.0));
    }
}

TEST_P(MoveTest, DepthToSpaceAndBack) {
    const int64_t N = 2, C = 12, H = 3, W = 5, b = 2, Cb = C / (b * b);
    const Tensor x = randomTensor({N, C, H, W}, 20400);
    for (const std::string mode : {"DCR", "CRD"}) {
        SCOPED_TRACE(mode);
        OpGraph g;
        graph::Node& n = g.node("DepthToSpace", {g.input("x", x.shape)}, {g.output("y")});
        setInt(n, "blocksize", b);
        setString(n, "mode", mode);
        Tensor want({N, Cb, H * b, W * b});
        for (int64_t i = 0; i < elementCount(want.shape); ++i) {
            const auto o = unravel(i, want.shape);  // n, c, y, x
            const int64_t bh = o[2] % b, bw = o[3] % b;
            const int64_t ch = mode == "DCR" ? (bh * b + bw) * Cb + o[1] : o[1] * b * b + bh * b + bw;
            want.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel({o[0], ch, o[2] / b, o[3] / b}, x.shape))];
        }
        EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    }
    const Tensor s = randomTensor({N, 3, 6, 4}, 20401);
    OpGraph g;
    setInt(g.node("SpaceToDepth", {g.input("x", s.shape)}, {g.output("y")}), "blocksize", b);
    Tensor want({N, 3 * b * b, 3, 2});
    for (int64_t i = 0; i < elementCount(want.shape); ++i) {
        const auto o = unravel(i, want.shape);
        const int64_t blk = o[1] / 3, c = o[1] % 3, bh = blk / b, bw = blk % b;
        want.data[static_cast<size_t>(i)] = s.data[static_cast<size_t>(ravel({o[0], c, o[2] * b + bh, o[3] * b + bw}, s.shape))];
    }
    EXPECT_TRUE(allClose(run1(g, {s}), want, 0.0));
}

TEST_P(MoveTest, Trilu) {
    const Tensor x = randomTensor({2, 5, 7}, 20500);
    for (int upper : {0, 1})
        for (int64_t k : {int64_t{0}, int64_t{2}, int64_t{-3}, int64_t{9}, int64_t{-9}}) {
            SCOPED_TRACE("upper " + std::to_string(upper) + " k " + std::to_string(k));
            OpGraph g(14);
            std::vector<int> ins = {g.input("x", x.shape)};
            if (k != 0) ins.push_back(g.constantInts("k", {k}));
            setInt(g.node("Trilu", ins, {g.output("y")}), "upper", upper);
            Tensor want = x;
            for (int64_t i = 0; i < elementCount(x.shape); ++i) {
                const auto o = unravel(i, x.shape);
                const bool keep = upper ? o[2] - o[1] >= k : o[2] - o[1] <= k;
                if (!keep) want.data[static_cast<size_t>(i)] = 0.0f;
            }
            EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
        }
}

TEST_P(MoveTest, CastAtRunTime) {
    Tensor x = randomTensor({3, 50}, 20600, -40.0f, 40.0f);
    x.data[0] = 0.0f;
    x.data[1] = -0.0f;
    x.data[2] = 2049.0f;     // not a float16
    x.data[3] = 65519.0f;    // rounds to the largest float16
    x.data[4] = 70000.0f;    // overflows float16
    x.data[5] = 1e-6f;       // a float16 subnormal
    x.data[6] = -2.5f;
    struct Case {
        int64_t to;
        std::function<float(float)> ref;
    };
    // The compiler's own IEEE half (rounding to nearest even) as the reference: GCC 12 has
    // _Float16 in C++ on x86-64, and __fp16 on arm64.
#if defined(__aarch64__)
    using Half = __fp16;
#else
    using Half = _Float16;
#endif
    const std::vector<Case> cases = {
        {7, [](float v) { return std::trunc(v); }},                            // int64: toward zero
        {6, [](float v) { return std::trunc(v); }},                            // int32
        {9, [](float v) { return v != 0.0f ? 1.0f : 0.0f; }},                   // bool
        {10, [](float v) { return static_cast<float>(static_cast<Half>(v)); }},  // float16
        {11, [](float v) { return v; }},                                       // double
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("to " + std::to_string(c.to));
        OpGraph g;
        const bool isFloat = c.to == 10 || c.to == 11;
        const int mid = isFloat ? g.output("y") : g.value("mid");
        setInt(g.node("Cast", {g.input("x", x.shape)}, {mid}), "to", c.to);
        if (!isFloat) setInt(g.node("Cast", {mid}, {g.output("y")}), "to", 1);  // outputs are float
        Tensor want = x;
        for (float& v : want.data) v = c.ref(v);
        const Tensor got = run1(g, {x});
        EXPECT_EQ(got.shape, want.shape);
        EXPECT_EQ(got.data, want.data);  // exact, infinities included
    }
    // CastLike takes the second input's type; casts to types the engine cannot hold are refused.
    OpGraph g;
    const int mid = g.value("mid");
    g.node("CastLike", {g.input("x", x.shape), g.constantInts("like", {1})}, {mid});
    setInt(g.node("Cast", {mid}, {g.output("y")}), "to", 1);
    Tensor want = x;
    for (float& v : want.data) v = std::trunc(v);
    EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    OpGraph bad;
    setInt(bad.node("Cast", {bad.input("x", x.shape)}, {bad.output("y")}, "to_u8"), "to", 2);
    try {
        run1(bad, {x});
        FAIL() << "a cast to uint8 was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("to_u8"), std::string::npos) << e.what();
    }
}

PERCEPT_OP_TEST_SUITE(MoveTest);

}  // namespace
}  // namespace percept::optest
