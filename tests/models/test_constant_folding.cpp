// SPDX-License-Identifier: Apache-2.0
// Constant folding at load time, on hand-built graphs: the integer shape arithmetic exporters
// write (Shape with start/end, Size, Range, Mod, Neg, Abs, Min, Max, comparisons, Where,
// Expand, Tile, NonZero, EyeLike, OneHot, Compress, reductions, N-D Slice / Concat / Gather /
// Transpose / Squeeze / Unsqueeze / Cast) folds to the values ONNX defines; a Resize size chain
// leaves only the Resize; hostile integers fail with the node named instead of overflowing or
// allocating without bound; data-dependent shapes are refused with that reason; and float
// nodes on constants are evaluated once by the CPU kernels (core/fold_with_kernels.h).
#include <gtest/gtest.h>

#include <limits>

#include "common/onnx_builder.h"
#include "engine/op_test_util.h"
#include "graph/passes.h"
#include "graph/shape_inference.h"

namespace percept::testing {
namespace {

using optest::OpGraph;
using optest::setInt;
using optest::setInts;

graph::ConstPtr ints(const Shape& s, const std::vector<int64_t>& v, graph::DType t = graph::DType::Int64) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = t;
    d->shape = s;
    d->i = v;
    return d;
}
graph::ConstPtr floats(const Shape& s, const std::vector<float>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->shape = s;
    d->f = v;
    return d;
}

void setTensor(graph::Node& n, const std::string& key, graph::ConstPtr t) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Tensor;
    a.t = std::move(t);
    n.attrs[key] = a;
}

// Shape inference with folding on a copy of b's graph; returns the graph.
graph::Graph fold(const OpGraph& b) {
    graph::Graph g = b.g;
    graph::sortTopologically(g);
    graph::inferShapesAndFold(g);
    return g;
}

// Expects value `id` of the folded graph to be the integer constant `want` of shape `s`.
void expectInts(const graph::Graph& g, int id, const Shape& s, const std::vector<int64_t>& want, graph::DType t = graph::DType::Int64) {
    const graph::Value& v = g.value(id);
    ASSERT_TRUE(v.constant) << v.name << " was not folded";
    EXPECT_EQ(v.constant->dtype, t) << v.name;
    EXPECT_EQ(v.constant->shape, s) << v.name;
    EXPECT_EQ(v.constant->i, want) << v.name;
}

// A node `op` on the given inputs writing a new value; returns the value.
int add(OpGraph& b, const std::string& op, std::vector<int> in, const std::string& name) {
    const int out = b.value(name);
    b.node(op, std::move(in), {out}, name);
    return out;
}

