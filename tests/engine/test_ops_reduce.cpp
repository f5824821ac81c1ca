// SPDX-License-Identifier: Apache-2.0
// The reductions (ReduceSum ... ReduceLogSumExp, GlobalMaxPool) against naive double-precision
// references written from ONNX's definitions: every op, axes as attribute (opset < 13 / < 18)
// and as constant input (ReduceSum 13+, all 18+), keepdims, noop_with_empty_axes, axes that
// leave several blocks of kept and reduced axes, long reductions (the Vulkan workgroup path,
// the CPU's column chunks and threads), NaN propagation, and what the schema refuses.
#include <gtest/gtest.h>

#include "graph/op_schema.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

// ---- Reference ---------------------------------------------------------------------------

// ONNX's reductions, each from its definition over the values behind one output (double).
double reduceValues(const std::string& op, const std::vector<double>& v) {
    auto sum = [&](auto f) {
        double s = 0.0;
        for (double a : v) s += f(a);
        return s;
    };
    if (op == "ReduceSum") return sum([](double a) { return a; });
    if (op == "ReduceMean") return sum([](double a) { return a; }) / static_cast<double>(v.size());
    if (op == "ReduceL1") return sum([](double a) { return std::fabs(a); });
    if (op == "ReduceL2") return std::sqrt(sum([](double a) { return a * a; }));
    if (op == "ReduceSumSquare") return sum([](double a) { return a * a; });
    if (op == "ReduceLogSum") return std::log(sum([](double a) { return a; }));
    if (op == "ReduceProd") {
        double p = 1.0;
        for (double a : v) p *= a;
        return p;
    }
    if (op == "ReduceMax" || op == "ReduceMin" || op == "ReduceLogSumExp") {
        double m = op == "ReduceMin" ? INFINITY : -INFINITY;
        for (double a : v) {
            if (std::isnan(a)) return a;  // numpy's maximum.reduce propagates NaN
            m = op == "ReduceMin" ? std::min(m, a) : std::max(m, a);
        }
        if (op != "ReduceLogSumExp" || std::isinf(m)) return m;  // all -inf: log(0); a +inf dominates
        // log(sum(exp(x))), shifted by the maximum so that large inputs stay finite.
        return m + std::log(sum([&](double a) { return std::exp(a - m); }));
    }
    throw std::invalid_argument("no reference for " + op);
}

// Reduces x over `axes` (normalised; empty = each element alone, the noop form).
Tensor reduce(const std::string& op, const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
    const size_t rank = x.shape.size();
    std::vector<bool> red(rank, false);
    for (int64_t a : axes) red[static_cast<size_t>(a)] = true;
    Shape full;  // keepdims shape, to index outputs
    for (size_t k = 0; k < rank; ++k) full.push_back(red[k] ? 1 : x.shape[k]);
    std::vector<std::vector<double>> groups(static_cast<size_t>(elementCount(full)));
    for (int64_t i = 0; i < elementCount(x.shape); ++i) {
        auto idx = unravel(i, x.shape);
        for (size_t k = 0; k < rank; ++k)
            if (red[k]) idx[k] = 0;
        groups[static_cast<size_t>(ravel(idx, full))].push_back(x.data[static_cast<size_t>(i)]);
    }
    Shape out;
    for (size_t k = 0; k < rank; ++k)
        if (!red[k] || keepdims) out.push_back(full[k]);
    Tensor y(out);
    for (size_t o = 0; o < groups.size(); ++o) y.data[o] = static_cast<float>(reduceValues(op, groups[o]));
    return y;
}

// ---- Graph building ----------------------------------------------------------------------

// Whether `op` takes its axes as an input at `opset` (ReduceSum from 13, the others from 18).
bool axesAsInput(const std::string& op, int64_t opset) { return op == "ReduceSum" ? opset >= 13 : opset >= 18; }

