// SPDX-License-Identifier: Apache-2.0
// LRN and BatchNormalization against the naive references (the pointwise ops:
// test_ops_pointwise.cpp, test_ops_binary.cpp; Gemm and MatMul: test_ops_matmul.cpp; the
// softmax family: test_ops_axis.cpp).
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

// ---- LRN, BatchNormalization ---------------------------------------------------------------

class NormTest : public OpTest {};

TEST_P(NormTest, Lrn) {
    struct Case {
        Shape s;
        int64_t size;
        float alpha, beta, bias;
    };
    const std::vector<Case> cases = {
        {{1, 13, 5, 5}, 5, 1e-4f, 0.75f, 1.0f},  // AlexNet / GoogLeNet
        {{1, 7, 4, 6}, 4, 0.1f, 0.5f, 2.0f},     // even size: asymmetric window
        {{1, 5, 3, 3}, 1, 0.5f, 0.75f, 1.0f},
        {{2, 3, 4, 4}, 9, 0.2f, 0.75f, 1.5f},    // window larger than C
        {{1, 6, 7}, 3, 0.3f, 0.6f, 1.0f},        // rank 3
    };
    uint32_t seed = 9500;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.s) + " size " + std::to_string(c.size));
        const Tensor x = randomTensor(c.s, ++seed, -2.0f, 2.0f);
        OpGraph g;
        graph::Node& n = g.node("LRN", {g.input("x", c.s)}, {g.output("y")});
        setInt(n, "size", c.size);
        setFloat(n, "alpha", c.alpha);
        setFloat(n, "beta", c.beta);
        setFloat(n, "bias", c.bias);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::lrn(x, c.size, c.alpha, c.beta, c.bias), tol()));
    }
}

TEST_P(NormTest, BatchNormalization) {
    uint32_t seed = 9700;
    for (const Shape& s : {Shape{1, 13, 5, 6}, Shape{2, 3, 4, 4}, Shape{4, 7}, Shape{1, 64, 32, 32}}) {
        SCOPED_TRACE(shapeToString(s));
        const int64_t C = s[1];
        const Tensor x = randomTensor(s, ++seed), scale = randomTensor({C}, ++seed), b = randomTensor({C}, ++seed),
                     mean = randomTensor({C}, ++seed), var = randomTensor({C}, ++seed, 0.1f, 2.0f);
        OpGraph g;
        graph::Node& n = g.node("BatchNormalization",
                                {g.input("x", s), g.constant("scale", scale), g.constant("b", b), g.constant("mean", mean), g.constant("var", var)},
                                {g.output("y")});
        setFloat(n, "epsilon", 1e-3f);
        EXPECT_TRUE(allClose(run1(g, {x}), ref::batchNorm(x, scale, b, mean, var, 1e-3f), tol()));
    }
}

PERCEPT_OP_TEST_SUITE(NormTest);

}  // namespace
}  // namespace percept::optest