TEST(ConstantFolding, ShapeArithmetic) {
    OpGraph b(18);
    const int x = b.input("x", {2, 3, 8, 10});
    const int shape = add(b, "Shape", {x}, "shape");
    const int mid = add(b, "Shape", {x}, "mid");
    setInt(b.g.nodes.back(), "start", 1);
    setInt(b.g.nodes.back(), "end", -1);
    const int size = add(b, "Size", {x}, "size");
    const int range = add(b, "Range", {b.g.addConstant("s", ints({}, {10})), b.g.addConstant("l", ints({}, {1})), b.g.addConstant("d", ints({}, {-4}))}, "range");
    const int a = b.g.addConstant("a", ints({4}, {-7, 7, -7, 7})), m = b.g.addConstant("m", ints({4}, {3, 3, -3, -3}));
    const int mod = add(b, "Mod", {a, m}, "mod");
    const int fmod = add(b, "Mod", {a, m}, "fmod");
    setInt(b.g.nodes.back(), "fmod", 1);
    const int neg = add(b, "Neg", {a}, "neg");
    const int abs = add(b, "Abs", {a}, "abs");
    const int mn = add(b, "Min", {a, m, b.g.addConstant("z", ints({}, {0}))}, "min");
    const int mx = add(b, "Max", {a, m}, "max");
    const int eq = add(b, "Equal", {mid, b.g.addConstant("e", ints({2}, {3, 9}))}, "eq");
    const int gt = add(b, "Greater", {a, m}, "gt");
    const int nt = add(b, "Not", {gt}, "not");
    const int both = add(b, "And", {eq, b.g.addConstant("t", ints({2}, {1, 1}, graph::DType::Bool))}, "and");
    const int where = add(b, "Where", {eq, mid, b.g.addConstant("minus1", ints({}, {-1}))}, "where");
    const int prod = add(b, "ReduceProd", {shape}, "prod");
    setInt(b.g.nodes.back(), "keepdims", 0);
    const int sum = add(b, "ReduceSum", {b.g.addConstant("sq", ints({2, 3}, {1, 2, 3, 4, 5, 6})), b.g.addConstant("ax", ints({1}, {1}))}, "sum");
    const int rmax = add(b, "ReduceMax", {b.g.addConstant("mm", ints({2, 2}, {4, -9, 2, 8}))}, "rmax");
    const int expand = add(b, "Expand", {b.g.addConstant("col", ints({2, 1}, {5, 6})), b.g.addConstant("to", ints({2}, {2, 3}))}, "expand");
    const int tile = add(b, "Tile", {b.g.addConstant("row", ints({1, 2}, {7, 8})), b.g.addConstant("reps", ints({2}, {2, 2}))}, "tile");
    const int nz = add(b, "NonZero", {b.g.addConstant("nzin", ints({2, 3}, {0, 1, 0, 2, 0, 3}))}, "nonzero");
    const int eye = add(b, "EyeLike", {b.input("sq2", {3, 4})}, "eye");
    setInt(b.g.nodes.back(), "k", 1);
    setInt(b.g.nodes.back(), "dtype", 7);
    const int hot = add(b, "OneHot", {b.g.addConstant("oh", ints({3}, {0, -1, 5})), b.g.addConstant("depth", ints({}, {3})),
                                      b.g.addConstant("vals", ints({2}, {-1, 9}))},
                        "onehot");
    const int comp = add(b, "Compress", {b.g.addConstant("cin", ints({2, 3}, {1, 2, 3, 4, 5, 6})), b.g.addConstant("cc", ints({3}, {1, 0, 1}, graph::DType::Bool))},
                         "compress");
    setInt(b.g.nodes.back(), "axis", 1);
    const int tr = add(b, "Transpose", {b.g.addConstant("tin", ints({2, 3}, {1, 2, 3, 4, 5, 6}))}, "transpose");
    const int sl = add(b, "Slice", {b.g.addConstant("slin", ints({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})), b.g.addConstant("st", ints({2}, {-1, 3})),
                                    b.g.addConstant("en", ints({2}, {-100, -100})), b.g.addConstant("sa", ints({2}, {0, 1})),
                                    b.g.addConstant("ss", ints({2}, {-2, -2}))},
                       "slice");
    const int cat = add(b, "Concat", {b.g.addConstant("c1", ints({2, 1}, {1, 2})), b.g.addConstant("c2", ints({2, 2}, {3, 4, 5, 6}))}, "concat");
    setInt(b.g.nodes.back(), "axis", 1);
    const int gat = add(b, "Gather", {shape, b.g.addConstant("gi", ints({2}, {-1, 0}))}, "gather");
    const int unsq = add(b, "Unsqueeze", {size, b.g.addConstant("ua", ints({1}, {0}))}, "unsqueeze");
    const int trunc = add(b, "Cast", {b.g.addConstant("fl", floats({3}, {2.7f, -2.7f, 0.5f}))}, "cast");
    setInt(b.g.nodes.back(), "to", 7);
    const int scat = add(b, "ScatterND", {shape, b.g.addConstant("si", ints({1, 1}, {-1})), b.g.addConstant("su", ints({1}, {-1}))}, "scatter");
    b.node("Relu", {x}, {b.output("y")});
    const graph::Graph g = fold(b);
    using graph::DType;
    expectInts(g, shape, {4}, {2, 3, 8, 10});
    expectInts(g, mid, {2}, {3, 8});
    expectInts(g, size, {}, {480});
    expectInts(g, range, {3}, {10, 6, 2});
    expectInts(g, mod, {4}, {2, 1, -1, -2});   // the divisor's sign (Python's %)
    expectInts(g, fmod, {4}, {-1, 1, -1, 1});  // the dividend's sign (C's fmod)
    expectInts(g, neg, {4}, {7, -7, 7, -7});
    expectInts(g, abs, {4}, {7, 7, 7, 7});
    expectInts(g, mn, {4}, {-7, 0, -7, -3});
    expectInts(g, mx, {4}, {3, 7, -3, 7});
    expectInts(g, eq, {2}, {1, 0}, DType::Bool);
    expectInts(g, gt, {4}, {0, 1, 0, 1}, DType::Bool);
    expectInts(g, nt, {4}, {1, 0, 1, 0}, DType::Bool);
    expectInts(g, both, {2}, {1, 0}, DType::Bool);
    expectInts(g, where, {2}, {3, -1});
    expectInts(g, prod, {}, {480});
    expectInts(g, sum, {2, 1}, {6, 15});
    expectInts(g, rmax, {1, 1}, {8});
    expectInts(g, expand, {2, 3}, {5, 5, 5, 6, 6, 6});
    expectInts(g, tile, {2, 4}, {7, 8, 7, 8, 7, 8, 7, 8});
    expectInts(g, nz, {2, 3}, {0, 1, 1, 1, 0, 2});
    expectInts(g, eye, {3, 4}, {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    expectInts(g, hot, {3, 3}, {9, -1, -1, -1, -1, 9, -1, -1, -1});  // 5 is out of range: all off
    expectInts(g, comp, {2, 2}, {1, 3, 4, 6});
    expectInts(g, tr, {3, 2}, {1, 4, 2, 5, 3, 6});
    expectInts(g, sl, {2, 2}, {11, 9, 3, 1});
    expectInts(g, cat, {2, 3}, {1, 3, 4, 2, 5, 6});
    expectInts(g, gat, {2}, {10, 2});
    expectInts(g, unsq, {1}, {480});
    expectInts(g, trunc, {3}, {2, -2, 0});
    expectInts(g, scat, {4}, {2, 3, 8, -1});
}

// PyTorch's interpolate(scale_factor=1.5) exports Shape -> Gather -> Cast -> Mul -> Floor ->
// Cast -> Concat -> Resize(sizes): everything but the Resize folds.
TEST(ConstantFolding, ResizeSizeChainLeavesOnlyTheResize) {
    OnnxBuilder b(13);
    b.input("x", {1, 3, 7, 10}).output("y");
    b.ints("hw", {2}, {2, 3}).ints("nc", {2}, {1, 3}).floats("scale", {}, {1.5f});
    b.node("Shape", {"x"}, {"s"});
    OnnxBuilder::attr(b.node("Gather", {"s", "hw"}, {"g"}), "axis", int64_t{0});
    OnnxBuilder::attr(b.node("Cast", {"g"}, {"gf"}), "to", int64_t{1});
    b.node("Mul", {"gf", "scale"}, {"m"});
    b.node("Floor", {"m"}, {"fl"});
    OnnxBuilder::attr(b.node("Cast", {"fl"}, {"sz"}), "to", int64_t{7});
    OnnxBuilder::attr(b.node("Concat", {"nc", "sz"}, {"sizes"}), "axis", int64_t{0});
    b.node("Resize", {"x", "", "", "sizes"}, {"y"});
    const auto bytes = b.bytes();
    const Model m = Model::fromBytes(bytes.data(), bytes.size(), "chain.onnx");
    ASSERT_EQ(m.nodeCount(), 1u);
    EXPECT_EQ(m.graph().nodes[0].op, graph::OpKind::Resize);
    EXPECT_EQ(m.outputs()[0].shape, (Shape{1, 3, 10, 15}));
}

// Hostile integers: overflow, division by zero and huge results are errors naming the node.
TEST(ConstantFolding, HostileIntegersFailWithTheNodeNamed) {
    const int64_t big = std::numeric_limits<int64_t>::max(), small = std::numeric_limits<int64_t>::min();
    struct Case {
        std::string op;
        std::vector<std::vector<int64_t>> in;  // scalar-ish 1-D inputs
        std::string want;
    };
    const std::vector<Case> cases = {
        {"Mul", {{big}, {2}}, "overflow"},
        {"Add", {{big}, {1}}, "overflow"},
        {"Sub", {{small}, {1}}, "overflow"},
        {"Neg", {{small}}, "overflow"},
        {"Abs", {{small}}, "overflow"},
        {"Div", {{5}, {0}}, "division by zero"},
        {"Div", {{small}, {-1}}, "overflow"},
        {"Mod", {{5}, {0}}, "modulo by zero"},
        {"ReduceProd", {{big, 3}}, "overflow"},
        {"Sum", {{big}, {1}, {1}}, "overflow"},
        {"ConstantOfShape", {{1 << 20, 1 << 20}}, "limit"},
        {"Expand", {{1}, {1 << 30}}, "limit"},
        {"Tile", {{1}, {1 << 27}}, "folds"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.op);
        OpGraph b(13);
        std::vector<int> ins;
        for (size_t k = 0; k < c.in.size(); ++k) ins.push_back(b.constantInts(std::string(1, static_cast<char>('a' + k)), c.in[k]));
        const int v = b.value("v");
        b.node(c.op, ins, {v}, "hostile_" + c.op);
        b.node("Relu", {b.input("x", {1})}, {b.output("y")});
        b.g.outputs.push_back(v);
        try {
            fold(b);
            FAIL() << "folded without an error";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find("hostile_" + c.op), std::string::npos) << msg;
            EXPECT_NE(msg.find(c.want), std::string::npos) << msg;
        }
    }
    // Range: a span that overflows, and one too long to fold.
    for (const auto& se : std::vector<std::pair<int64_t, int64_t>>{{small, big}, {0, big}}) {
        OpGraph b(13);
        const int v = b.value("v");
        b.node("Range", {b.g.addConstant("s", ints({}, {se.first})), b.g.addConstant("l", ints({}, {se.second})), b.g.addConstant("d", ints({}, {1}))}, {v},
               "hostile_range");
        b.node("Relu", {b.input("x", {1})}, {b.output("y")});
        EXPECT_THROW(fold(b), Error);
    }
}

// NonZero of a computed tensor, and Compress by a computed condition, have shapes that depend
// on data: refused with that reason.
TEST(ConstantFolding, DataDependentShapesAreRefused) {
    for (const std::string op : {"NonZero", "Compress"}) {
        OpGraph b(13);
        const int x = b.input("x", {2, 3});
        std::vector<int> ins = {x};
        if (op == "Compress") {
            const int cond = b.value("cond");
            setInt(b.node("Cast", {b.input("c", {3})}, {cond}), "to", 9);
            ins.push_back(cond);
        }
        const int v = b.value("v");
        b.node(op, ins, {v}, "dyn");
        b.g.outputs.push_back(v);
        try {
            detail::modelFromGraph(b.g, "dyn");
            FAIL() << op << " of a computed tensor was accepted";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find("dyn"), std::string::npos) << msg;
            EXPECT_NE(msg.find("depends on"), std::string::npos) << msg;
        }
    }
}

