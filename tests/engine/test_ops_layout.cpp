// SPDX-License-Identifier: Apache-2.0
// Data-movement ops against the references: Concat on every axis, Flatten / Reshape,
// Transpose with several permutations, Pad in constant / reflect / edge modes (opset 2 and 11
// forms); and the CPU registry's error for an op it does not know.
#include <gtest/gtest.h>

#include "core/backend_registry.h"
#include "cpu/kernel.h"
#include "graph/memory_planner.h"
#include "graph/op_schema.h"
#include "graph/strided_view.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

class LayoutTest : public OpTest {};

TEST_P(LayoutTest, Concat) {
    struct Case {
        std::vector<Shape> parts;
        int64_t axis;
    };
    const std::vector<Case> cases = {
        {{{1, 3, 5, 5}, {1, 13, 5, 5}}, 1},                 // SqueezeNet fire module: channels
        {{{1, 64, 28, 28}, {1, 64, 28, 28}}, 1},            // large, one outer row
        {{{1, 2, 4, 3}, {1, 5, 4, 3}, {1, 1, 4, 3}}, -3},   // three inputs, negative axis
        {{{2, 3, 4}, {2, 3, 1}}, 2},                        // last axis
        {{{2, 3, 4}, {1, 3, 4}}, 0},                        // first axis
        {{{2, 7, 40, 40}, {2, 9, 40, 40}}, 1},              // batch 2, parallel over outer
    };
    uint32_t seed = 10000;
    for (const auto& c : cases) {
        SCOPED_TRACE(std::to_string(c.parts.size()) + " inputs, axis " + std::to_string(c.axis));
        OpGraph g;
        std::vector<int> ins;
        std::vector<Tensor> xs;
        for (size_t k = 0; k < c.parts.size(); ++k) {
            ins.push_back(g.input("x" + std::to_string(k), c.parts[k]));
            xs.push_back(randomTensor(c.parts[k], ++seed));
        }
        setInt(g.node("Concat", ins, {g.output("y")}), "axis", c.axis);
        EXPECT_TRUE(allClose(run1(g, xs), ref::concat(xs, c.axis), tol()));
    }
}

TEST_P(LayoutTest, ConcatWithConstantInput) {
    const Tensor x = randomTensor({1, 3, 4, 4}, 10100), k = randomTensor({1, 2, 4, 4}, 10101);
    OpGraph g;
    setInt(g.node("Concat", {g.constant("k", k), g.input("x", x.shape)}, {g.output("y")}), "axis", 1);
    EXPECT_TRUE(allClose(run1(g, {x}), ref::concat({k, x}, 1), tol()));
}

TEST_P(LayoutTest, FlattenAndReshape) {
    const Tensor x = randomTensor({2, 3, 4, 5}, 10200);
    for (int64_t axis : {0, 1, 2, 4, -1}) {
        SCOPED_TRACE("Flatten axis " + std::to_string(axis));
        OpGraph g;
        setInt(g.node("Flatten", {g.input("x", x.shape)}, {g.output("y")}), "axis", axis);
        const Tensor y = run1(g, {x});
        const int64_t a = axis < 0 ? axis + 4 : axis;
        int64_t outer = 1;
        for (int64_t d = 0; d < a; ++d) outer *= x.shape[d];
        EXPECT_TRUE(allClose(y, Tensor({outer, 120 / outer}, x.data), 0.0));
    }
    for (const std::vector<int64_t>& spec : {std::vector<int64_t>{6, 20}, {-1, 5}, {0, 0, -1}, {120}, {2, 3, 2, 2, 5}}) {
        SCOPED_TRACE("Reshape " + shapeToString(spec));
        OpGraph g;
        g.node("Reshape", {g.input("x", x.shape), g.constantInts("shape", spec)}, {g.output("y")});
        const Tensor y = run1(g, {x});
        EXPECT_EQ(y.data, x.data);
        EXPECT_EQ(elementCount(y.shape), 120);
    }
}

