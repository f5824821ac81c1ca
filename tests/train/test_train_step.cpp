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
            auto session = Session::create(detail::modelFromGraph(train::buildTrainGraph(c.model.graph(), plan, spec), "step"), so);
            naive::Hyper h;
            h.optimizer = opt;
            h.epsilon = spec.epsilon;
            naive::NaiveTrainer ref(c.model.graph(), plan, c.extend, h);

            const int64_t N0 = plan.baseClasses, Nt = c.extend ? N0 + K : K;
            Shape xs = c.model.graph().shapeOf(plan.cut);
            xs[0] = B;
            const int S = train::statesPerParam(opt);
            std::vector<Tensor> in;
            in.emplace_back(xs);
            if (c.extend) in.emplace_back(Shape{B, N0});
            in.emplace_back(Shape{B, Nt});
            in.emplace_back(Shape{B, 1}, std::vector<float>{0.4f, 0.3f, 0.3f, 0.0f});
            in.emplace_back(Shape{1});
            in.emplace_back(Shape{1});
            const size_t firstParam = in.size();
            for (const train::Param& p : plan.params) {
                in.push_back(p.value);
                for (int s = 0; s < S; ++s) in.emplace_back(p.value.shape);
            }
            const size_t xi = 0, bi = 1, ti = c.extend ? 2 : 1, lri = ti + 2;
            for (int step = 0; step < 3; ++step) {
                // Features as the frozen part would give them (non-negative after a ReLU6).
                in[xi].data = randomFloats(in[xi].data.size(), 100 + static_cast<uint32_t>(step), 3.0f);
                for (float& v : in[xi].data) v = std::fabs(v);
                if (c.extend) in[bi].data = randomFloats(in[bi].data.size(), 200 + static_cast<uint32_t>(step), 4.0f);
                std::fill(in[ti].data.begin(), in[ti].data.end(), 0.0f);
                for (int64_t b = 0; b < B; ++b) {
                    if (b == 1) {
                        for (int64_t j = 0; j < Nt; ++j) in[ti].data[static_cast<size_t>(b * Nt + j)] = 1.0f / static_cast<float>(Nt);
                    } else {
                        in[ti].data[static_cast<size_t>(b * Nt + Nt - 1 - (b + step) % K)] = 1.0f;
                    }
                }
                const float lr = opt == train::Optimizer::Adam ? 0.01f : 0.05f, decay = opt == train::Optimizer::Adam ? lr * 0.01f : 0.01f;
                in[lri].data[0] = lr;
                in[lri + 1].data[0] = decay;
                const std::vector<Tensor> out = session->run(in);
                const std::vector<float> weights = in[ti + 1].data;
                const double want = ref.step(B, in[xi].data, c.extend ? in[bi].data : std::vector<float>{}, in[ti].data,
                                             std::vector<float>(weights.begin(), weights.end()), lr, decay);
                EXPECT_NEAR(out[0].data[0], want, 1e-4 * std::max(1.0, std::fabs(want))) << "loss at step " << step;
                for (size_t k = 0; k + 2 < out.size(); ++k) in[firstParam + k] = out[k + 2];
            }
            for (size_t k = 0; k < plan.params.size(); ++k) {
                SCOPED_TRACE(plan.params[k].name);
                const Tensor& got = in[firstParam + k * static_cast<size_t>(1 + S)];
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
