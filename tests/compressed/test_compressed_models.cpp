// SPDX-License-Identifier: Apache-2.0
// Compressed models (percept-compress, inference/compressed/): every shared model compressed,
// loaded back and run decoded at creation and streamed under weight budgets, which must agree
// bit for bit; the budget's edge cases; Vulkan (decoded at creation) against the CPU.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "common/test_data.h"
#include "compressed/model_file.h"
#include "percept/percept.h"
#include "synthetic_models.h"

using namespace percept;

namespace {

const char* kSharedModels[] = {"squeezenet1.1.onnx", "mobilenet_v1_0.25_128.dequant.onnx", "mobilenet_v1_0.5_160.dequant.onnx",
                               "mobilenet_v2_1.0_224.dequant.onnx"};

Model compress(const Model& m, int bits, double sparsity) {
    compressed::CompressOptions o;
    o.codebook.bits = bits;
    o.codebook.sparsity = sparsity;
    const std::vector<uint8_t> bytes = compressed::writeCompressedModel(m.graph(), o);
    return Model::fromBytes(bytes.data(), bytes.size(), "compressed.pcz");
}

Tensor randomInput(const Model& m, uint32_t seed) {
    Tensor t(m.inputs()[0].shape);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(-2.0f, 2.0f);
    for (float& v : t.data) v = d(rng);
    return t;
}

struct Outcome {
    Tensor out;
    Stats stats;
};

Outcome run(const Model& m, const Tensor& x, size_t budget, bool prefetch = true, int threads = 2) {
    SessionOptions so;
    so.threads = threads;
    so.weightMemoryBudget = budget;
    so.tuning.weightPrefetch = prefetch;
    auto s = Session::create(m, so);
    Tensor out = s->run(x);
    Tensor again = s->run(x);  // a second run reuses the lanes' buffers
    EXPECT_EQ(0, std::memcmp(out.data.data(), again.data.data(), out.data.size() * sizeof(float))) << "two runs of one session differ";
    return {out, s->stats()};
}

void expectSame(const Tensor& a, const Tensor& b, const std::string& what) {
    ASSERT_EQ(a.shape, b.shape) << what;
    EXPECT_EQ(0, std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float))) << what << ": outputs differ";
}

}  // namespace

// Every shared model: decoded at creation vs streamed with one lane (budget 0), two lanes and
// a mixed budget (some layers resident): the same bits.
TEST(CompressedModels, StreamedOutputsEqualDecodedAtLoadOnEverySharedModel) {
    for (const char* name : kSharedModels) {
        const std::string path = percept::testing::modelsDir() + "/" + name;
        PERCEPT_REQUIRE_DATA(path);
        SCOPED_TRACE(name);
        const Model pcz = compress(Model::load(path), 6, 0.1);
        const Tensor x = randomInput(pcz, 3);
        const Outcome atLoad = run(pcz, x, kNoWeightBudget);
        EXPECT_EQ(atLoad.stats.streamedLayers, 0);
        EXPECT_GT(atLoad.stats.codedWeightBytes, 0u);
        const Outcome lean = run(pcz, x, 0);
        EXPECT_GT(lean.stats.streamedLayers, 0);
        EXPECT_EQ(lean.stats.decodeLanes, 1);  // no room for a second lane
        expectSame(atLoad.out, lean.out, "budget 0");
        // Room for everything but the largest layer, and a second lane.
        const size_t roomy = atLoad.stats.weightBytes - 1;
        const Outcome mixed = run(pcz, x, roomy);
        EXPECT_GT(mixed.stats.streamedLayers, 0);
        EXPECT_LT(mixed.stats.streamedLayers, lean.stats.streamedLayers);
        EXPECT_LE(mixed.stats.weightBytes, roomy);
        expectSame(atLoad.out, mixed.out, "mixed budget");
        const Outcome noPrefetch = run(pcz, x, roomy, false);
        EXPECT_EQ(noPrefetch.stats.decodeLanes, 1);
        expectSame(atLoad.out, noPrefetch.out, "mixed budget without prefetch");
        // The pool-free decode path, against decoding at load on one thread too: the bits may
        // differ between thread counts where a kernel's form depends on it (Winograd F(2x2)
        // where F(4x4) has too few tiles per thread, the SE means' per-thread partial sums).
        const Outcome oneThread = run(pcz, x, 0, true, 1);
        expectSame(run(pcz, x, kNoWeightBudget, true, 1).out, oneThread.out, "budget 0, one thread");
    }
}

