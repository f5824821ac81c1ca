// SPDX-License-Identifier: Apache-2.0
#pragma once
// The model-related options both tools share: --model, --labels, preprocessing overrides.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli_args.h"
#include "percept/models/conventions.h"
#include "percept/models/model_store.h"
#include "percept/percept.h"

namespace percept::tools {

inline const char* kModelOptionsHelp =
    "  --model M          manifest name (see --list) or path to an .onnx file\n"
    "  --labels FILE      labels file (default: the manifest's)\n"
    "  --size S           input crop size (default: the model's input)\n"
    "  --resize-shorter N shorter side before the crop (default: round(S/0.875))\n"
    "  --norm MODE        mean_std | minus_one_one\n"
    "  --mean R,G,B       pixel means (0..255) for mean_std\n"
    "  --std R,G,B        pixel stds (0..255) for mean_std\n"
    "  --bgr              feed channels in BGR order\n"
    "  --label-offset K   output index K is the first labels-file class\n"
    "  (a file no manifest names: its metadata_props, else a calibration on reference photos,\n"
    "   choose the input convention unless --norm/--mean/--std/--bgr set it)\n";

inline void addModelOptions(std::set<std::string>& valued, std::set<std::string>& switches) {
    valued.insert({"--model", "--labels", "--size", "--resize-shorter", "--norm", "--mean", "--std", "--label-offset"});
    switches.insert("--bgr");
}

// Whether the command line sets the input convention itself (no calibration then).
inline bool hasInputOptions(const Args& a) {
    for (const char* f : {"--norm", "--mean", "--std", "--bgr"})
        if (a.has(f)) return true;
    return false;
}

// Applies the command line's overrides to a model's conventions (resolved from its manifest,
// metadata or a calibration: models::resolveConventions).
inline void applyModelOptions(const Args& a, models::Conventions& c) {
    auto& in = c.input;
    if (a.has("--size")) {
        in.size = a.getInt("--size", in.size);
        in.resizeShorter = static_cast<int>(in.size / 0.875 + 0.5);
    }
    in.resizeShorter = a.getInt("--resize-shorter", in.resizeShorter);
    if (in.size <= 0 || in.resizeShorter < in.size) throw Error("--size / --resize-shorter are inconsistent");
    if (a.has("--norm")) {
        const std::string n = a.get("--norm");
        if (n == "mean_std") in.normalization = models::Normalization::MeanStd;
        else if (n == "minus_one_one") in.normalization = models::Normalization::MinusOneOne;
        else throw Error("--norm must be mean_std or minus_one_one");
    }
    for (const char* f : {"--mean", "--std"}) {
        if (!a.has(f)) continue;
        auto v = a.getFloats(f);
        if (v.size() != 3) throw Error(std::string(f) + " needs three values R,G,B");
        for (int k = 0; k < 3; ++k) (std::string(f) == "--mean" ? in.mean : in.std)[k] = v[k];
    }
    if (a.has("--bgr")) in.rgb = false;
    if (hasInputOptions(a)) {
        c.source = models::ConventionSource::User;
        c.note = "input as given on the command line";
    }
    c.labelOffset = a.getInt("--label-offset", c.labelOffset);
    if (a.has("--labels")) {
        c.labels.clear();
        c.labelsPath = a.get("--labels");
    }
}

// A model's conventions as the tools resolve them (models::resolveConventions: its manifest,
// metadata, or a calibration on a CPU session, skipped when the command line sets the input),
// with the command line's overrides on top (percept-tag-model, percept-compress).
inline models::Conventions resolveModelConventions(const Args& a, const models::ModelRef& ref, const Model& model) {
    std::unique_ptr<Session> session;
    std::function<Tensor(const Tensor&)> calibrate;
    if (!hasInputOptions(a))
        calibrate = [&](const Tensor& t) {
            if (!session) session = Session::create(model);
            return session->run(t);
        };
    models::Conventions conv = models::resolveConventions(ref, model, calibrate);
    applyModelOptions(a, conv);
    return conv;
}

// The class names the conventions give, one per output from the labels' first class.
inline std::vector<std::string> labelNames(const models::Conventions& conv) {
    std::vector<std::string> names;
    const models::Labels l = models::loadLabels(conv);
    for (size_t k = 0; k < l.size(); ++k) names.push_back(l.name(static_cast<int>(k) + conv.labelOffset, conv.labelOffset));
    return names;
}

}  // namespace percept::tools
