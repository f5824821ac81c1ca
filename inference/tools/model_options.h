#pragma once
// The model-related options both tools share: --model, --labels, preprocessing overrides.
#include <string>

#include "cli_args.h"
#include "percept/models/model_store.h"

namespace percept::tools {

inline const char* kModelOptionsHelp =
    "  --model M          manifest name (see --list) or path to an .onnx file\n"
    "  --labels FILE      labels file (default: the manifest's)\n"
    "  --size S           input crop size (default: manifest, else the model's input)\n"
    "  --resize-shorter N shorter side before the crop (default: round(S/0.875))\n"
    "  --norm MODE        mean_std | minus_one_one\n"
    "  --mean R,G,B       pixel means (0..255) for mean_std\n"
    "  --std R,G,B        pixel stds (0..255) for mean_std\n"
    "  --bgr              feed channels in BGR order\n"
    "  --label-offset K   output index K is the first labels-file class\n";

inline void addModelOptions(std::set<std::string>& valued, std::set<std::string>& switches) {
    valued.insert({"--model", "--labels", "--size", "--resize-shorter", "--norm", "--mean", "--std", "--label-offset"});
    switches.insert("--bgr");
}

// Applies the command line's overrides to a resolved model; `modelInputSide` is the model's
// own input side, used when no manifest says otherwise.
inline void applyModelOptions(const Args& a, models::ModelRef& ref, int modelInputSide) {
    auto& in = ref.manifest.input;
    if (!ref.hasManifest && modelInputSide > 0) {
        in.size = modelInputSide;
        in.resizeShorter = static_cast<int>(modelInputSide / 0.875 + 0.5);
    }
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
        for (int c = 0; c < 3; ++c) (std::string(f) == "--mean" ? in.mean : in.std)[c] = v[c];
    }
    if (a.has("--bgr")) in.rgb = false;
    ref.manifest.labelOffset = a.getInt("--label-offset", ref.manifest.labelOffset);
    if (a.has("--labels")) ref.labelsPath = a.get("--labels");
}

}  // namespace percept::tools