// A reduction node in the form its opset defines; hasAxes false leaves them out (all axes).
graph::Node& reduceNode(OpGraph& g, const std::string& op, const Shape& s, bool hasAxes, const std::vector<int64_t>& axes, int keepdims) {
    std::vector<int> ins = {g.input("x", s)};
    const bool asInput = axesAsInput(op, g.g.opset);
    if (hasAxes && asInput) ins.push_back(g.constantInts("axes", axes));
    graph::Node& n = g.node(op, ins, {g.output("y")});
    if (hasAxes && !asInput) setInts(n, "axes", axes);
    if (keepdims >= 0) setInt(n, "keepdims", keepdims);
    return n;
}

// Data each reduction is defined on and well conditioned for.
Tensor dataFor(const std::string& op, const Shape& s, uint32_t seed) {
    if (op == "ReduceLogSum") return randomTensor(s, seed, 0.1f, 1.0f);
    if (op == "ReduceProd") return randomTensor(s, seed, 0.9f, 1.1f);
    return randomTensor(s, seed, -2.0f, 2.0f);
}

std::vector<int64_t> normalised(std::vector<int64_t> axes, size_t rank) {
    for (auto& a : axes) a = a < 0 ? a + static_cast<int64_t>(rank) : a;
    std::sort(axes.begin(), axes.end());
    return axes;
}

// runWithOptions for a one-input graph.
Tensor runWith(OpGraph& g, const Tensor& x, const SessionOptions& opt, std::string* device = nullptr) {
    auto out = runWithOptions(g.g, {x}, opt, device);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Tensor() : out[0];
}

