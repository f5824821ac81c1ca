// SPDX-License-Identifier: Apache-2.0
// The ops along one axis besides the reductions: Softmax, LogSoftmax and Hardmax (the opset
// < 13 2-D coercion and the 13+ single axis), ArgMax / ArgMin (keepdims, select_last_index,
// ties and NaN as numpy orders them) and CumSum (exclusive, reverse, the axis as an int32 or
// int64 scalar, 0-D or 1-D), against naive references written from ONNX's definitions.
#include <gtest/gtest.h>

#include "graph/half.h"
#include "graph/op_schema.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

// x seen as [outer, len, inner] around `axis`, as the ops at `opset` see it.
struct Split {
    int64_t outer = 1, len = 1, inner = 1;
};
Split splitAt(const Shape& s, int64_t axis, bool toEnd) {
    Split r;
    if (axis < 0) axis += static_cast<int64_t>(s.size());
    for (int64_t k = 0; k < static_cast<int64_t>(s.size()); ++k) {
        if (k < axis) r.outer *= s[k];
        else if (k == axis || toEnd) r.len *= s[k];
        else r.inner *= s[k];
    }
    return r;
}

// ---- References --------------------------------------------------------------------------

// log(softmax(x)) = x - max - log(sum(exp(x - max))), in double.
Tensor logSoftmax(const Tensor& x, int64_t axis, int64_t opset) {
    const Split s = splitAt(x.shape, axis, opset < 13);
    Tensor y(x.shape);
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t j = 0; j < s.inner; ++j) {
            auto at = [&](int64_t k) { return static_cast<size_t>((o * s.len + k) * s.inner + j); };
            double m = -INFINITY, sum = 0.0;
            for (int64_t k = 0; k < s.len; ++k) m = std::max(m, static_cast<double>(x.data[at(k)]));
            for (int64_t k = 0; k < s.len; ++k) sum += std::exp(x.data[at(k)] - m);
            for (int64_t k = 0; k < s.len; ++k) y.data[at(k)] = static_cast<float>(x.data[at(k)] - m - std::log(sum));
        }
    return y;
}

// numpy's argmax / argmin over n values spaced `stride` apart: the first NaN if any, else the
// first extreme. ONNX's select_last_index is the same on the reversed axis.
int64_t numpyArg(const float* x, int64_t n, int64_t stride, bool isMax, bool last) {
    auto value = [&](int64_t k) { return x[(last ? n - 1 - k : k) * stride]; };
    int64_t best = 0;
    for (int64_t k = 0; k < n; ++k) {
        if (std::isnan(value(k))) {
            best = k;
            break;
        }
        if (isMax ? value(k) > value(best) : value(k) < value(best)) best = k;
    }
    return last ? n - 1 - best : best;
}

// 1 at the first maximum of each slice along the axis, 0 elsewhere.
Tensor hardmax(const Tensor& x, int64_t axis, int64_t opset) {
    const Split s = splitAt(x.shape, axis, opset < 13);
    Tensor y(x.shape);
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t j = 0; j < s.inner; ++j) {
            const int64_t base = o * s.len * s.inner + j;
            y.data[static_cast<size_t>(base + numpyArg(x.data.data() + base, s.len, s.inner, true, false) * s.inner)] = 1.0f;
        }
    return y;
}

Tensor argExtreme(const Tensor& x, int64_t axis, bool keepdims, bool isMax, bool last) {
    if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
    const Split s = splitAt(x.shape, axis, false);
    Shape out = x.shape;
    if (keepdims) out[static_cast<size_t>(axis)] = 1;
    else out.erase(out.begin() + axis);
    Tensor y(out);
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t j = 0; j < s.inner; ++j)
            y.data[static_cast<size_t>(o * s.inner + j)] =
                static_cast<float>(numpyArg(x.data.data() + o * s.len * s.inner + j, s.len, s.inner, isMax, last));
    return y;
}

Tensor cumSum(const Tensor& x, int64_t axis, bool exclusive, bool reverse) {
    const Split s = splitAt(x.shape, axis, false);
    Tensor y(x.shape);
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t j = 0; j < s.inner; ++j)
            for (int64_t k = 0; k < s.len; ++k) {
                // y[k] = sum of x[i] for i before k (or up to k), counted from the end if reverse.
                double sum = 0.0;
                for (int64_t i = 0; i < s.len; ++i) {
                    const bool before = reverse ? i > k : i < k;
                    if (before || (!exclusive && i == k)) sum += x.data[static_cast<size_t>((o * s.len + i) * s.inner + j)];
                }
                y.data[static_cast<size_t>((o * s.len + k) * s.inner + j)] = static_cast<float>(sum);
            }
    return y;
}

