// SPDX-License-Identifier: Apache-2.0
// The engine's training steps (train_graph.cpp run by a Session, every backend, 1 and 2
// threads) against the naive single-threaded reference (naive_trainer.cpp): the parameters after
// three steps of SGD with momentum and of Adam, weight decay on, with soft and one-hot targets and
// a padded example. Models: the small ones of the gradient checks, and the last three layers of
// MobileNet v1 0.25 (depthwise 3x3, pointwise, classifier) on random features.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_data.h"
#include "core/model_internal.h"
#include "naive_trainer.h"
#include "op_test_util.h"
#include "percept/percept.h"
#include "train/train_graph.h"
#include "train/train_plan.h"
#include "step_harness.h"
#include "train_test_models.h"

namespace percept {
namespace {

using namespace traintest;

struct StepCase {
    std::string name;
    Model model;
    int layers;
    bool extend;
};

std::vector<StepCase> stepCases() {
    std::vector<StepCase> out;
    for (const Case& c : cases()) {
        if (std::string(c.name) != "conv_stride2_asym_clip_depthwise_hardswish" && std::string(c.name) != "grouped_dilated_leakyrelu_conv_relu_gap" &&
            std::string(c.name) != "gemm_classifier")
            continue;
        Net net;
        net.b.input("x", c.input);
        net.b.output(c.build(net, "x"));
        const std::string bytes = net.b.bytes();
        out.push_back({c.name, Model::fromBytes(bytes.data(), bytes.size(), c.name), c.layers, c.extend});
    }
    const std::string mobilenet = testing::modelsDir() + "/mobilenet_v1_0.25_128.dequant.onnx";
    if (std::filesystem::exists(mobilenet)) out.push_back({"mobilenet_v1_0.25_last3", Model::load(mobilenet), 3, true});
    return out;
}

class TrainStep : public ::testing::TestWithParam<optest::OpParam> {};

TEST_P(TrainStep, MatchesTheNaiveReference) {
    const auto [backend, threads] = GetParam();
    const std::vector<StepCase> all = stepCases();
    if (all.size() < 4) PERCEPT_REQUIRE_DATA(testing::modelsDir() + "/mobilenet_v1_0.25_128.dequant.onnx");
    for (const StepCase& c : all) {
        for (train::Optimizer opt : {train::Optimizer::Sgd, train::Optimizer::Adam}) {
            SCOPED_TRACE(c.name + (opt == train::Optimizer::Adam ? " adam" : " sgd"));
            const int64_t K = 3, B = 4;
            const train::Plan plan = train::planTraining(c.model.graph(), c.layers, K, 5);
            train::GraphSpec spec;
            spec.batch = B;
            spec.extend = c.extend;
            spec.optimizer = opt;
            // A large epsilon keeps Adam's first steps (|update| = lr wherever |g| >> eps) away
            // from the sign of near-zero gradients, which fp32 and double may not share.
            spec.epsilon = 1e-2f;
            SessionOptions so;
            so.backend = backend;
            so.threads = threads;
            so.tuning = Tuning::fromEnvironment();
            StepHarness h(c.model.graph(), plan, spec, so);
            naive::Hyper hyper;
            hyper.optimizer = opt;
            hyper.epsilon = spec.epsilon;
            naive::NaiveTrainer ref(c.model.graph(), plan, c.extend, hyper);

            const int64_t Nt = h.classes;
            h.in[h.weight()].data = {0.4f, 0.3f, 0.3f, 0.0f};
            for (int step = 0; step < 3; ++step) {
                // Features as the frozen part would give them (non-negative after a ReLU6).
                std::vector<float>& x = h.in[StepHarness::kX].data;
                x = randomFloats(x.size(), 100 + static_cast<uint32_t>(step), 3.0f);
                for (float& v : x) v = std::fabs(v);
                if (c.extend) h.in[StepHarness::kBase].data = randomFloats(h.in[StepHarness::kBase].data.size(), 200 + static_cast<uint32_t>(step), 4.0f);
                std::vector<float>& t = h.in[h.target()].data;
                std::fill(t.begin(), t.end(), 0.0f);
                for (int64_t b = 0; b < B; ++b) {
                    if (b == 1) {
                        for (int64_t j = 0; j < Nt; ++j) t[static_cast<size_t>(b * Nt + j)] = 1.0f / static_cast<float>(Nt);
                    } else {
                        t[static_cast<size_t>(b * Nt + Nt - 1 - (b + step) % K)] = 1.0f;
                    }
                }
                const float lr = opt == train::Optimizer::Adam ? 0.01f : 0.05f, decay = opt == train::Optimizer::Adam ? lr * 0.01f : 0.01f;
                h.in[h.lr()].data[0] = lr;
                h.in[h.lrDecay()].data[0] = decay;
                const double want = ref.step(B, x, c.extend ? h.in[StepHarness::kBase].data : std::vector<float>{}, t, h.in[h.weight()].data, lr, decay);
                const float got = h.step();
                EXPECT_NEAR(got, want, 1e-4 * std::max(1.0, std::fabs(want))) << "loss at step " << step;
            }
            for (size_t k = 0; k < plan.params.size(); ++k) {
                SCOPED_TRACE(plan.params[k].name);
                const Tensor& got = h.param(k);
                const Tensor& want = ref.params()[k];
                double maxRef = 0.0, maxDiff = 0.0, moved = 0.0;
                for (size_t e = 0; e < got.data.size(); ++e) {
                    maxRef = std::max(maxRef, static_cast<double>(std::fabs(want.data[e])));
                    maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(got.data[e] - want.data[e])));
                    moved = std::max(moved, static_cast<double>(std::fabs(want.data[e] - plan.params[k].value.data[e])));
                }
                EXPECT_GT(moved, 0.0) << "the reference did not move this parameter";
                EXPECT_LE(maxDiff, 1e-4 * std::max(1e-2, maxRef) + 1e-3 * moved) << "max |param| " << maxRef << ", moved by up to " << moved;
            }
        }
    }
}

PERCEPT_OP_TEST_SUITE(TrainStep);

}  // namespace
}  // namespace percept