// Float nodes on constants run once at load, through the CPU kernels: a transposed weight put
// through a Sigmoid, and a dequantized weight put through a Softmax (ops the graph folder does
// not evaluate), leave only the layers that read the inputs, with the same numbers.
TEST(ConstantFolding, KernelsFoldWeightPreprocessing) {
    const Tensor w = optest::randomTensor({6, 4}, 1), x = optest::randomTensor({2, 4}, 2), x2 = optest::randomTensor({3, 4}, 3);
    OpGraph b(13);
    const int wt = b.value("wt"), s = b.value("s"), q = b.value("q"), qf = b.value("qf"), dq = b.value("dq"), sm = b.value("sm");
    setInts(b.node("Transpose", {b.constant("w", w)}, {wt}), "perm", {1, 0});  // [4, 6]
    b.node("Sigmoid", {wt}, {s});
    b.node("MatMul", {b.input("x", {2, 4}), s}, {b.output("y1")});
    // int8 weights, zero point and scale: (q - 3) * 0.5, then a softmax over each row
    const std::vector<int64_t> qi = {1, -4, 7, 3, 0, 9, -2, 5};
    setInt(b.node("Cast", {b.g.addConstant("qint", ints({2, 4}, qi))}, {q}), "to", 1);
    b.node("Sub", {q, b.constant("zp", Tensor({}, {3.0f}))}, {qf});
    b.node("Mul", {qf, b.constant("scale", Tensor({}, {0.5f}))}, {dq});
    setInt(b.node("Softmax", {dq}, {sm}), "axis", 1);
    setInt(b.node("Gemm", {b.input("x2", {3, 4}), sm}, {b.output("y2")}), "transB", 1);
    const Model m = detail::modelFromGraph(b.g, "weights");
    ASSERT_EQ(m.nodeCount(), 2u);
    EXPECT_EQ(m.graph().nodes[0].op, graph::OpKind::MatMul);
    EXPECT_EQ(m.graph().nodes[1].op, graph::OpKind::Gemm);
    const auto out = Session::create(m)->run(std::vector<Tensor>{x, x2});
    Tensor wantW({4, 6}), wantQ({2, 4});
    for (int64_t r = 0; r < 6; ++r)
        for (int64_t c = 0; c < 4; ++c) wantW.data[static_cast<size_t>(c * 6 + r)] = 1.0f / (1.0f + std::exp(-w.data[static_cast<size_t>(r * 4 + c)]));
    for (size_t k = 0; k < qi.size(); ++k) wantQ.data[k] = (static_cast<float>(qi[k]) - 3.0f) * 0.5f;
    wantQ = optest::ref::softmax(wantQ, 1, 13);
    EXPECT_TRUE(optest::allClose(out[0], optest::ref::matmul(x, wantW), 1e-5));
    EXPECT_TRUE(optest::allClose(out[1], optest::ref::gemm(x2, wantQ, nullptr, false, true, 1.0f, 0.0f), 1e-5));
}

