// MaxPool, AveragePool and GlobalAveragePool against the naive references: kernel/stride/pad
// combinations, asymmetric pads, dilation, ceil_mode windows past the padded edge, and
// count_include_pad both ways.
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

}  // namespace
}  // namespace percept::optest
