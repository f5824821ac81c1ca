// Every op the training path differentiates, checked against finite differences of the loss, on
// every backend at 1 and 2 threads: small ONNX models whose every weight layer is trained (the
// cut is the input, so the input's gradient is checked too), the step graph run with the
// gradients as extra outputs, and each sampled parameter (and input element) nudged by +-h
// through the same session.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "common/onnx_builder.h"
#include "core/model_internal.h"
#include "op_test_util.h"
#include "percept/percept.h"
#include "train/train_graph.h"
#include "train/train_plan.h"

namespace percept {
namespace {

using optest::OpParam;
using testing::OnnxBuilder;

std::vector<float> randomFloats(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

int64_t count(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

// A model builder with random weights: each call adds one op and returns its output's name.
struct Net {
    OnnxBuilder b{13};
    uint32_t seed = 7;
    int n = 0;
    std::string next() { return "v" + std::to_string(n++); }
    std::string weights(const std::vector<int64_t>& shape, float scale) {
        const std::string name = "w" + std::to_string(n++);
        b.floats(name, shape, randomFloats(static_cast<size_t>(count(shape)), seed++, scale));
        return name;
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

std::vector<Case> cases() {
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

class TrainGrad : public ::testing::TestWithParam<OpParam> {};

TEST_P(TrainGrad, MatchesFiniteDifferences) {
    const auto [backend, threads] = GetParam();
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.name);
        Net net;
        net.b.input("x", c.input);
        const std::string out = c.build(net, "x");
        net.b.output(out);
        const std::string bytes = net.b.bytes();
        const Model model = Model::fromBytes(bytes.data(), bytes.size(), c.name);
        const int64_t K = 3, B = 3;
        const train::Plan plan = train::planTraining(model.graph(), c.layers, K, 11);
        ASSERT_EQ(model.graph().value(plan.cut).name, "x");
        train::GraphSpec spec;
        spec.batch = B;
        spec.extend = c.extend;
        spec.gradients = true;
        spec.optimizer = train::Optimizer::Sgd;
        const Model stepModel = detail::modelFromGraph(train::buildTrainGraph(model.graph(), plan, spec), "step");
        SessionOptions so;
        so.backend = backend;
        so.threads = threads;
        so.tuning = Tuning::fromEnvironment();
        auto session = Session::create(stepModel, so);

        const int64_t N0 = plan.baseClasses, Nt = c.extend ? N0 + K : K;
        std::vector<Tensor> in;
        Shape xs = c.input;
        xs[0] = B;
        in.emplace_back(xs, randomFloats(static_cast<size_t>(count(xs)), 3, 1.0f));
        if (c.extend) in.emplace_back(Shape{B, N0}, randomFloats(static_cast<size_t>(B * N0), 4, 2.0f));
        Tensor target({B, Nt});
        target.data[static_cast<size_t>(Nt - 1)] = 1.0f;                            // one-hot, a new class
        for (int64_t j = 0; j < Nt; ++j) target.data[static_cast<size_t>(Nt + j)] = 1.0f / static_cast<float>(Nt);  // soft
        target.data[static_cast<size_t>(2 * Nt)] = 1.0f;                            // the last row: weight 0 (padding)
        in.push_back(target);
        in.emplace_back(Shape{B, 1}, std::vector<float>{0.6f, 0.4f, 0.0f});
        in.emplace_back(Shape{1}, std::vector<float>{0.0f});
        in.emplace_back(Shape{1}, std::vector<float>{0.0f});
        const size_t firstParam = in.size();
        for (const train::Param& p : plan.params) {
            Tensor v = p.value;
            // The new classifier starts near 0; spread it so its gradient path is exercised.
            std::vector<float> r = randomFloats(v.data.size(), 21 + static_cast<uint32_t>(in.size()), 0.3f);
            for (size_t k = 0; k < v.data.size(); ++k) v.data[k] += r[k];
            in.push_back(v);
            in.emplace_back(v.shape);  // SGD velocity
        }
        const std::vector<Tensor> res = session->run(in);
        const size_t P = plan.params.size();
        ASSERT_EQ(res.size(), 2 + 2 * P + P + 1);
        auto lossAt = [&](std::vector<Tensor>& inputs) { return static_cast<double>(session->run(inputs)[0].data[0]); };

        // Each parameter (and x): up to 8 sampled elements, numeric vs analytic gradient.
        std::vector<std::pair<size_t, const Tensor*>> targets;
        for (size_t k = 0; k < P; ++k) targets.push_back({firstParam + 2 * k, &res[2 + 2 * P + k]});
        targets.push_back({0, &res.back()});
        for (const auto& [index, grad] : targets) {
            SCOPED_TRACE(index == 0 ? std::string("x") : plan.params[(index - firstParam) / 2].name);
            ASSERT_EQ(grad->shape, in[index].shape);
            double num2 = 0.0, diff2 = 0.0, ana2 = 0.0;
            std::mt19937 rng(5);
            const size_t n = in[index].data.size();
            for (int s = 0; s < 8; ++s) {
                const size_t e = n <= 8 ? static_cast<size_t>(s) % n : rng() % n;
                const float h = 1e-2f, orig = in[index].data[e];
                in[index].data[e] = orig + h;
                const double up = lossAt(in);
                in[index].data[e] = orig - h;
                const double down = lossAt(in);
                in[index].data[e] = orig;
                const double numeric = (up - down) / (2.0 * h), analytic = grad->data[e];
                num2 += numeric * numeric, ana2 += analytic * analytic, diff2 += (numeric - analytic) * (numeric - analytic);
            }
            EXPECT_GT(ana2, 1e-12) << "the analytic gradient is zero on every sample";
            EXPECT_LE(std::sqrt(diff2), 2e-2 * std::sqrt(std::max(num2, ana2)) + 1e-4) << "numeric |g| " << std::sqrt(num2) << ", analytic " << std::sqrt(ana2);
        }
    }
}

PERCEPT_OP_TEST_SUITE(TrainGrad);

}  // namespace
}  // namespace percept
