// SPDX-License-Identifier: Apache-2.0
// Input conventions from a model's metadata_props (the keys are listed in conventions.h).
#include <cstdlib>
#include <sstream>

#include "percept/error.h"
#include "percept/models/conventions.h"
#include "percept/models/model_store.h"

namespace percept::models {
namespace {

const std::string* find(const std::map<std::string, std::string>& md, const std::string& key) {
    auto it = md.find(key);
    return it == md.end() ? nullptr : &it->second;
}

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& want) {
    throw Error("model metadata '" + key + "' = '" + value.substr(0, 60) + "': " + want);
}

void threeFloats(const std::string& key, const std::string& value, float out[3]) {
    std::stringstream ss(value);
    std::string item;
    int n = 0;
    while (std::getline(ss, item, ',')) {
        char* end = nullptr;
        const float v = std::strtof(item.c_str(), &end);
        if (end == item.c_str() || n >= 3) bad(key, value, "expected three comma-separated numbers");
        out[n++] = v;
    }
    if (n != 3) bad(key, value, "expected three comma-separated numbers");
}

int positiveInt(const std::string& key, const std::string& value, int min) {
    char* end = nullptr;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (end == value.c_str() || *end != '\0' || v < min || v > 100000) bad(key, value, "expected a whole number >= " + std::to_string(min));
    return static_cast<int>(v);
}

std::string joinFloats(const float v[3]) {
    std::ostringstream s;
    s << v[0] << "," << v[1] << "," << v[2];
    return s.str();
}

}  // namespace