TEST_P(LayoutTest, Transpose) {
    struct Case {
        Shape s;
        std::vector<int64_t> perm;  // empty: the default (reverse)
    };
    const std::vector<Case> cases = {
        {{3, 5}, {1, 0}},
        {{3, 5}, {}},
        {{2, 3, 4, 5}, {0, 2, 3, 1}},   // NCHW -> NHWC
        {{2, 4, 5, 3}, {0, 3, 1, 2}},   // NHWC -> NCHW
        {{2, 3, 4, 5}, {0, 1, 3, 2}},   // swap the last two
        {{2, 3, 4, 5}, {1, 0, 2, 3}},   // leading swap: contiguous rows
        {{2, 3, 4, 5}, {3, 2, 1, 0}},
        {{2, 1, 4, 1, 3}, {4, 1, 0, 3, 2}},  // size-1 axes
        {{2, 3, 4}, {0, 1, 2}},          // identity
        {{1, 64, 32, 48}, {0, 2, 3, 1}}, // large
        {{2, 3, 2, 3, 2, 2}, {5, 0, 3, 1, 4, 2}},
    };
    uint32_t seed = 10300;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + " perm " + shapeToString(c.perm));
        const Tensor x = randomTensor(c.s, ++seed);
        OpGraph g;
        graph::Node& n = g.node("Transpose", {g.input("x", c.s)}, {g.output("y")});
        std::vector<int64_t> perm = c.perm;
        if (perm.empty())
            for (int64_t d = static_cast<int64_t>(c.s.size()) - 1; d >= 0; --d) perm.push_back(d);
        else
            setInts(n, "perm", perm);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::transpose(x, perm), 0.0));
    }
}

TEST_P(LayoutTest, Pad) {
    struct Case {
        Shape s;
        std::vector<int64_t> pads;
        std::string mode;
        float value;
    };
    const std::vector<Case> cases = {
        {{1, 3, 5, 6}, {0, 0, 1, 2, 0, 0, 2, 1}, "constant", 0.0f},
        {{1, 3, 5, 6}, {0, 0, 1, 2, 0, 0, 2, 1}, "constant", -1.5f},
        {{1, 3, 5, 6}, {0, 1, 0, 0, 0, 2, 0, 0}, "constant", 3.0f},   // channel pads
        {{1, 3, 5, 6}, {0, 0, 2, 3, 0, 0, 4, 5}, "reflect", 0.0f},
        {{1, 3, 5, 6}, {0, 0, 3, 1, 0, 0, 0, 2}, "edge", 0.0f},
        {{2, 4, 3}, {1, 2, 2, 1, 0, 2}, "reflect", 0.0f},
        {{2, 4, 3}, {1, 0, 2, 1, 3, 2}, "edge", 0.0f},
        {{7}, {2, 3}, "constant", 1.0f},
        {{7}, {3, 2}, "reflect", 0.0f},
        {{1, 1, 1, 1}, {0, 0, 2, 2, 0, 0, 1, 1}, "edge", 0.0f},
        {{1, 16, 64, 64}, {0, 0, 1, 1, 0, 0, 1, 1}, "constant", 0.0f},  // large
        {{1, 3, 6, 6}, {0, 0, 0, 0, 0, 0, 0, 0}, "reflect", 0.0f},      // no padding at all
    };
    uint32_t seed = 10500;
    for (int64_t opset : {int64_t{10}, int64_t{13}}) {
        for (const auto& c : cases) {
            SCOPED_TRACE(c.mode + " " + shapeToString(c.s) + " pads " + shapeToString(c.pads) + " opset " + std::to_string(opset));
            const Tensor x = randomTensor(c.s, ++seed);
            OpGraph g(opset);
            const int in = g.input("x", c.s);
            const int y = g.output("y");
            if (opset >= 11) {
                std::vector<int> ins = {in, g.constantInts("pads", c.pads)};
                if (c.value != 0.0f) ins.push_back(g.constant("value", Tensor({}, {c.value})));
                setString(g.node("Pad", ins, {y}), "mode", c.mode);
            } else {
                graph::Node& n = g.node("Pad", {in}, {y});
                setInts(n, "pads", c.pads);
                setString(n, "mode", c.mode);
                if (c.value != 0.0f) setFloat(n, "value", c.value);
            }
            EXPECT_TRUE(allClose(run1(g, {x}), ref::pad(x, c.pads, c.mode, c.value), 0.0));
        }
    }
}

