// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the pointwise op tests share (test_ops_pointwise.cpp, test_ops_binary.cpp,
// test_ops_pointwise_fusion.cpp): a comparison for outputs holding NaN and infinities, boolean
// values in and out of a graph (the engine's graph inputs and outputs are float32), special
// input values, and a run with fp16 storage.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "op_test_util.h"

namespace percept::optest {

// Element by element: NaN where NaN is expected, infinities exactly, everything else within
// atol + rtol * |want|.
inline ::testing::AssertionResult closeEach(const Tensor& got, const Tensor& want, double rtol, double atol) {
    if (got.shape != want.shape)
        return ::testing::AssertionFailure() << "shape " << shapeToString(got.shape) << ", expected " << shapeToString(want.shape);
    for (size_t i = 0; i < want.data.size(); ++i) {
        const double g = got.data[i], w = want.data[i];
        bool ok;
        if (std::isnan(w)) ok = std::isnan(g);
        else if (std::isinf(w)) ok = g == w;
        else ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
        if (!ok) return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", expected " << w;
    }
    return ::testing::AssertionSuccess();
}

// Inputs at the edges of the functions' domains: signed zeros, halves (Round), tiny and large
// magnitudes (Exp, Softplus, Tanh overflow and saturate), infinities and NaN.
inline Tensor specialValues() {
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> v = {0.0f,  -0.0f, 1.0f,  -1.0f,  0.5f,   -0.5f, 1.5f,  2.5f,  -2.5f,   1e-7f, -1e-7f, 0.625f, -0.7f,
                            3.0f,  -4.0f, 10.0f, -10.0f, 20.5f,  -21.f, 50.0f, -50.0f, 88.5f, -88.5f, 100.0f, -100.0f, 1000.0f,
                            -1e3f, 1e30f, -1e30f, inf,   -inf,   std::numeric_limits<float>::quiet_NaN()};
    return Tensor({static_cast<int64_t>(v.size())}, v);
}

// A boolean value as a float graph output: Where(b, 1, 0).
inline int boolOutput(OpGraph& g, int b, const std::string& name = "y") {
    const int y = g.output(name);
    g.node("Where", {b, g.constant(name + "_one", Tensor({}, {1.0f})), g.constant(name + "_zero", Tensor({}, {0.0f}))}, {y});
    return y;
}

// A boolean tensor computed at run time from a float input: x > threshold.
inline int boolFrom(OpGraph& g, int x, float threshold = 0.0f) {
    const int b = g.value("bool_" + std::to_string(x));
    g.node("Greater", {x, g.constant("threshold_" + std::to_string(x), Tensor({}, {threshold}))}, {b});
    return b;
}

// An Int64 constant of any shape.
inline int intConstant(OpGraph& g, const std::string& name, const Shape& shape, const std::vector<int64_t>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Int64;
    d->shape = shape;
    d->i = v;
    return g.g.addConstant(name, d);
}

// runGraph for outputs that may hold NaN: the two runs compared bit for bit (NaN != NaN).
inline std::vector<Tensor> runBits(const OpGraph& b, const std::vector<Tensor>& inputs, Backend backend, int threads) {
    const Model model = detail::modelFromGraph(b.g, "op-test");
    SessionOptions opt;
    opt.backend = backend;
    opt.threads = threads;
    opt.tuning = Tuning::fromEnvironment();
    auto session = Session::create(model, opt);
    std::vector<Tensor> out = session->run(inputs);
    const std::vector<Tensor> again = session->run(inputs);
    EXPECT_EQ(out.size(), again.size());
    for (size_t k = 0; k < out.size() && k < again.size(); ++k)
        EXPECT_TRUE(out[k].data.size() == again[k].data.size() &&
                    std::memcmp(out[k].data.data(), again[k].data.data(), out[k].data.size() * sizeof(float)) == 0)
            << "second run differs";
    return out;
}

// The graph on Vulkan with fp16 storage (tensors stored as float16, arithmetic in fp32).
inline Tensor runVulkanFp16(const OpGraph& b, const std::vector<Tensor>& inputs) {
    const Model model = detail::modelFromGraph(b.g, "op-test-fp16");
    SessionOptions opt;
    opt.backend = Backend::Vulkan;
    opt.fp16Storage = true;
    auto out = Session::create(model, opt)->run(inputs);
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Tensor() : out[0];
}

inline bool hasVulkan() {
    for (Backend b : opTestBackends())
        if (b == Backend::Vulkan) return true;
    return false;
}

}  // namespace percept::optest