// ---- Softmax, LogSoftmax, Hardmax --------------------------------------------------------

class SoftmaxFamilyTest : public OpTest {};

struct AxisCase {
    Shape s;
    int64_t opset;
    bool hasAxis;
    int64_t axis;
};
const std::vector<AxisCase> kAxisCases = {
    {{1, 1000}, 13, false, 0},       // classifier output, default axis -1
    {{1, 1000}, 11, false, 0},       // default axis 1
    {{2, 3, 4}, 11, false, 0},       // coerced to [2, 12]
    {{2, 3, 4}, 11, true, 0},        // coerced to [1, 24]
    {{2, 3, 4}, 11, true, -1},       // rows of 4
    {{2, 3, 4}, 13, false, 0},       // last axis
    {{2, 5, 3, 4}, 13, true, 1},     // single axis in the middle: strided
    {{2, 5, 3, 4}, 13, true, 0},     // first axis
    {{3, 7, 2}, 13, true, -2},
    {{1, 10, 64, 64}, 13, true, 1},  // large, strided, parallel
    {{3, 70, 197}, 13, false, 0},    // attention's rows (Vulkan: a workgroup per row)
    {{2, 65}, 11, false, 0},         // rows of 65: one lane of the workgroup takes two
};

TEST_P(SoftmaxFamilyTest, SoftmaxOpset11And13Axes) {
    uint32_t seed = 9000;
    for (const auto& c : kAxisCases) {
        SCOPED_TRACE(shapeToString(c.s) + " opset " + std::to_string(c.opset) + " axis " + (c.hasAxis ? std::to_string(c.axis) : "default"));
        const Tensor x = randomTensor(c.s, ++seed, -8.0f, 8.0f);
        OpGraph g(c.opset);
        graph::Node& n = g.node("Softmax", {g.input("x", c.s)}, {g.output("y")});
        if (c.hasAxis) setInt(n, "axis", c.axis);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::softmax(x, c.hasAxis ? c.axis : (c.opset >= 13 ? -1 : 1), c.opset), tol()));
    }
}

TEST_P(SoftmaxFamilyTest, SoftmaxLargeLogitsStayFinite) {
    Tensor x({1, 4}, {1000.0f, 1001.0f, -1000.0f, 999.0f});
    OpGraph g;
    g.node("Softmax", {g.input("x", x.shape)}, {g.output("y")});
    EXPECT_TRUE(allClose(run1(g, {x}), ref::softmax(x, -1, 13), tol()));
}

TEST_P(SoftmaxFamilyTest, LogSoftmaxOpset11And13Axes) {
    uint32_t seed = 30000;
    for (const auto& c : kAxisCases) {
        SCOPED_TRACE(shapeToString(c.s) + " opset " + std::to_string(c.opset) + " axis " + (c.hasAxis ? std::to_string(c.axis) : "default"));
        const Tensor x = randomTensor(c.s, ++seed, -8.0f, 8.0f);
        OpGraph g(c.opset);
        graph::Node& n = g.node("LogSoftmax", {g.input("x", c.s)}, {g.output("y")});
        if (c.hasAxis) setInt(n, "axis", c.axis);
        EXPECT_TRUE(allClose(run1(g, {x}), logSoftmax(x, c.hasAxis ? c.axis : (c.opset >= 13 ? -1 : 1), c.opset), tol()));
    }
}

TEST_P(SoftmaxFamilyTest, LogSoftmaxLargeLogits) {
    const Tensor x({2, 4}, {1000.0f, 1001.0f, -1000.0f, 999.0f, -5.0f, 0.0f, 5.0f, 3.0f});
    OpGraph g;
    g.node("LogSoftmax", {g.input("x", x.shape)}, {g.output("y")});
    EXPECT_TRUE(allClose(run1(g, {x}), logSoftmax(x, -1, 13), tol()));
}

TEST_P(SoftmaxFamilyTest, HardmaxOpset11And13Axes) {
    uint32_t seed = 31000;
    for (const auto& c : kAxisCases) {
        SCOPED_TRACE(shapeToString(c.s) + " opset " + std::to_string(c.opset) + " axis " + (c.hasAxis ? std::to_string(c.axis) : "default"));
        Tensor x = randomTensor(c.s, ++seed, -4.0f, 4.0f);
        for (float& v : x.data) v = std::round(v);  // ties: the first maximum wins
        OpGraph g(c.opset);
        graph::Node& n = g.node("Hardmax", {g.input("x", c.s)}, {g.output("y")});
        if (c.hasAxis) setInt(n, "axis", c.axis);
        EXPECT_TRUE(allClose(run1(g, {x}), hardmax(x, c.hasAxis ? c.axis : (c.opset >= 13 ? -1 : 1), c.opset), 0.0));
    }
}

