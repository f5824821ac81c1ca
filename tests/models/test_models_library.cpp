// SPDX-License-Identifier: Apache-2.0
// The models library: manifests, checksums, labels, preprocessing.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "common/test_data.h"
#include "common/test_manifests.h"
#include "percept/models/classification.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/error.h"

namespace percept::testing {
namespace {

TEST(Manifests, OnePerSharedModelWithMatchingChecksum) {
    const auto& all = models::builtinManifests();
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(models::defaultManifest().name, "mobilenet_v2_1.0_224");
    for (const auto* mp : testDataManifests()) {  // the download-only ones: Manifests.DownloadOnlyModels
        const auto& m = *mp;
        SCOPED_TRACE(m.name);
        const std::string path = modelsDir() + "/" + m.file;
        PERCEPT_REQUIRE_DATA(path);
        EXPECT_EQ(static_cast<long long>(std::filesystem::file_size(path)), m.bytes);
        EXPECT_EQ(models::sha256File(path), m.sha256);
        EXPECT_TRUE(std::filesystem::exists(modelsDir() + "/" + m.labels));
    }
}

// The models ../shared does not hold have a pinned public download, and the default model
// falls back to one when the measured MobileNetV2's file is not on the machine.
TEST(Manifests, DownloadOnlyModels) {
    int downloadOnly = 0;
    for (const auto& m : models::builtinManifests()) {
        if (m.inTestData) continue;
        SCOPED_TRACE(m.name);
        ++downloadOnly;
        ASSERT_TRUE(m.download.has_value());
        EXPECT_EQ(m.download->sha256.size(), 64u);
        EXPECT_GT(m.download->bytes, 0);
        EXPECT_EQ(m.download->url.rfind("https://", 0), 0u);
        for (const auto& u : m.download->mirrors) EXPECT_EQ(u.rfind("https://", 0), 0u);
    }
    EXPECT_EQ(downloadOnly, 1);
    EXPECT_EQ(models::chooseDefaultManifest([](const models::Manifest&) { return true; }).name, "mobilenet_v2_1.0_224");
    EXPECT_EQ(models::chooseDefaultManifest([](const models::Manifest&) { return false; }).name, "mobilenetv2-7");
    EXPECT_EQ(models::chooseDefaultManifest([](const models::Manifest& m) { return m.name == "mobilenetv2-7"; }).name, "mobilenetv2-7");
}

TEST(Manifests, FoundByFileName) {
    const auto* m = models::findManifestForFile("/some/where/squeezenet1.1.onnx");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->name, "squeezenet1.1");
    EXPECT_EQ(models::findManifestForFile("other.onnx"), nullptr);
}

TEST(Manifests, BadManifestIsAnError) {
    EXPECT_THROW(models::parseManifest("{", "x"), Error);
    EXPECT_THROW(models::parseManifest(R"({"name":"a","file":"a.onnx","labels":"l","input":{"size":10,"normalization":"weird"}})", "x"),
                 Error);
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(models::sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(models::sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string longer(1000, 'a');
    EXPECT_EQ(models::sha256Hex(longer.data(), longer.size()), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(Labels, OffsetAndShortNames) {
    const std::string path = modelsDir() + "/imagenet_synset_words.txt";
    PERCEPT_REQUIRE_DATA(path);
    const auto l = models::Labels::load(path);
    ASSERT_EQ(l.size(), 1000u);
    EXPECT_EQ(l.name(0, 0), "tench");
    EXPECT_EQ(l.name(286, 1), "Egyptian cat");  // 1001-class model: output 286 is class 285
    EXPECT_EQ(l.name(285, 0), "Egyptian cat");
    EXPECT_EQ(l.name(0, 1), "background");
    EXPECT_EQ(l.name(5000, 0), "class 5000");
}

TEST(Classification, SoftmaxAndTopK) {
    const auto p = models::softmax({1.0f, 3.0f, 2.0f, 3.0f});
    float sum = 0;
    for (float v : p) sum += v;
    EXPECT_NEAR(sum, 1.0f, 1e-6);
    EXPECT_EQ(models::topK(p, 3), (std::vector<int>{1, 3, 2}));
}

TEST(Preprocess, CropResizeNormaliseAndChannelOrder) {
    // 512x256 image: left half pure blue (BGR 255,0,0), right half pure red.
    cv::Mat img(256, 512, CV_8UC3, cv::Scalar(255, 0, 0));
    img(cv::Rect(256, 0, 256, 256)).setTo(cv::Scalar(0, 0, 255));
    models::InputSpec spec;
    spec.size = 8;
    spec.resizeShorter = 16;  // -> 32x16, crop x in [12,20)
    spec.normalization = models::Normalization::MinusOneOne;
    const Tensor t = models::preprocess(img, spec);
    ASSERT_EQ(t.shape, (Shape{1, 3, 8, 8}));
    auto at = [&](int c, int y, int x) { return t.data[(static_cast<size_t>(c) * 8 + y) * 8 + x]; };
    EXPECT_FLOAT_EQ(at(0, 4, 0), -1.0f);  // R plane, blue side
    EXPECT_FLOAT_EQ(at(2, 4, 0), 1.0f);   // B plane, blue side
    EXPECT_FLOAT_EQ(at(0, 4, 7), 1.0f);   // R plane, red side
    spec.rgb = false;
    const Tensor b = models::preprocess(img, spec);
    EXPECT_FLOAT_EQ(b.data[(0 * 8 + 4) * 8 + 0], 1.0f);  // plane 0 is B now
}

}  // namespace
}  // namespace percept::testing
