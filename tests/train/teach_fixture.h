// SPDX-License-Identifier: Apache-2.0
#pragma once
// A whole personalisation for the teaching tests (test_teach.cpp, test_teach_ort.cpp): a shared
// model taught the three classes of the generated videos (make_teach_videos.sh), with examples
// of none of them from the first half of the shared photos and the fourth video, the last
// quarter of each class's frames held back; exported to ONNX and read back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "common/test_data.h"
#include "percept/models/classification.h"
#include "percept/models/conventions.h"
#include "percept/models/manifest.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/models/teach_data.h"
#include "percept/percept.h"
#include "percept/train.h"

namespace percept::teachtest {

inline const std::vector<std::string> kClasses = {"pattern", "fractal", "life"};

inline std::string videosDir() { return testing::envOr("PERCEPT_TEACH_VIDEOS_DIR", PERCEPT_TEACH_VIDEOS_DIR); }

// The shared photos: the first half are examples of none of the new classes, the second half
// are never seen in training (where the ImageNet answers must stay).
inline std::vector<std::string> seenPhotos() {
    std::vector<std::string> all = testing::testImages();
    return std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2));
}
inline std::vector<std::string> unseenPhotos() {
    std::vector<std::string> all = testing::testImages();
    return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2), all.end());
}

struct Taught {
    const char* skipped = nullptr;  // why not, on a machine without the data (a failure under CI)
    std::string modelPath;
    models::Conventions conventions;
    train::Report report;
    std::string onnx;                     // the personalised model
    double exportedHeldBackAccuracy = 0;  // the exported model's, on the held-back frames
    std::vector<Tensor> heldBackInputs;   // preprocessed
    std::vector<int> heldBackLabels;
};

inline Taught teach(const std::string& manifest, train::Mode mode, int layers, bool extend, Backend backend, int epochs = 20) {
    Taught t;
    const models::Manifest* m = models::findManifest(manifest);
    if (!m) throw Error("no manifest " + manifest);
    t.modelPath = testing::modelsDir() + "/" + m->file;
    for (const std::string& need : {t.modelPath, videosDir() + "/pattern.mp4", testing::imagesDir()}) {
        if (std::filesystem::exists(need)) continue;
        if (testing::underCi()) ADD_FAILURE() << "test data missing under CI: " << need;
        t.skipped = "test data missing (the shared models and photos, the generated videos)";
        return t;
    }
    const Model model = Model::load(t.modelPath);
    models::ModelRef ref;
    ref.manifest = *m;
    ref.modelPath = t.modelPath;
    ref.labelsPath = testing::modelsDir() + "/" + m->labels;
    ref.hasManifest = true;
    t.conventions = models::resolveConventions(ref, model, {});
    const models::Labels labels = models::loadLabels(t.conventions);

    train::Options o;
    o.mode = mode;
    o.fineTuneLayers = layers;
    o.extend = extend;
    o.epochs = epochs;
    o.session.backend = backend;
    o.session.threads = 2;
    o.session.tuning = Tuning::fromEnvironment();
    train::Trainer trainer(model, kClasses, o);
    auto extract = [&](const cv::Mat& img) { return trainer.extract(models::preprocess(img, t.conventions.input)); };
    std::mt19937 rng(3);
    std::vector<train::Example> trainSet, heldBack;
    for (size_t c = 0; c < kClasses.size(); ++c) {
        const std::vector<cv::Mat> frames = models::readTeachingFrames(videosDir() + "/" + kClasses[c] + ".mp4", 40);
        const size_t before = heldBack.size();
        models::addExamples(frames, static_cast<int>(c), 0.25, 2, rng, extract, trainSet, heldBack);
        for (size_t k = frames.size() - (heldBack.size() - before); k < frames.size(); ++k) {
            t.heldBackInputs.push_back(models::preprocess(frames[k], t.conventions.input));
            t.heldBackLabels.push_back(static_cast<int>(c));
        }
    }
    if (extend) {
        std::vector<cv::Mat> none = models::readTeachingFrames(videosDir() + "/other.mp4", 20);
        for (const std::string& p : seenPhotos()) none.push_back(models::loadImage(p));
        std::vector<train::Example> unused;
        models::addExamples(none, -1, 0.0, 2, rng, extract, trainSet, unused);
    }
    t.report = trainer.fit(trainSet, heldBack);

    std::ifstream f(t.modelPath, std::ios::binary);
    const std::string base((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    t.onnx = trainer.exportOnnx(base, models::personalisedMetadata(t.conventions, labels, trainer.baseClasses(), kClasses, extend));
    const Model personal = Model::fromBytes(t.onnx.data(), t.onnx.size(), "personal");
    SessionOptions so;
    so.backend = backend;
    auto session = Session::create(personal, so);
    const int64_t first = extend ? trainer.baseClasses() : 0;
    int right = 0;
    for (size_t k = 0; k < t.heldBackInputs.size(); ++k) {
        const std::vector<float> y = session->run(t.heldBackInputs[k]).data;
        right += std::max_element(y.begin(), y.end()) - y.begin() == first + t.heldBackLabels[k];
    }
    t.exportedHeldBackAccuracy = t.heldBackInputs.empty() ? 0.0 : static_cast<double>(right) / static_cast<double>(t.heldBackInputs.size());
    std::printf("[ figures  ] %s %s%s on %s: held-back %.1f %% (exported %.1f %%), %d epochs in %.2f s, %d layer(s)\n", manifest.c_str(),
                train::modeName(mode), extend ? " extended" : " replaced", t.report.device.c_str(), 100.0 * t.report.heldBackAccuracy,
                100.0 * t.exportedHeldBackAccuracy, t.report.epochs, t.report.trainMs / 1000.0, t.report.trainedLayers);
    return t;
}

}  // namespace percept::teachtest