// A float result above the cap is not folded (not by the graph folder, not by the kernels),
// nor is a node too costly to run at load: the node stays and runs per frame.
TEST(ConstantFolding, LargeFloatResultsAreLeftToRun) {
    OpGraph b(13);
    const int e = b.value("e");
    const int64_t n = (int64_t{64} << 20) / 4 + 16;  // just over 64 MiB of fp32
    b.node("Expand", {b.constant("one", Tensor({1}, {1.0f})), b.constantInts("to", {1, n})}, {e}, "big");
    b.node("Add", {b.input("x", {1, 1}), e}, {b.output("y")});
    const Model m = detail::modelFromGraph(b.g, "big");
    ASSERT_EQ(m.nodeCount(), 2u);
    EXPECT_EQ(m.graph().nodes[0].op, graph::OpKind::Expand);
    // 2 * 2048 * 2048 * 160 multiply-adds: over a GFLOP.
    OpGraph c(13);
    const int a = c.value("a"), w = c.value("w"), p = c.value("p");
    auto fill = [](float v) {
        auto t = std::make_shared<graph::TensorData>();
        t->shape = {};
        t->f = {v};
        return t;
    };
    setTensor(c.node("ConstantOfShape", {c.constantInts("sa", {2048, 2048})}, {a}), "value", fill(0.5f));
    setTensor(c.node("ConstantOfShape", {c.constantInts("sw", {2048, 160})}, {w}), "value", fill(0.25f));
    c.node("MatMul", {a, w}, {p}, "costly");
    c.node("Add", {c.input("x", {1, 160}), p}, {c.output("y")});
    const Model costly = detail::modelFromGraph(c.g, "costly");
    ASSERT_EQ(costly.nodeCount(), 2u);
    EXPECT_EQ(costly.graph().nodes[0].op, graph::OpKind::MatMul);
}

}  // namespace
}  // namespace percept::testing