// The budget's edges: none or one that fits everything decodes all at creation; a budget below
// what streaming needs still streams everything (with one lane) and says what it holds; a
// budget on an uncompressed model changes nothing.
TEST(CompressedModels, BudgetEdgeCases) {
    const std::string path = percept::testing::modelsDir() + "/squeezenet1.1.onnx";
    PERCEPT_REQUIRE_DATA(path);
    const Model fp32 = Model::load(path);
    const Model pcz = compress(fp32, 5, 0.0);
    const Tensor x = randomInput(pcz, 5);
    const Outcome atLoad = run(pcz, x, kNoWeightBudget);
    const size_t all = atLoad.stats.weightBytes;
    EXPECT_EQ(run(pcz, x, all).stats.streamedLayers, 0) << "a budget of exactly what everything takes decodes everything";
    const Outcome below = run(pcz, x, all - 1);
    EXPECT_GT(below.stats.streamedLayers, 0) << "one byte less streams";
    EXPECT_LE(below.stats.weightBytes, all - 1);
    const Outcome zero = run(pcz, x, 0);
    EXPECT_GT(zero.stats.weightBytes, 0u);
    // A lane holds the largest step decoded and repacked (SqueezeNet's classifier, 40 % of its
    // weights), so streaming everything holds 36 % of decoding everything on 2 threads, since
    // the decoded-at-load session's 13x13 convs hold F(2x2)'s repacked weights (1.8x the
    // originals), not F(4x4)'s (4x): about 4 MB less.
    EXPECT_LT(zero.stats.weightBytes, all / 2) << "streaming everything holds far less than decoding everything";
    EXPECT_GE(zero.stats.streamedLayers, below.stats.streamedLayers);
    EXPECT_EQ(zero.stats.decodedWeightBytes, atLoad.stats.decodedWeightBytes);
    // Uncompressed: the budget is ignored.
    const Tensor y = randomInput(fp32, 5);
    const Outcome plain = run(fp32, y, kNoWeightBudget), plainBudget = run(fp32, y, 0);
    EXPECT_EQ(plainBudget.stats.streamedLayers, 0);
    EXPECT_EQ(plainBudget.stats.codedWeightBytes, 0u);
    expectSame(plain.out, plainBudget.out, "uncompressed model with a budget");
}

// The synthetic ResNet-18 (BatchNorm folded before coding, Conv+MaxPool fused, residual Adds).
TEST(CompressedModels, SyntheticResNet18Streams) {
    const std::string bytes = tools::makeSyntheticModel(tools::SyntheticArch::ResNet18, 64, 3);
    const Model pcz = compress(Model::fromBytes(bytes.data(), bytes.size(), "resnet18.onnx"), 5, 0.2);
    const Tensor x = randomInput(pcz, 9);
    const Outcome atLoad = run(pcz, x, kNoWeightBudget), lean = run(pcz, x, 0);
    EXPECT_GT(lean.stats.streamedLayers, 15);
    expectSame(atLoad.out, lean.out, "ResNet-18, budget 0");
}

// A quantised model (the MobileNets are dequantised uint8 TFLite: at most 256 values per layer)
// is coded exactly at 8 bits: the same outputs as the fp32 file, bit for bit.
TEST(CompressedModels, QuantisedModelIsCodedExactly) {
    const std::string path = percept::testing::modelsDir() + "/mobilenet_v1_0.25_128.dequant.onnx";
    PERCEPT_REQUIRE_DATA(path);
    const Model fp32 = Model::load(path);
    const Model pcz = compress(fp32, 8, 0.0);
    const Tensor x = randomInput(fp32, 1);
    expectSame(run(fp32, x, kNoWeightBudget).out, run(pcz, x, 0).out, "8-bit code of a uint8 model");
}

TEST(CompressedModels, VulkanDecodesAtCreationAndAgreesWithTheCpu) {
    std::string why;
    if (!backendAvailable(Backend::Vulkan, &why)) {
        if (percept::testing::underCi()) FAIL() << "no Vulkan device under CI: " << why;
        GTEST_SKIP() << why;
    }
    const std::string path = percept::testing::modelsDir() + "/squeezenet1.1.onnx";
    PERCEPT_REQUIRE_DATA(path);
    const Model pcz = compress(Model::load(path), 6, 0.1);
    const Tensor x = randomInput(pcz, 2);
    const Tensor cpu = run(pcz, x, 0).out;
    SessionOptions so;
    so.backend = Backend::Vulkan;
    so.weightMemoryBudget = 0;  // Vulkan decodes at creation whatever the budget
    auto s = Session::create(pcz, so);
    const Tensor gpu = s->run(x);
    float scale = 0.0f, diff = 0.0f;
    for (size_t k = 0; k < cpu.data.size(); ++k) scale = std::max(scale, std::fabs(cpu.data[k])), diff = std::max(diff, std::fabs(cpu.data[k] - gpu.data[k]));
    EXPECT_LE(diff, 1e-4f * scale);
    EXPECT_TRUE(pcz.unsupportedOps(Backend::Vulkan).empty());
}
