// SPDX-License-Identifier: Apache-2.0
// Teaching the shared models three new classes from generated videos (make_teach_videos.sh:
// ffmpeg's testsrc, mandelbrot and life sources; the last quarter of each video held back),
// with examples of none of them from half of the shared photos and a fourth video. Checked:
// recognition of the held-back frames (>= 90 %), the exported ONNX file read back (it gives the
// trained probabilities) and by ONNX Runtime (the same outputs as Percept's), and, with the
// model's classes kept, that on the other half of the shared photos (never seen in training)
// the ImageNet scores are the base model's and its top-1 is unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include "common/backends.h"
#include "common/test_data.h"
#include "percept/models/classification.h"
#include "percept/models/conventions.h"
#include "percept/models/preprocess.h"
#include "percept/models/teach_data.h"
#include "percept/percept.h"
#include "percept/train.h"
#include "teach_fixture.h"
#include "teach_ort_check.h"

namespace percept {
namespace {

using teachtest::Taught;

void expectImageNetKept(const Taught& t, Backend backend) {
    const Model base = Model::load(t.modelPath);
    const Model personal = Model::fromBytes(t.onnx.data(), t.onnx.size(), "personal");
    SessionOptions so;
    so.backend = backend;
    auto b = Session::create(base, so), p = Session::create(personal, so);
    const int64_t N0 = base.outputs()[0].shape.back();
    int sure = 0;
    double worst = 0.0;
    ASSERT_EQ(personal.outputs()[0].shape, (Shape{1, N0 + 3}));
    for (const std::string& photo : teachtest::unseenPhotos()) {
        SCOPED_TRACE(photo);
        const Tensor x = models::preprocess(models::loadImage(photo), t.conventions.input);
        const std::vector<float> want = b->run(x).data, got = p->run(x).data;
        double maxRef = 1e-30, maxDiff = 0.0;
        for (int64_t k = 0; k < N0; ++k) {
            maxRef = std::max(maxRef, static_cast<double>(std::fabs(want[static_cast<size_t>(k)])));
            maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(want[static_cast<size_t>(k)] - got[static_cast<size_t>(k)])));
        }
        EXPECT_LE(maxDiff, 1e-5 * maxRef) << "the base model's scores changed";
        worst = std::max(worst, maxDiff / maxRef);
        // The answer must stay where the base model is sure of it (a photo it hesitates on
        // may look more like a taught object than like its own guess).
        const std::vector<float> p = models::softmax(want);
        const auto best = std::max_element(p.begin(), p.end());
        if (*best < 0.5f) continue;
        ++sure;
        const auto top = std::max_element(got.begin(), got.end()) - got.begin();
        EXPECT_EQ(top, best - p.begin()) << "the top-1 moved to a taught class: " << top - N0;
    }
    EXPECT_GE(sure, 2) << "too few unseen photos the base model is sure of";
    std::printf("[ figures  ] unseen photos: the base scores differ by at most %.1e x max; %d answers the base model is sure of checked\n", worst, sure);
}

class Teach : public ::testing::TestWithParam<Backend> {};

// MobileNetV2 (the app's default model) on the CPU; on lavapipe the small MobileNet v1 0.25,
// whose feature extraction takes seconds rather than half a minute there.
TEST_P(Teach, HeadOnFrozenFeaturesKeepsImageNet) {
    const Taught t = teachtest::teach(GetParam() == Backend::Cpu ? "mobilenet_v2_1.0_224" : "mobilenet_v1_0.25_128", train::Mode::Head, 1, true, GetParam());
    if (t.skipped) GTEST_SKIP() << t.skipped;
    EXPECT_GE(t.report.heldBackAccuracy, 0.9);
    EXPECT_GE(t.exportedHeldBackAccuracy, 0.9);
    expectImageNetKept(t, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, Teach, ::testing::ValuesIn(testing::testBackends()),
                         [](const auto& info) { return testing::backendParamName(info.param); });

// Fine-tuning on lavapipe takes minutes: Vulkan's training steps are checked op by op
// (test_train_grad.cpp, test_train_step.cpp) and timed by percept-teach-bench.
TEST(TeachCpu, FineTuneLastBlockKeepsImageNet) {
    // The last three weight layers: depthwise 3x3 + ReLU6, pointwise + ReLU6, the classifier.
    const Taught t = teachtest::teach("mobilenet_v1_0.25_128", train::Mode::FineTune, 3, true, Backend::Cpu, 10);
    if (t.skipped) GTEST_SKIP() << t.skipped;
    EXPECT_EQ(t.report.trainedLayers, 3);
    EXPECT_GE(t.report.heldBackAccuracy, 0.9);
    EXPECT_GE(t.exportedHeldBackAccuracy, 0.9);
    expectImageNetKept(t, Backend::Cpu);
    teachtest::checkAgainstOnnxRuntime(t, "mobilenet_finetune");
}

TEST(TeachCpu, ReplacedHeadGivesTheNewClassesOnly) {
    const Taught t = teachtest::teach("squeezenet1.1", train::Mode::Head, 1, false, Backend::Cpu);
    if (t.skipped) GTEST_SKIP() << t.skipped;
    const Model personal = Model::fromBytes(t.onnx.data(), t.onnx.size(), "personal");
    EXPECT_EQ(personal.outputs()[0].shape, (Shape{1, 3}));
    EXPECT_EQ(personal.metadata().at("percept.labels"), "pattern\nfractal\nlife");
    EXPECT_GE(t.report.heldBackAccuracy, 0.9);
    EXPECT_GE(t.exportedHeldBackAccuracy, 0.9);
    teachtest::checkAgainstOnnxRuntime(t, "squeezenet_head");
}

TEST(TeachCpu, RefusesWhatItCannotTrain) {
    const std::string path = testing::modelsDir() + "/mobilenet_v1_0.25_128.dequant.onnx";
    PERCEPT_REQUIRE_DATA(path);
    const Model m = Model::load(path);
    train::Options o;
    o.mode = train::Mode::FineTune;
    o.fineTuneLayers = 100;
    EXPECT_THROW(train::Trainer(m, {"a"}, o), Error);
    EXPECT_THROW(train::Trainer(m, {}, train::Options{}), Error);
    train::Trainer t(m, {"a", "b"}, train::Options{});
    EXPECT_THROW(t.scores(train::Features{}), Error);  // not taught yet
    train::Example wrong;
    wrong.features.cut = Tensor({1, 7});
    wrong.label = 0;
    EXPECT_THROW(t.fit({wrong}, {}), Error);
}

}  // namespace
}  // namespace percept
