// SPDX-License-Identifier: Apache-2.0
// Dropping any classifier gives the right answer: a model's input conventions from its
// metadata, or from a calibration on reference photos, must be the ones its manifest states;
// a model that ends in Softmax is read as probabilities.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/test_data.h"
#include "common/test_manifests.h"
#include "model_file_edit.h"
#include "percept/error.h"
#include "percept/models/conventions.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

namespace fs = std::filesystem;

// A copy of a shared model under a name no manifest knows, in a fresh temp directory.
std::string renamedCopy(const models::Manifest& m, const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("percept-conventions-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path dst = dir / name;
    fs::copy_file(modelsDir() + "/" + m.file, dst, fs::copy_options::overwrite_existing);
    return dst.string();
}

struct Top5 {
    std::vector<models::Prediction> preds;
};

std::vector<models::Prediction> top5(Session& s, const Model& model, const models::Conventions& c, const std::string& image) {
    const models::Labels labels = models::loadLabels(c);
    const Tensor out = s.run(models::preprocess(models::loadImage(image), c.input));
    return models::classify(out.data, model.outputs().at(0).kind, labels, c.labelOffset, 5);
}

void expectSameTop5(const std::vector<models::Prediction>& got, const std::vector<models::Prediction>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < got.size(); ++k) {
        // Neighbours closer than 1e-4 may swap (the order of near ties is not meaningful).
        if (k + 1 < want.size() && std::fabs(want[k].prob - want[k + 1].prob) < 1e-4f) continue;
        if (k > 0 && std::fabs(want[k].prob - want[k - 1].prob) < 1e-4f) continue;
        EXPECT_EQ(got[k].index, want[k].index) << "rank " << k;
        EXPECT_EQ(got[k].label, want[k].label) << "rank " << k;
        EXPECT_NEAR(got[k].prob, want[k].prob, 1e-5) << "rank " << k;
    }
}

// Each shared model, renamed so no manifest names it, calibrates to its manifest's
// conventions and gives the manifest's top-5 on every shared photo.
TEST(Calibration, RenamedSharedModelsGetTheirManifestsConventions) {
    for (const auto* mp : testDataManifests()) {
        const auto& m = *mp;
        SCOPED_TRACE(m.name);
        PERCEPT_REQUIRE_DATA(modelsDir() + "/" + m.file);
        const std::string path = renamedCopy(m, "dropped_" + m.name + ".onnx");
        const models::ModelRef ref = models::resolveModel(path);
        ASSERT_FALSE(ref.hasManifest);
        const Model model = Model::load(path);
        auto session = Session::create(model);
        const models::Conventions c = models::resolveConventions(ref, model, [&](const Tensor& t) { return session->run(t); });
        std::printf("[ info ] %s: %s\n", m.name.c_str(), c.note.c_str());
        EXPECT_EQ(c.source, models::ConventionSource::Calibrated) << c.note;
        EXPECT_EQ(c.input.normalization, m.input.normalization);
        EXPECT_EQ(c.input.rgb, m.input.rgb);
        EXPECT_EQ(c.input.size, m.input.size);
        EXPECT_EQ(c.input.resizeShorter, m.input.resizeShorter);
        EXPECT_EQ(c.labelOffset, m.labelOffset);
        if (m.input.normalization == models::Normalization::MeanStd)
            for (int k = 0; k < 3; ++k) {
                EXPECT_FLOAT_EQ(c.input.mean[k], m.input.mean[k]);
                EXPECT_FLOAT_EQ(c.input.std[k], m.input.std[k]);
            }
        // The manifest's own answer, through the same code path.
        const models::ModelRef named = models::resolveModel(m.name);
        const models::Conventions viaManifest = models::resolveConventions(named, model, nullptr);
        EXPECT_EQ(viaManifest.source, models::ConventionSource::Manifest);
        for (const auto& image : testImages()) {
            SCOPED_TRACE(image);
            expectSameTop5(top5(*session, model, c, image), top5(*session, model, viaManifest, image));
        }
    }
}

// A model that recognises nothing (its outputs are not ImageNet's) is not calibrated: the
// note says so and ImageNet mean/std is assumed.
TEST(Calibration, AnOutputCountOtherThanImageNetsIsNotCalibrated) {
    int calls = 0;
    const auto r = models::calibrateInput([&](const Tensor&) { ++calls; return Tensor({1, 10}); }, 224, 10, OutputKind::Values);
    EXPECT_FALSE(r.confident);
    EXPECT_EQ(calls, 0);
    EXPECT_NE(r.summary.find("10 outputs"), std::string::npos) << r.summary;
}

// Constant outputs (a model that ignores its input) recognise no photo: not confident.
TEST(Calibration, AModelThatIgnoresItsInputIsNotConfident) {
    const auto r = models::calibrateInput([&](const Tensor&) { return Tensor({1, 1000}); }, 224, 1000, OutputKind::Values);
    EXPECT_FALSE(r.confident) << r.summary;
}

