// SPDX-License-Identifier: Apache-2.0
// Calibration of an unknown classifier's input convention on reference photos
// (resources/calibration, compiled in): the convention under which the photos are recognised
// is the one the model was trained with. A wrong one (±1 for a mean/std model, BGR for RGB)
// does not crash anything; it just makes the model see noise, which is what a user dropping a
// file without a manifest would otherwise get, silently.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "percept/error.h"
#include "percept/models/conventions.h"
#include "percept/models/preprocess.h"
#include "percept/models/teach_data.h"

namespace percept::models {

namespace detail {
struct EmbeddedPhoto {
    const char* name;
    const unsigned char* data;
    unsigned long size;
};
// Generated at configure time from resources/calibration/*.jpg (models/CMakeLists.txt).
extern const EmbeddedPhoto kReferencePhotos[];
extern const int kReferencePhotoCount;
}  // namespace detail

namespace {

// The ImageNet classes (0-based, 1000-class numbering) each photo shows; resources/calibration/README.md.
const std::map<std::string, std::vector<int>>& acceptedClasses() {
    static const std::map<std::string, std::vector<int>> m = {
        {"coffee.jpg", {967, 968, 504}},
        {"chelsea.jpg", {281, 282, 285}},
        {"parrot.jpg", {88}},
        {"hot_dog.jpg", {934}},
        {"pelican.jpg", {144}},
        {"bird.jpg", {19}},
        {"dragonfly.jpg", {319, 320}},
        {"rocket.jpg", {657, 744}},
    };
    return m;
}

struct Photo {
    std::string name;
    cv::Mat bgr;
    std::vector<int> classes;
};

const std::vector<Photo>& referencePhotos() {
    static const std::vector<Photo> photos = [] {
        std::vector<Photo> v;
        for (int k = 0; k < detail::kReferencePhotoCount; ++k) {
            const auto& e = detail::kReferencePhotos[k];
            auto it = acceptedClasses().find(e.name);
            if (it == acceptedClasses().end()) throw Error(std::string("reference photo ") + e.name + " has no ImageNet classes listed");
            std::vector<unsigned char> bytes(e.data, e.data + e.size);
            v.push_back({e.name, decodeImage(bytes, e.name), it->second});
        }
        return v;
    }();
    return photos;
}

}  // namespace

// (teach_data.h) The photos alone, for teaching's examples of none of the new classes.
std::vector<cv::Mat> referencePhotoImages() {
    std::vector<cv::Mat> out;
    for (const Photo& p : referencePhotos()) out.push_back(p.bgr);
    return out;
}

namespace {

InputSpec meanStd(const float mean[3], const float sd[3], bool rgb) {
    InputSpec s;
    s.normalization = Normalization::MeanStd;
    s.rgb = rgb;
    for (int c = 0; c < 3; ++c) {
        // mean/std are per model channel: BGR models see them in B, G, R order.
        const int k = rgb ? c : 2 - c;
        s.mean[c] = mean[k];
        s.std[c] = sd[k];
    }
    return s;
}

}  // namespace

std::vector<InputConvention> commonInputConventions(int inputSide) {
    const float imagenetMean[3] = {123.675f, 116.28f, 103.53f}, imagenetStd[3] = {58.395f, 57.12f, 57.375f};
    const float caffeMean[3] = {123.68f, 116.779f, 103.939f}, ones[3] = {1.0f, 1.0f, 1.0f};
    const float zeros[3] = {0.0f, 0.0f, 0.0f}, range255[3] = {255.0f, 255.0f, 255.0f};
    // Priors by output count: 1000 classes are mostly PyTorch / Caffe / MXNet exports (ImageNet
    // mean/std, Caffe's BGR mean subtraction); 1001 ("background" first) are TensorFlow-slim
    // models (±1 for the Inception/MobileNet family, RGB mean subtraction for its VGG/ResNet).
    std::vector<InputConvention> v;
    for (bool rgb : {true, false}) {
        const std::string order = rgb ? "RGB" : "BGR";
        const double o = rgb ? 1.0 : 0.2;  // RGB is far more common, except for Caffe models
        v.push_back({"ImageNet mean/std, " + order, meanStd(imagenetMean, imagenetStd, rgb), 0.45 * o, 0.08 * o});
        InputSpec pm;
        pm.normalization = Normalization::MinusOneOne;
        pm.rgb = rgb;
        v.push_back({"\u00b11 (x/127.5 \u2212 1), " + order, pm, 0.12 * o, 0.6 * o});
        v.push_back({"0..1 (x/255), " + order, meanStd(zeros, range255, rgb), 0.08 * o, 0.05 * o});
        v.push_back({"Caffe mean subtraction, " + order, meanStd(caffeMean, ones, rgb), rgb ? 0.04 : 0.2, rgb ? 0.12 : 0.02});
        v.push_back({"0..255, " + order, meanStd(zeros, ones, rgb), 0.04 * o, 0.04 * o});
    }
    for (auto& c : v) {
        c.spec.size = inputSide;
        c.spec.resizeShorter = static_cast<int>(inputSide / 0.875 + 0.5);
    }
    return v;
}

CalibrationResult calibrateInput(const std::function<Tensor(const Tensor&)>& run, int inputSide, int64_t outputs, OutputKind kind) {
    CalibrationResult r;
    const auto& photos = referencePhotos();
    r.photos = static_cast<int>(photos.size());
    if (outputs != 1000 && outputs != 1001) {
        r.summary = "cannot calibrate: the model has " + std::to_string(outputs) + " outputs, not ImageNet's 1000 (or 1001)";
        return r;
    }
    r.labelOffset = static_cast<int>(outputs - 1000);
    double bestScore = -1e300;
    for (const InputConvention& c : commonInputConventions(inputSide)) {
        int recognised = 0;
        double score = 0.0;
        for (const Photo& p : photos) {
            const Tensor out = run(preprocess(p.bgr, c.spec));
            if (out.data.size() != static_cast<size_t>(outputs)) throw Error("the model's output changed size during calibration");
            const std::vector<float> probs = probabilities(out.data, kind);
            const std::vector<int> top = topK(probs, 5);
            double pClass = 0.0;
            bool inTop5 = false;
            for (int cls : p.classes) {
                const int idx = cls + r.labelOffset;
                pClass += probs[static_cast<size_t>(idx)];
                if (std::find(top.begin(), top.end(), idx) != top.end()) inTop5 = true;
            }
            recognised += inTop5;
            score += std::log(std::max(pClass, 1e-30));
        }
        // The photos' log-likelihood under this convention plus the convention's prior for
        // models of this output count: close calls (ImageNet mean/std against ±1 differ by
        // little more than a scale a strong model shrugs off) go to the convention that
        // family of models uses.
        const double total = score + std::log(outputs == 1001 ? c.prior1001 : c.prior1000);
        if (total > bestScore) {
            bestScore = total;
            r.best = c;
            r.recognised = recognised;
        }
    }
    // At least three of four: a wrong convention recognises at most an odd photo by chance.
    r.confident = r.recognised * 4 >= r.photos * 3;
    r.summary = r.best.name + " (" + std::to_string(r.recognised) + "/" + std::to_string(r.photos) + " reference photos recognised)";
    return r;
}

}  // namespace percept::models