// Opset 18's axes input (pads for some axes only) and opset 19's wrap mode.
TEST_P(LayoutTest, PadAxesAndWrap) {
    const Tensor x = randomTensor({2, 3, 4, 5}, 10600);
    struct Case {
        std::vector<int64_t> axes, pads;  // pads over `axes` (begins, then ends)
        std::string mode;
        std::vector<int64_t> full;        // the same pads over every axis
    };
    const std::vector<Case> cases = {
        {{-1, 2}, {1, 2, 3, 0}, "constant", {0, 0, 2, 1, 0, 0, 0, 3}},
        {{3}, {2, 4}, "reflect", {0, 0, 0, 2, 0, 0, 0, 4}},
        {{0, 1, 2, 3}, {0, 1, 3, 6, 1, 0, 9, 7}, "wrap", {0, 1, 3, 6, 1, 0, 9, 7}},  // pads beyond the axis wrap around again
        {{2, 3}, {1, 0, 0, 2}, "wrap", {0, 0, 1, 0, 0, 0, 0, 2}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.mode + " axes " + shapeToString(c.axes) + " pads " + shapeToString(c.pads));
        OpGraph g(19);
        setString(g.node("Pad", {g.input("x", x.shape), g.constantInts("pads", c.pads), -1, g.constantInts("axes", c.axes)}, {g.output("y")}), "mode",
                  c.mode);
        Tensor want;
        if (c.mode == "wrap") {
            // numpy.pad(mode="wrap"): index i reads (i - begin) mod n.
            Shape s = x.shape;
            for (size_t d = 0; d < 4; ++d) s[d] += c.full[d] + c.full[d + 4];
            want = Tensor(s);
            for (int64_t i = 0; i < elementCount(s); ++i) {
                auto o = unravel(i, s);
                for (size_t d = 0; d < 4; ++d) o[d] = ((o[d] - c.full[d]) % x.shape[d] + x.shape[d]) % x.shape[d];
                want.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel(o, x.shape))];
            }
        } else {
            want = ref::pad(x, c.full, c.mode, 0.0f);
        }
        EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    }
}

// ShuffleNet's channel shuffle, Reshape [N, g, C/g, H, W] -> Transpose(0, 2, 1, 3, 4) -> Reshape
// back: the transpose is one copy of contiguous H*W runs (its view merges H and W), and both
// reshapes share their input's bytes (no copy at all).
TEST_P(LayoutTest, ChannelShuffle) {
    const int64_t C = 24, G = 3, H = 5, W = 7;
    const Tensor x = randomTensor({1, C, H, W}, 10700);
    OpGraph g;
    const int a = g.value("a"), r = g.value("r"), t = g.value("t"), s = g.value("s");
    g.node("Relu", {g.input("x", x.shape)}, {a});
    g.node("Reshape", {a, g.constantInts("to5", {1, G, C / G, H, W})}, {r});
    setInts(g.node("Transpose", {r}, {t}), "perm", {0, 2, 1, 3, 4});
    g.node("Reshape", {t, g.constantInts("to4", {1, C, H, W})}, {s});
    g.node("Relu", {s}, {g.output("y")});
    Tensor want({1, C, H, W});
    for (int64_t c = 0; c < C; ++c)  // output channel c = j * G + i reads input channel i * (C/G) + j
        for (int64_t p = 0; p < H * W; ++p)
            want.data[static_cast<size_t>(c * H * W + p)] = std::max(0.0f, x.data[static_cast<size_t>(((c % G) * (C / G) + c / G) * H * W + p)]);
    Stats stats;
    EXPECT_TRUE(allClose(run1(g, {x}, &stats), want, 0.0));
    const Model m = detail::modelFromGraph(g.g, "shuffle");
    const graph::Graph& mg = m.graph();
    const auto plan = graph::planMemory(mg);
    int views = 0;
    for (const graph::Node& n : mg.nodes) {
        if (n.op == graph::OpKind::Transpose) {
            const graph::StridedView v = graph::viewOf(mg, n);
            EXPECT_EQ(v.dims, (std::vector<int64_t>{C / G, G, H * W}));
            EXPECT_EQ(v.st.back(), 1);
        }
        if (n.op == graph::OpKind::Reshape) {
            EXPECT_GE(plan.aliasOf[static_cast<size_t>(n.outputs[0])], 0) << n.name;
            ++views;
        }
    }
    EXPECT_EQ(views, 2);
    for (const LayerStats& l : stats.layers) {
        if (l.op == "Transpose") {
            EXPECT_EQ(l.algo, backend() == Backend::Cpu ? "copy-rows" : "strided");
        }
    }
}