TEST(Metadata, PerceptKeys) {
    std::map<std::string, std::string> md = {{"percept.input.normalization", "mean_std"},
                                             {"percept.input.mean", "1,2,3"},
                                             {"percept.input.std", "4, 5, 6"},
                                             {"percept.input.channels", "BGR"},
                                             {"percept.input.resize_shorter", "300"},
                                             {"percept.labels", "zero\none\r\ntwo"},
                                             {"percept.label_offset", "1"}};
    const auto c = models::conventionsFromMetadata(md, 256);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->source, models::ConventionSource::Metadata);
    EXPECT_EQ(c->input.size, 256);
    EXPECT_EQ(c->input.resizeShorter, 300);
    EXPECT_FALSE(c->input.rgb);
    EXPECT_FLOAT_EQ(c->input.mean[2], 3.0f);
    EXPECT_FLOAT_EQ(c->input.std[1], 5.0f);
    EXPECT_EQ(c->labels, (std::vector<std::string>{"zero", "one", "two"}));
    EXPECT_EQ(c->labelOffset, 1);
    for (const char* n : {"zero_one", "zero_255", "minus_one_one"}) {
        const auto z = models::conventionsFromMetadata({{"percept.input.normalization", n}}, 224);
        ASSERT_TRUE(z) << n;
        EXPECT_TRUE(z->input.rgb);
    }
    EXPECT_FALSE(models::conventionsFromMetadata({{"author", "someone"}}, 224));
}

TEST(Metadata, WindowsMlKeys) {
    const auto c = models::conventionsFromMetadata({{"Image.BitmapPixelFormat", "Bgr8"}, {"Image.NominalPixelRange", "Normalized_0_1"}}, 224);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->input.rgb);
    EXPECT_EQ(c->input.normalization, models::Normalization::MeanStd);
    EXPECT_FLOAT_EQ(c->input.std[0], 255.0f);
    EXPECT_FLOAT_EQ(c->input.mean[0], 0.0f);
}

TEST(Metadata, BadValuesNameTheKey) {
    for (const auto& md : std::vector<std::map<std::string, std::string>>{
             {{"percept.input.normalization", "mean_std"}},  // no mean/std
             {{"percept.input.normalization", "weird"}},
             {{"percept.input.normalization", "mean_std"}, {"percept.input.mean", "1,2"}, {"percept.input.std", "1,1,1"}},
             {{"percept.input.normalization", "mean_std"}, {"percept.input.mean", "1,2,3"}, {"percept.input.std", "1,0,1"}},
             {{"percept.input.channels", "RGBA"}},
             {{"percept.input.channels", "RGB"}, {"percept.label_offset", "-1"}},
             {{"Image.NominalPixelRange", "NominalRange_16_235"}}}) {
        try {
            models::conventionsFromMetadata(md, 224);
            ADD_FAILURE() << "accepted " << md.begin()->first << "=" << md.begin()->second;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("model metadata '"), std::string::npos) << e.what();
        }
    }
}

// percept-tag-model's path: the manifest's conventions written into the file's metadata come
// back out of it, and the renamed tagged file gives the manifest's top-5.
TEST(Metadata, TaggedFileRoundTrip) {
    for (const auto* mp : testDataManifests()) {
        const auto& m = *mp;
        SCOPED_TRACE(m.name);
        PERCEPT_REQUIRE_DATA(modelsDir() + "/" + m.file);
        const Model original = Model::load(models::resolveModel(m.name).modelPath);
        const models::Conventions viaManifest = models::resolveConventions(models::resolveModel(m.name), original, nullptr);
        const models::Labels labels = models::loadLabels(viaManifest);
        std::vector<std::string> names;
        for (size_t k = 0; k < labels.size(); ++k) names.push_back(labels.name(static_cast<int>(k) + m.labelOffset, m.labelOffset));
        const std::string tagged = renamedCopy(m, "tagged_" + m.name + ".onnx");
        tools::writeWithMetadata(models::resolveModel(m.name).modelPath, tagged, models::metadataFromConventions(viaManifest, names));
        const Model model = Model::load(tagged);
        int calls = 0;
        const models::Conventions c = models::resolveConventions(models::resolveModel(tagged), model, [&](const Tensor& t) {
            ++calls;
            return Tensor(t.shape);
        });
        EXPECT_EQ(calls, 0) << "metadata present: no calibration";
        EXPECT_EQ(c.source, models::ConventionSource::Metadata);
        EXPECT_EQ(c.labels.size(), labels.size());
        auto session = Session::create(model);
        for (const auto& image : testImages()) expectSameTop5(top5(*session, model, c, image), top5(*session, model, viaManifest, image));
    }
}

// A model that ends in Softmax: its outputs are read as probabilities, not softmaxed again
// (which would give the best class about 0.2 %).
TEST(OutputKind, TrailingSoftmaxIsNotAppliedTwice) {
    const auto* m = models::findManifest("squeezenet1.1");
    ASSERT_NE(m, nullptr);
    PERCEPT_REQUIRE_DATA(modelsDir() + "/" + m->file);
    const std::string withSoftmax = renamedCopy(*m, "squeezenet_softmax.onnx");
    tools::writeWithSoftmaxOutput(modelsDir() + "/" + m->file, withSoftmax);
    const Model plain = Model::load(modelsDir() + "/" + m->file), probs = Model::load(withSoftmax);
    EXPECT_EQ(plain.outputs().at(0).kind, OutputKind::Values);
    EXPECT_EQ(probs.outputs().at(0).kind, OutputKind::Probabilities);
    const models::Conventions c = models::resolveConventions(models::resolveModel(m->name), plain, nullptr);
    auto a = Session::create(plain), b = Session::create(probs);
    for (const auto& image : testImages()) {
        SCOPED_TRACE(image);
        const auto want = top5(*a, plain, c, image), got = top5(*b, probs, c, image);
        expectSameTop5(got, want);
        EXPECT_GT(got[0].prob, 0.1f);
    }
}

}  // namespace
}  // namespace percept::testing
