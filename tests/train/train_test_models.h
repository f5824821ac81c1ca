// SPDX-License-Identifier: Apache-2.0
#pragma once
// Small models the training tests differentiate (test_train_grad.cpp) and step against the naive
// reference (test_train_step.cpp): random weights, every op of the training path, built as ONNX
// files and loaded through the whole pipeline.
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/onnx_builder.h"

namespace percept::traintest {

using testing::OnnxBuilder;

inline std::vector<float> randomFloats(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

inline int64_t count(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

// A model builder with random weights: each call adds one op and returns its output's name.
struct Net {
    OnnxBuilder b{13};
    uint32_t seed = 7;
    int n = 0;
    // (Appended, not "v" + ...: GCC 12 warns about that form, a false -Wrestrict, PR 105329.)
    std::string name(char prefix) { return std::string(1, prefix).append(std::to_string(n++)); }
    std::string next() { return name('v'); }
    std::string weights(const std::vector<int64_t>& shape, float scale) {
        const std::string w = name('w');
        b.floats(w, shape, randomFloats(static_cast<size_t>(count(shape)), seed++, scale));
        return w;
    }
    std::string conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride, std::vector<int64_t> pads, int64_t group = 1,
                     int64_t dilation = 1) {
        const std::string y = next();
        auto& node = b.node("Conv", {x, weights({cout, cin / group, k, k}, 0.5f), weights({cout}, 0.1f)}, {y});
        OnnxBuilder::attr(node, "kernel_shape", std::vector<int64_t>{k, k});
        OnnxBuilder::attr(node, "strides", std::vector<int64_t>{stride, stride});
        OnnxBuilder::attr(node, "pads", pads);
        OnnxBuilder::attr(node, "group", group);
        OnnxBuilder::attr(node, "dilations", std::vector<int64_t>{dilation, dilation});
        return y;
    }
    std::string op(const std::string& type, const std::vector<std::string>& in) {
        const std::string y = next();
        b.node(type, in, {y});
        return y;
    }
    std::string clip(const std::string& x, float lo, float hi) {
        const std::string y = next();
        b.floats(y + "_lo", {}, {lo}).floats(y + "_hi", {}, {hi});
        b.node("Clip", {x, y + "_lo", y + "_hi"}, {y});
        return y;
    }
    std::string flatten(const std::string& x) {
        const std::string y = next();
        OnnxBuilder::attr(b.node("Flatten", {x}, {y}), "axis", int64_t{1});
        return y;
    }
    std::string gemm(const std::string& x, int64_t k, int64_t n, bool transB) {
        const std::string y = next();
        auto& node = b.node("Gemm", {x, weights(transB ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, 0.3f), weights({n}, 0.1f)}, {y});
        OnnxBuilder::attr(node, "transB", int64_t{transB ? 1 : 0});
        return y;
    }
};

struct Case {
    const char* name;
    std::vector<int64_t> input;
    std::function<std::string(Net&, const std::string&)> build;  // returns the output
    int layers;          // weight layers: all of them, so the cut is the input
    bool extend;
};

inline std::vector<Case> cases() {
    return {
        {"gemm_classifier", {1, 12}, [](Net& m, const std::string& x) { return m.gemm(x, 12, 5, true); }, 1, true},
        {"gemm_weights_kxn_replaced", {1, 12}, [](Net& m, const std::string& x) { return m.gemm(x, 12, 5, false); }, 1, false},
        {"matmul_classifier",
         {1, 10},
         [](Net& m, const std::string& x) { return m.op("MatMul", {x, m.weights({10, 6}, 0.3f)}); },
         1,
         true},
        {"conv3x3_relu_gap_conv1x1",
         {1, 3, 7, 6},
         [](Net& m, const std::string& x) {
             const std::string h = m.op("Relu", {m.conv(x, 3, 8, 3, 1, {1, 1, 1, 1})});
             return m.flatten(m.conv(m.op("GlobalAveragePool", {h}), 8, 5, 1, 1, {0, 0, 0, 0}));
         },
         2,
         true},
        {"conv_stride2_asym_clip_depthwise_hardswish",
         {1, 4, 9, 8},
         [](Net& m, const std::string& x) {
             const std::string a = m.clip(m.conv(x, 4, 6, 3, 2, {0, 0, 1, 1}), 0.0f, 6.0f);
             const std::string d = m.op("HardSwish", {m.conv(a, 6, 6, 3, 1, {1, 1, 1, 1}, 6)});
             return m.gemm(m.flatten(m.op("GlobalAveragePool", {d})), 6, 4, true);
         },
         3,
         false},
        {"grouped_dilated_leakyrelu_conv_relu_gap",
         {1, 4, 8, 8},
         [](Net& m, const std::string& x) {
             const std::string y = m.next();
             auto& lr = m.b.node("LeakyRelu", {m.conv(x, 4, 6, 3, 1, {2, 2, 2, 2}, 2, 2)}, {y});
             OnnxBuilder::attr(lr, "alpha", 0.1f);
             const std::string c = m.op("Relu", {m.conv(y, 6, 5, 1, 1, {0, 0, 0, 0})});
             return m.flatten(m.op("GlobalAveragePool", {c}));
         },
         2,
         true},
        {"residual_add_se_mul_silu_concat",
         {1, 6, 5, 5},
         [](Net& m, const std::string& x) {
             const std::string a = m.op("Relu", {m.conv(x, 6, 6, 1, 1, {0, 0, 0, 0})});
             const std::string res = m.op("Add", {a, x});
             const std::string gate = m.op("HardSigmoid", {m.conv(m.op("GlobalAveragePool", {res}), 6, 6, 1, 1, {0, 0, 0, 0})});
             const std::string se = m.op("Mul", {res, gate});
             const std::string silu = m.op("Mul", {se, m.op("Sigmoid", {se})});
             const std::string cat = m.next();
             OnnxBuilder::attr(m.b.node("Concat", {silu, a}, {cat}), "axis", int64_t{1});
             return m.gemm(m.flatten(m.op("GlobalAveragePool", {cat})), 12, 3, true);
         },
         3,
         true},
    };
}

}  // namespace percept::traintest