TEST_P(SoftmaxFamilyTest, HardmaxTiesAndNaN) {
    // ONNX's test_hardmax_one_hot: ties go to the first; a NaN wins, as in numpy's argmax.
    const Tensor x({3, 4}, {3.0f, 3.0f, 3.0f, 1.0f, 1.0f, std::numeric_limits<float>::quiet_NaN(), 5.0f, 5.0f, -1.0f, -1.0f, -2.0f, -1.0f});
    OpGraph g;
    g.node("Hardmax", {g.input("x", x.shape)}, {g.output("y")});
    const Tensor want({3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0});
    EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    EXPECT_TRUE(allClose(hardmax(x, -1, 13), want, 0.0));  // the reference agrees
}

// fp16 storage on Vulkan: values stored in half precision, arithmetic in fp32.
TEST_P(SoftmaxFamilyTest, VulkanFp16Storage) {
    if (backend() != Backend::Vulkan) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    const Shape s = {2, 5, 3, 4};
    const Tensor x = randomTensor(s, 31500, -4.0f, 4.0f);
    for (const std::string op : {"LogSoftmax", "Hardmax"})
        for (int64_t opset : {11, 13}) {
            SCOPED_TRACE(op + " opset " + std::to_string(opset));
            OpGraph g(opset);
            setInt(g.node(op, {g.input("x", s)}, {g.output("y")}), "axis", 1);
            SessionOptions opt;
            opt.backend = Backend::Vulkan;
            opt.fp16Storage = true;
            std::string device;
            const auto out = runWithOptions(g.g, {x}, opt, &device);
            EXPECT_NE(device.find("fp16 storage"), std::string::npos) << device;
            // Hardmax's maxima compare values rounded to fp16, so its reference reads them too.
            Tensor xh = x;
            for (float& v : xh.data) v = graph::halfToFloat(graph::floatToHalf(v));
            const Tensor want = op == "Hardmax" ? hardmax(xh, 1, opset) : logSoftmax(x, 1, opset);
            ASSERT_EQ(out.size(), 1u);
            EXPECT_TRUE(allClose(out[0], want, 1e-2));
        }
}

PERCEPT_OP_TEST_SUITE(SoftmaxFamilyTest);

// ---- ArgMax, ArgMin ----------------------------------------------------------------------

// ArgMax's indices are an int64 tensor, which a graph output may not be (the engine's outputs
// are float32): the tests read them through Cast(to=FLOAT), which runs once the data-movement
// ops land (until then Cast is folded-only and these tests say so).
class ArgExtremeTest : public OpTest {
protected:
    Tensor runArg(const std::string& op, const Tensor& x, int64_t axis, int keepdims, int last) {
        OpGraph g(13);
        const int idx = g.value("indices");
        graph::Node& n = g.node(op, {g.input("x", x.shape)}, {idx});
        setInt(n, "axis", axis);
        if (keepdims >= 0) setInt(n, "keepdims", keepdims);
        if (last >= 0) setInt(n, "select_last_index", last);
        setInt(g.node("Cast", {idx}, {g.output("y")}), "to", 1);
        return run1(g, {x});
    }
};

TEST_P(ArgExtremeTest, AxesKeepdimsSelectLastIndex) {
    uint32_t seed = 32000;
    for (const Shape& s : {Shape{3, 4, 5}, Shape{1, 1000}, Shape{2, 70, 3}})
        for (int64_t axis = -static_cast<int64_t>(s.size()); axis < static_cast<int64_t>(s.size()); ++axis)
            for (const std::string op : {"ArgMax", "ArgMin"})
                for (int keepdims : {-1, 0})
                    for (int last : {-1, 1}) {
                        SCOPED_TRACE(op + " " + shapeToString(s) + " axis " + std::to_string(axis) + " keepdims " + std::to_string(keepdims) +
                                     " select_last_index " + std::to_string(last));
                        Tensor x = randomTensor(s, ++seed, -3.0f, 3.0f);
                        for (float& v : x.data) v = std::round(v);  // many ties
                        EXPECT_TRUE(allClose(runArg(op, x, axis, keepdims, last), argExtreme(x, axis, keepdims != 0, op == "ArgMax", last == 1), 0.0));
                    }
}

TEST_P(ArgExtremeTest, NaNWinsAsInNumpy) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor x({2, 5}, {1.0f, nan, 7.0f, nan, -2.0f, 4.0f, 4.0f, -1.0f, 4.0f, -1.0f});
    for (const std::string op : {"ArgMax", "ArgMin"})
        for (int last : {0, 1}) {
            SCOPED_TRACE(op + " select_last_index " + std::to_string(last));
            const Tensor want = argExtreme(x, 1, false, op == "ArgMax", last == 1);
            EXPECT_EQ(want.data[0], last ? 3.0f : 1.0f);  // the reference follows numpy
            EXPECT_TRUE(allClose(runArg(op, x, 1, 0, last), want, 0.0));
        }
}