// An output that folds to a constant (it depends on initializers only) is returned beside the
// computed ones; a graph whose every output folds is refused.
TEST_P(LayoutTest, ConstantOutputBesideComputedOne) {
    const Tensor x = randomTensor({2, 3}, 4700);
    OpGraph g;
    g.node("Relu", {g.input("x", x.shape)}, {g.output("y")});
    g.node("Add", {g.constant("a", Tensor({3}, {1, 2, 3})), g.constant("b", Tensor({3}, {10, 20, 30}))}, {g.output("c")});
    const auto out = run(g, {x});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(allClose(out[0], ref::actAll(x, graph::Activation::Relu), 0.0));
    EXPECT_EQ(out[1].shape, Shape({3}));
    EXPECT_EQ(out[1].data, (std::vector<float>{11, 22, 33}));

    OpGraph only;
    only.input("x", x.shape);
    only.node("Add", {only.constant("a", Tensor({3}, {1, 2, 3})), only.constant("b", Tensor({3}, {10, 20, 30}))}, {only.output("c")});
    EXPECT_THROW(detail::modelFromGraph(only.g, "constant-only"), Error);
}

// A graph that is only an Identity (or an inference-mode Dropout) has no node left to run:
// the session hands the input through.
TEST_P(LayoutTest, IdentityOnlyGraph) {
    const Tensor x = randomTensor({2, 5}, 4800);
    for (const char* op : {"Identity", "Dropout"}) {
        OpGraph g;
        g.node(op, {g.input("x", x.shape)}, {g.output("y")});
        EXPECT_TRUE(allClose(run1(g, {x}), x, 0.0)) << op;
    }
}

PERCEPT_OP_TEST_SUITE(LayoutTest);

// A node the CPU backend has no kernel for (shape arithmetic, folded at load time) is an
// error naming the node and the reason, from makeKernel and from supportsOp alike.
TEST(CpuRegistry, MissingKernelNamesTheNode) {
    graph::Graph g;
    g.opset = 13;
    const int x = g.addValue("x");
    g.value(x).shape = {1, 3};
    g.value(x).shapeKnown = true;
    const int y = g.addValue("y");
    g.value(y).shape = {2};
    g.value(y).shapeKnown = true;
    graph::Node n;
    n.op = graph::OpKind::Shape;
    n.name = "weird_node";
    n.inputs = {x};
    n.outputs = {y};
    std::string why;
    EXPECT_FALSE(detail::supportsOp(Backend::Cpu, g, n, &why));
    EXPECT_NE(why.find("folded"), std::string::npos) << why;
    const Tuning tuning;
    const cpu::KernelConfig cfg{cpu::cpuKernels(cpu::Isa::Generic), tuning, 1};
    try {
        cpu::makeKernel(g, n, cfg);
        FAIL() << "expected percept::Error";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("Shape"), std::string::npos) << msg;
        EXPECT_NE(msg.find("weird_node"), std::string::npos) << msg;
    }
}

// Every op whose schema runs it (not shape arithmetic folded at load time) has a kernel on
// every backend compiled in: a gap shows here, not when a user's model meets it.
TEST(OpTable, EveryRunnableOpRunsOnEveryBackend) {
    graph::Graph g;
    for (size_t k = 0; k < graph::kOpCount; ++k) {
        const auto kind = static_cast<graph::OpKind>(k);
        const graph::OpSchema& s = graph::schemaOf(kind);
        if (!s.infer) continue;
        graph::Node n;
        n.op = kind;
        n.name = "n";
        for (Backend b : opTestBackends()) {
            std::string why;
            EXPECT_TRUE(detail::supportsOp(b, g, n, &why)) << graph::opName(kind) << " on " << backendName(b) << ": " << why;
        }
    }
}

}  // namespace
}  // namespace percept::optest
