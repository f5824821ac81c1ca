// SPDX-License-Identifier: Apache-2.0
// Every model in ../shared/models on every image in ../shared/images, against OpenCV DNN on
// the same ONNX file and the same preprocessed input (the engine's fp32 contract):
//   max |ours - opencv| <= 1e-3 * max |opencv logit|, same top-1, same top-5 wherever
//   neighbouring probabilities differ by more than 1e-3.
// Plus SqueezeNet against the original model's reference output, and the top-1 labels the
// models' README lists.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <opencv2/dnn.hpp>

#include "common/backends.h"
#include "common/readme_top1.h"
#include "common/test_data.h"
#include "common/test_manifests.h"
#include "npy.h"
#include "percept/models/classification.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

struct Case {
    std::string model;
    Backend backend;
};

std::string caseName(const ::testing::TestParamInfo<Case>& info) {
    std::string s = info.param.model + "_" + backendName(info.param.backend);
    for (char& c : s)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

std::vector<Case> allCases() {
    std::vector<Case> v;
    for (const auto* m : testDataManifests())
        for (Backend b : testBackends()) v.push_back({m->name, b});
    return v;
}

class ModelVsOpenCv : public ::testing::TestWithParam<Case> {};

TEST_P(ModelVsOpenCv, EveryImageMatchesReference) {
    const models::Manifest* m = models::findManifest(GetParam().model);
    ASSERT_NE(m, nullptr);
    const std::string path = modelsDir() + "/" + m->file;
    PERCEPT_REQUIRE_DATA(path);
    PERCEPT_REQUIRE_DATA(imagesDir());
    const auto images = testImages();
    ASSERT_GE(images.size(), 10u) << "expected the 10 test photographs in " << imagesDir();
    const models::Labels labels = models::Labels::load(modelsDir() + "/" + m->labels);

    Model model = Model::load(path);
    SessionOptions so;
    so.backend = GetParam().backend;
    so.threads = 2;
    auto session = Session::create(model, so);
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);

    for (const auto& img : images) {
        SCOPED_TRACE(img);
        const Tensor input = models::preprocess(models::loadImage(img), m->input);
        const Tensor ours = session->run(input);
        std::vector<int> dims(input.shape.begin(), input.shape.end());
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(input.data.data()));
        net.setInput(blob);
        cv::Mat ref = net.forward().reshape(1, 1);
        ASSERT_EQ(static_cast<size_t>(ref.total()), ours.data.size());
        const std::vector<float> refv(ref.ptr<float>(), ref.ptr<float>() + ref.total());

        float maxRef = 0, maxDiff = 0;
        for (size_t k = 0; k < refv.size(); ++k) {
            maxRef = std::max(maxRef, std::abs(refv[k]));
            maxDiff = std::max(maxDiff, std::abs(refv[k] - ours.data[k]));
        }
        EXPECT_LE(maxDiff, 1e-3f * maxRef) << "max |diff| " << maxDiff << " vs max |logit| " << maxRef;

        const auto pOurs = models::softmax(ours.data), pRef = models::softmax(refv);
        const auto tOurs = models::topK(pOurs, 5), tRef = models::topK(pRef, 5);
        EXPECT_EQ(tOurs[0], tRef[0]) << "top-1 differs";
        for (size_t k = 0; k < 5; ++k) {
            // A swap between neighbours whose probabilities are within 1e-3 is a tie, not an error.
            const bool tieBefore = k > 0 && std::abs(pRef[tRef[k]] - pRef[tRef[k - 1]]) <= 1e-3f;
            const bool tieAfter = k + 1 < 5 && std::abs(pRef[tRef[k]] - pRef[tRef[k + 1]]) <= 1e-3f;
            if (!tieBefore && !tieAfter) {
                EXPECT_EQ(tOurs[k], tRef[k]) << "top-5 rank " << k << " differs";
            }
        }
        const std::string base = std::filesystem::path(img).filename().string();
        const auto& expected = kReadmeTop1.at(m->name);
        if (expected.count(base)) {
            EXPECT_EQ(labels.name(tOurs[0], m->labelOffset), expected.at(base));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelVsOpenCv, ::testing::ValuesIn(allCases()), caseName);

class SqueezeNetReference : public ::testing::TestWithParam<Backend> {};

TEST_P(SqueezeNetReference, MatchesOriginalModelOutput) {
    const std::string dir = modelsDir();
    PERCEPT_REQUIRE_DATA(dir + "/testdata/squeezenet1.1/output_0.npy");
    const tools::NpyArray in = tools::readNpy(dir + "/testdata/squeezenet1.1/input_0.npy");
    const tools::NpyArray out = tools::readNpy(dir + "/testdata/squeezenet1.1/output_0.npy");
    Model model = Model::load(dir + "/squeezenet1.1.onnx");
    SessionOptions so;
    so.backend = GetParam();
    auto session = Session::create(model, so);
    const Tensor got = session->run(Tensor(in.shape, in.data));
    ASSERT_EQ(got.data.size(), out.data.size());
    float maxRef = 0, maxDiff = 0;
    for (size_t k = 0; k < out.data.size(); ++k) {
        maxRef = std::max(maxRef, std::abs(out.data[k]));
        maxDiff = std::max(maxDiff, std::abs(out.data[k] - got.data[k]));
    }
    EXPECT_LE(maxDiff / maxRef, 1e-4f) << "relative error " << maxDiff / maxRef;
}

TEST_P(SqueezeNetReference, ThreadCountsAgree) {
    const std::string path = modelsDir() + "/squeezenet1.1.onnx";
    PERCEPT_REQUIRE_DATA(path);
    Model model = Model::load(path);
    Tensor input(model.inputs()[0].shape);
    for (size_t k = 0; k < input.data.size(); ++k) input.data[k] = static_cast<float>((k * 2654435761u) % 1000) / 500.0f - 1.0f;
    SessionOptions one, two;
    one.backend = two.backend = GetParam();
    one.threads = 1;
    two.threads = 2;
    const Tensor a = Session::create(model, one)->run(input);
    const Tensor b = Session::create(model, two)->run(input);
    float maxRef = 0, maxDiff = 0;
    for (size_t k = 0; k < a.data.size(); ++k) {
        maxRef = std::max(maxRef, std::abs(a.data[k]));
        maxDiff = std::max(maxDiff, std::abs(a.data[k] - b.data[k]));
    }
    EXPECT_LE(maxDiff, 1e-4f * maxRef);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqueezeNetReference, ::testing::ValuesIn(testBackends()),
                         [](const auto& info) { return backendParamName(info.param); });

}  // namespace
}  // namespace percept::testing
