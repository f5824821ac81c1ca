// SPDX-License-Identifier: Apache-2.0
// Whole models with fp16 storage: on every test photograph, the Vulkan session storing weights
// and activations as fp16 gives the same top-1 class as the fp32 CPU backend; and so does one
// computing in fp16 too (SessionOptions::fp16Arithmetic) where the device has shaderFloat16.
#include <gtest/gtest.h>

#include "common/test_data.h"
#include "common/test_manifests.h"
#include "percept/models/classification.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "vulkan_test_util.h"

namespace percept::vktest {
namespace {

class VulkanFp16Models : public ::testing::TestWithParam<std::string> {};

TEST_P(VulkanFp16Models, SameTop1AsFp32OnEveryImage) {
    const models::Manifest* m = models::findManifest(GetParam());
    ASSERT_NE(m, nullptr);
    const std::string path = percept::testing::modelsDir() + "/" + m->file;
    PERCEPT_REQUIRE_DATA(path);
    PERCEPT_REQUIRE_DATA(percept::testing::imagesDir());
    const auto images = percept::testing::testImages();
    ASSERT_GE(images.size(), 10u);
    const Model model = Model::load(path);
    SessionOptions cpu, fp16, arith;
    fp16.backend = arith.backend = Backend::Vulkan;
    fp16.fp16Storage = true;
    arith.fp16Arithmetic = true;
    auto ref = Session::create(model, cpu);
    auto half = Session::create(model, fp16);
    if (half->stats().device.find("fp16") == std::string::npos) GTEST_SKIP() << "no 16-bit storage on " << half->deviceName();
    auto halfArith = Session::create(model, arith);
    const bool computesInFp16 = halfArith->stats().device.find("fp16 storage and arithmetic") != std::string::npos;
    double worst = 0.0, worstArith = 0.0;
    for (const auto& img : images) {
        SCOPED_TRACE(img);
        const Tensor input = models::preprocess(models::loadImage(img), m->input);
        const Tensor want = ref->run(input), got = half->run(input);
        const auto top = models::topK(models::softmax(want.data), 1), topHalf = models::topK(models::softmax(got.data), 1);
        EXPECT_EQ(topHalf[0], top[0]);
        worst = std::max(worst, maxRelDiff(got, want));
        if (computesInFp16) {
            const Tensor gotArith = halfArith->run(input);
            EXPECT_EQ(models::topK(models::softmax(gotArith.data), 1)[0], top[0]) << "fp16 arithmetic";
            worstArith = std::max(worstArith, maxRelDiff(gotArith, want));
        }
    }
    std::printf("[ info ] %s, fp16 storage: worst logit difference %.2e of the largest logit; fp16 arithmetic: %.2e\n", m->name.c_str(), worst,
                worstArith);
    EXPECT_LT(worst, 0.05);
    EXPECT_LT(worstArith, 0.05);
}

std::vector<std::string> modelNames() {
    std::vector<std::string> v;
    for (const auto* m : percept::testing::testDataManifests()) v.push_back(m->name);
    return v;
}

INSTANTIATE_TEST_SUITE_P(AllModels, VulkanFp16Models, ::testing::ValuesIn(modelNames()), [](const auto& info) {
    std::string s = info.param;
    for (char& c : s)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
});

}  // namespace
}  // namespace percept::vktest