std::optional<Conventions> conventionsFromMetadata(const std::map<std::string, std::string>& md, int inputSide) {
    Conventions c;
    c.source = ConventionSource::Metadata;
    c.input.size = inputSide;
    c.input.resizeShorter = static_cast<int>(inputSide / 0.875 + 0.5);
    bool any = false;
    if (const std::string* v = find(md, "percept.input.normalization")) {
        any = true;
        if (*v == "mean_std") {
            c.input.normalization = Normalization::MeanStd;
            const std::string* mean = find(md, "percept.input.mean");
            const std::string* sd = find(md, "percept.input.std");
            if (!mean || !sd) bad("percept.input.normalization", *v, "mean_std needs percept.input.mean and percept.input.std");
            threeFloats("percept.input.mean", *mean, c.input.mean);
            threeFloats("percept.input.std", *sd, c.input.std);
            for (float s : c.input.std)
                if (!(s > 0.0f)) bad("percept.input.std", *sd, "every std must be positive");
        } else if (*v == "minus_one_one") {
            c.input.normalization = Normalization::MinusOneOne;
        } else if (*v == "zero_one" || *v == "zero_255") {
            c.input.normalization = Normalization::MeanStd;
            for (int k = 0; k < 3; ++k) {
                c.input.mean[k] = 0.0f;
                c.input.std[k] = *v == "zero_one" ? 255.0f : 1.0f;
            }
        } else {
            bad("percept.input.normalization", *v, "expected mean_std, minus_one_one, zero_one or zero_255");
        }
    } else if (const std::string* r = find(md, "Image.NominalPixelRange")) {
        any = true;
        if (*r == "Normalized_1_1") {
            c.input.normalization = Normalization::MinusOneOne;
        } else if (*r == "Normalized_0_1" || *r == "NominalRange_0_255") {
            c.input.normalization = Normalization::MeanStd;
            for (int k = 0; k < 3; ++k) {
                c.input.mean[k] = 0.0f;
                c.input.std[k] = *r == "Normalized_0_1" ? 255.0f : 1.0f;
            }
        } else {
            bad("Image.NominalPixelRange", *r, "expected NominalRange_0_255, Normalized_0_1 or Normalized_1_1 (NominalRange_16_235 is not supported)");
        }
    }
    if (const std::string* v = find(md, "percept.input.channels")) {
        any = true;
        if (*v != "RGB" && *v != "BGR") bad("percept.input.channels", *v, "expected RGB or BGR");
        c.input.rgb = *v == "RGB";
    } else if (const std::string* f = find(md, "Image.BitmapPixelFormat")) {
        any = true;
        if (*f != "Rgb8" && *f != "Bgr8" && *f != "Rgba8" && *f != "Bgra8") bad("Image.BitmapPixelFormat", *f, "expected Rgb8 or Bgr8");
        c.input.rgb = f->rfind("Rgb", 0) == 0;
    }
    if (const std::string* v = find(md, "percept.input.resize_shorter")) c.input.resizeShorter = positiveInt("percept.input.resize_shorter", *v, inputSide);
    if (const std::string* v = find(md, "percept.label_offset")) c.labelOffset = positiveInt("percept.label_offset", *v, 0);
    if (const std::string* v = find(md, "percept.labels")) {
        std::stringstream ss(*v);
        std::string line;
        while (std::getline(ss, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            c.labels.push_back(line);
        }
        if (c.labels.empty()) bad("percept.labels", *v, "no labels");
    }
    if (!any) return std::nullopt;
    c.note = "input conventions from the model's metadata";
    c.note += c.labels.empty() ? "" : " (and its " + std::to_string(c.labels.size()) + " labels)";
    return c;
}

std::map<std::string, std::string> metadataFromConventions(const Conventions& c, const std::vector<std::string>& labels) {
    std::map<std::string, std::string> md;
    if (c.input.normalization == Normalization::MinusOneOne) {
        md["percept.input.normalization"] = "minus_one_one";
    } else {
        md["percept.input.normalization"] = "mean_std";
        md["percept.input.mean"] = joinFloats(c.input.mean);
        md["percept.input.std"] = joinFloats(c.input.std);
    }
    md["percept.input.channels"] = c.input.rgb ? "RGB" : "BGR";
    md["percept.input.resize_shorter"] = std::to_string(c.input.resizeShorter);
    md["percept.label_offset"] = std::to_string(c.labelOffset);
    if (!labels.empty()) {
        std::string all;
        for (const auto& l : labels) all += l + "\n";
        all.pop_back();
        md["percept.labels"] = all;
    }
    return md;
}

Conventions resolveConventions(const ModelRef& ref, const Model& model, const std::function<Tensor(const Tensor&)>& run) {
    const Shape& in = model.inputs().at(0).shape;
    const int side = in.size() == 4 ? static_cast<int>(in[3]) : 0;
    const Shape& outShape = model.outputs().at(0).shape;
    const int64_t classes = outShape.empty() ? 0 : elementCount(outShape);
    Conventions c;
    if (ref.hasManifest) {
        if (ref.manifest.input.size != side)
            throw Error("the manifest '" + ref.manifest.name + "' says " + std::to_string(ref.manifest.input.size) +
                        " px input but the model takes " + std::to_string(side));
        c.input = ref.manifest.input;
        c.labelOffset = ref.manifest.labelOffset;
        c.labelsPath = ref.labelsPath;
        c.source = ConventionSource::Manifest;
        c.note = "input and labels from the manifest '" + ref.manifest.name + "'";
        return c;
    }
    if (auto md = conventionsFromMetadata(model.metadata(), side)) {
        c = *md;
    } else if (run) {
        const CalibrationResult cal = calibrateInput(run, side, classes, model.outputs().at(0).kind);
        if (cal.confident) {
            c.input = cal.best.spec;
            c.labelOffset = cal.labelOffset;
            c.source = ConventionSource::Calibrated;
            c.note = "input calibrated: " + cal.summary;
        } else {
            c.input.size = side;
            c.input.resizeShorter = static_cast<int>(side / 0.875 + 0.5);
            c.note = "input convention unknown (" + cal.summary + "); assuming ImageNet mean/std, RGB: set it in Model > Input and Labels";
        }
    } else {
        c.input.size = side;
        c.input.resizeShorter = static_cast<int>(side / 0.875 + 0.5);
        c.note = "no manifest or metadata: assuming ImageNet mean/std, RGB";
    }
    if (c.labels.empty() && (classes == 1000 || classes == 1001)) {
        c.labelsPath = findDataFile("imagenet_synset_words.txt");
        if (c.source != ConventionSource::Metadata || !find(model.metadata(), "percept.label_offset")) c.labelOffset = static_cast<int>(classes - 1000);
        if (!c.labelsPath.empty()) c.note += "; ImageNet labels, " + std::to_string(classes) + " outputs";
    }
    if (c.labels.empty() && c.labelsPath.empty()) c.note += "; no labels (class numbers shown)";
    return c;
}

Labels loadLabels(const Conventions& c) {
    if (!c.labels.empty()) return Labels::fromNames(c.labels);
    if (!c.labelsPath.empty()) return Labels::load(c.labelsPath);
    return {};
}

}  // namespace percept::models
