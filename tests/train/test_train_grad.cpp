// SPDX-License-Identifier: Apache-2.0
// Every op the training path differentiates, checked against finite differences of the loss, on
// every backend at 1 and 2 threads: small ONNX models whose every weight layer is trained (the
// cut is the input, so the input's gradient is checked too), the step graph run with the
// gradients as extra outputs, and each sampled parameter (and input element) nudged by +-h
// through the same session.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "core/model_internal.h"
#include "op_test_util.h"
#include "percept/percept.h"
#include "train/train_graph.h"
#include "train/train_plan.h"
#include "train_test_models.h"

namespace percept {
namespace {

using optest::OpParam;
using namespace traintest;

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
                // Small enough that few samples cross a kink (ReLU at 0), large enough for fp32.
                const float h = 3e-3f, orig = in[index].data[e];
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