// The load pipeline refuses the graph with a message containing `what`.
void expectRefused(OpGraph& g, const std::string& what) {
    try {
        detail::modelFromGraph(g.g, "op-test");
        ADD_FAILURE() << "expected the load to fail with '" << what << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
}

const std::vector<std::string> kReductions = {"ReduceSum",  "ReduceMean", "ReduceMax",       "ReduceMin",    "ReduceProd",
                                              "ReduceL1",   "ReduceL2",   "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

// ---- Tests -------------------------------------------------------------------------------

class ReduceTest : public OpTest {};

TEST_P(ReduceTest, EveryReductionAxesAndKeepdims) {
    struct Case {
        Shape s;
        bool hasAxes;
        std::vector<int64_t> axes;
        int keepdims;  // -1: attribute absent (default 1)
    };
    const std::vector<Case> cases = {
        {{2, 3, 4, 5}, true, {1}, -1},             // middle axis: columns of 20
        {{2, 3, 4, 5}, true, {0, 2}, 0},           // two blocks kept, two reduced
        {{2, 3, 4, 5}, true, {-1}, 1},             // last axis: rows
        {{2, 3, 4, 5}, true, {3, 1}, 0},           // unsorted
        {{2, 3, 4, 5}, false, {}, -1},             // all axes
        {{2, 3, 4, 5}, false, {}, 0},              // all axes to a scalar
        {{7, 1, 300}, true, {2}, 1},               // long rows (Vulkan: a workgroup per output)
        {{3, 200, 5}, true, {1}, 0},               // long strided columns
        {{2, 3, 1, 4, 5, 6}, true, {0, 3, 5}, 1},  // rank 6, three blocks each
        {{1, 64, 33, 33}, true, {1}, 1},           // wide columns: CPU chunks and threads
    };
    uint32_t seed = 20000;
    for (const std::string& op : kReductions)
        for (const Case& c : cases) {
            SCOPED_TRACE(op + " " + shapeToString(c.s) + " axes " + (c.hasAxes ? ::testing::PrintToString(c.axes) : "absent") +
                         " keepdims " + std::to_string(c.keepdims));
            const Tensor x = dataFor(op, c.s, ++seed);
            OpGraph g(13);
            reduceNode(g, op, c.s, c.hasAxes, c.axes, c.keepdims);
            std::vector<int64_t> axes = normalised(c.axes, c.s.size());
            if (!c.hasAxes)
                for (size_t a = 0; a < c.s.size(); ++a) axes.push_back(static_cast<int64_t>(a));
            EXPECT_TRUE(allClose(run1(g, {x}), reduce(op, x, axes, c.keepdims != 0), tol()));
        }
}

TEST_P(ReduceTest, AxesAsAttributeAndAsInputAcrossOpsets) {
    uint32_t seed = 21000;
    const Shape s = {3, 4, 6};
    for (const std::string op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceLogSumExp", "ReduceL2"})
        for (int64_t opset : {11, 13, 18}) {
            SCOPED_TRACE(op + " opset " + std::to_string(opset));
            const Tensor x = dataFor(op, s, ++seed);
            OpGraph g(opset);
            reduceNode(g, op, s, true, {-3, 2}, 0);
            EXPECT_TRUE(allClose(run1(g, {x}), reduce(op, x, {0, 2}, false), tol()));
        }
}

TEST_P(ReduceTest, NoopWithEmptyAxes) {
    const Shape s = {2, 3, 5};
    uint32_t seed = 22000;
    // ReduceSum at opset 13 and the others at 18 take an empty axes input: with
    // noop_with_empty_axes each output is its input; without, everything is reduced.
    for (const std::string op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceLogSumExp"})
        for (int noop : {0, 1}) {
            SCOPED_TRACE(op + " noop " + std::to_string(noop));
            const Tensor x = dataFor(op, s, ++seed);
            OpGraph g(18);
            graph::Node& n = reduceNode(g, op, s, true, {}, 1);
            setInt(n, "noop_with_empty_axes", noop);
            EXPECT_TRUE(allClose(run1(g, {x}), noop ? x : reduce(op, x, {0, 1, 2}, true), tol()));
        }
    // Absent axes input with noop: the same identity.
    const Tensor x = dataFor("ReduceSum", s, ++seed);
    OpGraph g(13);
    setInt(reduceNode(g, "ReduceSum", s, false, {}, 1), "noop_with_empty_axes", 1);
    EXPECT_TRUE(allClose(run1(g, {x}), x, tol()));
}

// Sums over 50k values must match a double reference to 1e-5 relative (a float running sum
// drifts further); along the last axis and down a column.
TEST_P(ReduceTest, LongSumsStayAccurate) {
    struct Case {
        std::string op;
        Shape s;
        std::vector<int64_t> axes;
    };
    const std::vector<Case> cases = {{"ReduceMean", {50000}, {0}},
                                     {"ReduceSum", {1, 50000}, {1}},
                                     {"ReduceMean", {50000, 3}, {0}},
                                     {"ReduceSumSquare", {2, 40000}, {1}},
                                     {"ReduceLogSumExp", {1, 50000}, {1}}};
    uint32_t seed = 23000;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.op + " " + shapeToString(c.s));
        const Tensor x = randomTensor(c.s, ++seed, 0.0f, 2.0f);
        OpGraph g(13);
        reduceNode(g, c.op, c.s, true, c.axes, 1);
        const Tensor got = run1(g, {x}), want = reduce(c.op, x, c.axes, true);
        ASSERT_EQ(got.data.size(), want.data.size());
        for (size_t i = 0; i < got.data.size(); ++i) EXPECT_NEAR(got.data[i], want.data[i], 1e-5 * std::fabs(want.data[i])) << "output " << i;
    }
}

TEST_P(ReduceTest, LargeValuesLogSumExpStaysFinite) {
    const Tensor x({2, 3}, {1000.0f, 1001.0f, 999.0f, -1000.0f, -1001.0f, -999.0f});
    OpGraph g(13);
    reduceNode(g, "ReduceLogSumExp", x.shape, true, {1}, 0);
    EXPECT_TRUE(allClose(run1(g, {x}), reduce("ReduceLogSumExp", x, {1}, false), tol()));
}

TEST_P(ReduceTest, MaxAndMinPropagateNaN) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Row 0 has a NaN first, row 1 in the middle, row 2 none; the last row is all -inf.
    const Tensor x({4, 3}, {nan, 1.0f, 2.0f, 1.0f, nan, -3.0f, 4.0f, -1.0f, 0.5f, -INFINITY, -INFINITY, -INFINITY});
    for (const std::string op : {"ReduceMax", "ReduceMin", "ReduceLogSumExp"}) {
        SCOPED_TRACE(op);
        OpGraph g(13);
        reduceNode(g, op, x.shape, true, {1}, 0);
        SessionOptions opt;
        opt.backend = backend();
        opt.threads = threads();
        const Tensor got = runWith(g, x, opt), want = reduce(op, x, {1}, false);
        ASSERT_EQ(got.data.size(), 4u);
        for (size_t i = 0; i < 4; ++i) {
            if (std::isnan(want.data[i])) EXPECT_TRUE(std::isnan(got.data[i])) << "row " << i << " got " << got.data[i];
            else EXPECT_EQ(got.data[i], want.data[i]) << "row " << i;
        }
    }
}

TEST_P(ReduceTest, GlobalMaxPool) {
    uint32_t seed = 24000;
    for (const Shape& s : {Shape{1, 3, 5, 5}, Shape{2, 16, 7, 9}, Shape{1, 8, 40, 40}, Shape{1, 4, 10}, Shape{1, 2, 3, 4, 5}}) {
        SCOPED_TRACE(shapeToString(s));
        const Tensor x = randomTensor(s, ++seed, -3.0f, 3.0f);
        OpGraph g;
        g.node("GlobalMaxPool", {g.input("x", s)}, {g.output("y")});
        std::vector<int64_t> axes;
        for (size_t a = 2; a < s.size(); ++a) axes.push_back(static_cast<int64_t>(a));
        EXPECT_TRUE(allClose(run1(g, {x}), reduce("ReduceMax", x, axes, true), tol()));
    }
}

// fp16 storage on Vulkan: values stored in half precision, arithmetic in fp32.
TEST_P(ReduceTest, VulkanFp16Storage) {
    if (backend() != Backend::Vulkan) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    uint32_t seed = 25000;
    for (const std::string op : {"ReduceMean", "ReduceMax", "ReduceLogSumExp", "ReduceL2"}) {
        SCOPED_TRACE(op);
        const Shape s = {2, 300, 3};
        const Tensor x = dataFor(op, s, ++seed);
        OpGraph g(13);
        reduceNode(g, op, s, true, {1}, 1);
        SessionOptions opt;
        opt.backend = Backend::Vulkan;
        opt.fp16Storage = true;
        std::string device;
        EXPECT_TRUE(allClose(runWith(g, x, opt, &device), reduce(op, x, {1}, true), 2e-3));
        EXPECT_NE(device.find("fp16 storage"), std::string::npos) << device;
    }
}

TEST_P(ReduceTest, Refusals) {
    {
        SCOPED_TRACE("computed axes");
        OpGraph g(13);
        const int x = g.input("x", {2, 3}), axes = g.input("axes", {1});
        g.node("ReduceSum", {x, axes}, {g.output("y")});
        expectRefused(g, "computed axes are not supported");
    }
    for (const std::string op : {"ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum"}) {
        SCOPED_TRACE(op + " noop_with_empty_axes");
        OpGraph g(18);
        setInt(reduceNode(g, op, {2, 3}, true, {}, 1), "noop_with_empty_axes", 1);
        expectRefused(g, "noop_with_empty_axes");
    }
    {
        SCOPED_TRACE("axes attribute at opset 18");
        OpGraph g(18);
        setInts(g.node("ReduceMean", {g.input("x", {2, 3})}, {g.output("y")}), "axes", {1});
        expectRefused(g, "attribute 'axes' is not part of the op");
    }
    {
        SCOPED_TRACE("axes input before opset 18");
        OpGraph g(13);
        g.node("ReduceMax", {g.input("x", {2, 3}), g.constantInts("axes", {1})}, {g.output("y")});
        expectRefused(g, "as an attribute");
    }
    {
        SCOPED_TRACE("repeated axis");
        OpGraph g(13);
        setInts(g.node("ReduceMean", {g.input("x", {2, 3})}, {g.output("y")}), "axes", {1, -1});
        expectRefused(g, "repeated");
    }
}

PERCEPT_OP_TEST_SUITE(ReduceTest);

}  // namespace
}  // namespace percept::optest