PERCEPT_OP_TEST_SUITE(ArgExtremeTest);

TEST(ArgExtremeSchema, RefusesAxesBeyondExactFloatIndices) {
    OpGraph g(13);
    const int idx = g.value("indices");
    setInt(g.node("ArgMax", {g.input("x", {1, (int64_t{1} << 24) + 1})}, {idx}), "axis", 1);
    setInt(g.node("Cast", {idx}, {g.output("y")}), "to", 1);
    try {
        detail::modelFromGraph(g.g, "op-test");
        ADD_FAILURE() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("2^24"), std::string::npos) << e.what();
    }
}

// ---- CumSum ------------------------------------------------------------------------------

class CumSumTest : public OpTest {};

// The axis input: a 0-D tensor as the spec has it, or the 1-D one-value form exporters write.
// (The importer holds int32 and int64 constants alike, as Int64 data.)
graph::ConstPtr scalarAxis(int64_t axis, bool zeroD) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Int64;
    d->shape = zeroD ? Shape{} : Shape{1};
    d->i = {axis};
    return d;
}

TEST_P(CumSumTest, AxesExclusiveReverse) {
    uint32_t seed = 33000;
    for (const Shape& s : {Shape{5}, Shape{2, 3, 4}, Shape{3, 300}, Shape{2, 64, 40}})
        for (int64_t axis = -static_cast<int64_t>(s.size()); axis < static_cast<int64_t>(s.size()); ++axis)
            for (int exclusive : {0, 1})
                for (int reverse : {0, 1}) {
                    SCOPED_TRACE(shapeToString(s) + " axis " + std::to_string(axis) + " exclusive " + std::to_string(exclusive) + " reverse " +
                                 std::to_string(reverse));
                    const Tensor x = randomTensor(s, ++seed, -2.0f, 2.0f);
                    OpGraph g(14);
                    graph::Node& n = g.node("CumSum", {g.input("x", s), g.g.addConstant("axis", scalarAxis(axis, seed % 2 == 0))}, {g.output("y")});
                    if (exclusive) setInt(n, "exclusive", 1);
                    if (reverse) setInt(n, "reverse", 1);
                    EXPECT_TRUE(allClose(run1(g, {x}), cumSum(x, axis, exclusive != 0, reverse != 0), tol()));
                }
}

TEST_P(CumSumTest, LongAxisStaysAccurate) {
    const Shape s = {2, 20000};
    const Tensor x = randomTensor(s, 33999, 0.0f, 2.0f);
    OpGraph g(14);
    g.node("CumSum", {g.input("x", s), g.g.addConstant("axis", scalarAxis(1, false))}, {g.output("y")});
    const Tensor got = run1(g, {x});
    ASSERT_EQ(got.data.size(), x.data.size());
    for (int64_t r = 0; r < 2; ++r) {
        double sum = 0.0;  // cumSum()'s quadratic loop, as a running sum: 20000^2 is too slow
        for (int64_t k = 0; k < s[1]; ++k) {
            const size_t i = static_cast<size_t>(r * s[1] + k);
            sum += x.data[i];
            EXPECT_NEAR(got.data[i], sum, 1e-5 * std::fabs(sum) + 1e-6) << i;
        }
    }
}

TEST_P(CumSumTest, RefusesComputedAxis) {
    OpGraph g(14);
    g.node("CumSum", {g.input("x", {2, 3}), g.input("axis", {1})}, {g.output("y")});
    EXPECT_THROW(detail::modelFromGraph(g.g, "op-test"), Error);
}

TEST_P(CumSumTest, VulkanFp16Storage) {
    if (backend() != Backend::Vulkan) GTEST_SKIP() << "fp16 storage is a Vulkan session option";
    const Shape s = {3, 50, 4};
    const Tensor x = randomTensor(s, 34000, -1.0f, 1.0f);
    OpGraph g(14);
    setInt(g.node("CumSum", {g.input("x", s), g.g.addConstant("axis", scalarAxis(1, true))}, {g.output("y")}), "reverse", 1);
    SessionOptions opt;
    opt.backend = Backend::Vulkan;
    opt.fp16Storage = true;
    std::string device;
    const auto out = runWithOptions(g.g, {x}, opt, &device);
    EXPECT_NE(device.find("fp16 storage"), std::string::npos) << device;
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(allClose(out[0], cumSum(x, 1, false, true), 1e-2));
}

PERCEPT_OP_TEST_SUITE(CumSumTest);

}  // namespace
}  // namespace percept::optest
