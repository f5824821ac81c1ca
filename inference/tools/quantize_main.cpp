// SPDX-License-Identifier: Apache-2.0
// percept-quantize: writes an int8 QDQ copy of a float ONNX classifier, calibrated on a folder
// of photos run through the model's own preprocessing (its manifest, metadata or a
// calibration of the input convention, as percept-classify resolves it). The file is standard
// ONNX (QuantizeLinear / DequantizeLinear around the quantised ops, int8 weights, int32
// biases), so ONNX Runtime runs it as well as Percept (inference/INT8.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "calibration_stats.h"
#include "cli_args.h"
#include "model_options.h"
#include "photo_folder.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"
#include "qdq_quantizer.h"

using namespace percept;

namespace {

void usage() {
    std::printf(
        "usage: percept-quantize --model M --calibrate DIR --out FILE.onnx [options]\n"
        "Writes an int8 copy of a float classifier in ONNX's QDQ form, its activation ranges\n"
        "calibrated on the photos in DIR through the model's own preprocessing.\n"
        "  --calibrate DIR    folder of photos (.jpg, .jpeg, .png, .bmp, .webp)\n"
        "  --out FILE         where to write the int8 model\n"
        "  --method NAME      minmax | percentile | entropy (default percentile)\n"
        "  --percentile P     the percentile method's clip point (default 99.99)\n"
        "  --per-channel      one weight scale per output channel (default: one per tensor)\n"
        "  --max-images N     calibrate on at most the first N photos\n"
        "  --verbose          print each tensor's observed and chosen range\n"
        "%s"
        "  --help, -h         print this and exit\n",
        tools::kModelOptionsHelp);
}

onnx::ModelProto readModel(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    onnx::ModelProto m;
    if (!f || !m.ParseFromIstream(&f)) throw Error(path + ": cannot read it as an ONNX model");
    return m;
}

void setMetadata(onnx::ModelProto& m, const std::map<std::string, std::string>& entries) {
    for (const auto& [k, v] : entries) {
        bool found = false;
        for (auto& kv : *m.mutable_metadata_props())
            if (kv.key() == k) {
                kv.set_value(v);
                found = true;
            }
        if (!found) {
            auto* kv = m.add_metadata_props();
            kv->set_key(k);
            kv->set_value(v);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--calibrate", "--out", "--method", "--percentile", "--max-images"};
    std::set<std::string> switches = {"--per-channel", "--verbose", "--help", "-h"};
    tools::addModelOptions(valued, switches);
    try {
        tools::Args a(argc, argv, valued, switches);
        if (const int rc = tools::answerHelpOrMissing(a, {"--model", "--calibrate", "--out"}, usage); rc >= 0) return rc;
        const tools::CalibrationMethod method = tools::calibrationMethodFromName(a.get("--method", "percentile"));
        const double percentile = a.has("--percentile") ? a.getFloats("--percentile").at(0) : 99.99;
        if (!(percentile > 50.0 && percentile <= 100.0)) throw Error("--percentile must be in (50, 100]");
        const bool perChannel = a.has("--per-channel");

        // The float model, its preprocessing, the photos as its inputs.
        const models::ModelRef ref = models::resolveModel(a.get("--model"));
        const Model floatModel = Model::load(ref.modelPath);
        auto floatSession = Session::create(floatModel);
        std::function<Tensor(const Tensor&)> calibrateInput;
        if (!tools::hasInputOptions(a)) calibrateInput = [&](const Tensor& t) { return floatSession->run(t); };
        models::Conventions conv = models::resolveConventions(ref, floatModel, calibrateInput);
        tools::applyModelOptions(a, conv);
        std::vector<Tensor> inputs;
        for (const std::string& f : tools::photosIn(a.get("--calibrate"), a.getInt("--max-images", 0), "--calibrate")) inputs.push_back(models::preprocess(models::loadImage(f), conv.input));

        // Which tensors, and their values on the photos: the float model with each of them as an output.
        onnx::ModelProto m = tools::atLeastOpset(readModel(ref.modelPath), 13);
        tools::foldBatchNorms(*m.mutable_graph());
        const std::vector<std::string> chosen = tools::tensorsToQuantize(m.graph());
        if (chosen.empty()) throw Error(ref.modelPath + ": nothing to quantise (no Conv, Gemm, MatMul, Add, Concat or pool on computed data)");
        onnx::ModelProto probe = m;
        std::set<std::string> inputNames, outputNames;
        for (const auto& i : probe.graph().input()) inputNames.insert(i.name());
        for (const auto& o : probe.graph().output()) outputNames.insert(o.name());
        for (const std::string& t : chosen)
            if (!inputNames.count(t) && !outputNames.count(t)) probe.mutable_graph()->add_output()->set_name(t);
        std::string bytes;
        probe.SerializeToString(&bytes);
        const Model probeModel = Model::fromBytes(bytes.data(), bytes.size(), ref.modelPath + " (calibration outputs)");
        auto probeSession = Session::create(probeModel);
        std::map<std::string, tools::TensorStats> stats;
        const std::string inputName = probeModel.inputs().at(0).name;
        for (int pass = 0; pass < 2; ++pass)
            for (const Tensor& x : inputs) {
                std::vector<Tensor> outs = probeSession->run(std::vector<Tensor>{x});
                outs.push_back(x);
                for (size_t k = 0; k < outs.size(); ++k) {
                    const std::string& name = k + 1 < outs.size() ? probeModel.outputs()[k].name : inputName;
                    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end()) continue;
                    tools::TensorStats& s = stats[name];
                    if (pass == 0) s.observeExtent(outs[k].data.data(), static_cast<int64_t>(outs[k].data.size()));
                    else s.observeHistogram(outs[k].data.data(), static_cast<int64_t>(outs[k].data.size()));
                }
            }
        std::map<std::string, std::pair<float, float>> ranges;
        for (const std::string& t : chosen) {
            if (!stats.count(t)) throw Error("internal error: no calibration data for tensor '" + t + "'");
            ranges[t] = stats[t].range(method, percentile);
            if (a.has("--verbose"))
                std::printf("%-40s observed [%g, %g]  %s [%g, %g]\n", t.c_str(), stats[t].min(), stats[t].max(), tools::calibrationMethodName(method),
                            ranges[t].first, ranges[t].second);
        }
        tools::tieRanges(m.graph(), ranges);
        const int exact = tools::writeQdq(m, ranges, perChannel);

        // Its preprocessing and labels travel in the file (no manifest names it), and how it was made.
        std::vector<std::string> labels;
        const models::Labels l = models::loadLabels(conv);
        for (size_t k = 0; k < l.size(); ++k) labels.push_back(l.name(static_cast<int>(k) + conv.labelOffset, conv.labelOffset));
        auto meta = models::metadataFromConventions(conv, labels);
        meta["percept.quantization"] = std::string("int8 QDQ by percept-quantize: ") + tools::calibrationMethodName(method) +
                                       (method == tools::CalibrationMethod::Percentile ? " " + std::to_string(percentile) : std::string()) +
                                       " ranges on " + std::to_string(inputs.size()) + " photos, " + (perChannel ? "per-channel" : "per-tensor") + " weights";
        setMetadata(m, meta);
        std::string out;
        m.SerializeToString(&out);
        std::ofstream f(a.get("--out"), std::ios::binary);
        if (!f.write(out.data(), static_cast<std::streamsize>(out.size()))) throw Error(a.get("--out") + ": cannot write it");
        f.close();

        // The engine must take it: load it, and say how the int8 model agrees on the photos.
        const Model q = Model::load(a.get("--out"));
        auto qs = Session::create(q);
        int agree = 0;
        for (const Tensor& x : inputs) {
            const auto fo = floatSession->run(x).data, qo = qs->run(x).data;
            agree += std::max_element(fo.begin(), fo.end()) - fo.begin() == std::max_element(qo.begin(), qo.end()) - qo.begin();
        }
        std::printf("%s: %zu tensors quantised (%s%s), %s weights (%d kept on their own 8-bit grid); %zu bytes (float: %zu); top-1 as the float model "
                    "on %d of %zu calibration photos\n",
                    a.get("--out").c_str(), chosen.size(), tools::calibrationMethodName(method),
                    method == tools::CalibrationMethod::Percentile ? (" " + std::to_string(percentile)).c_str() : "",
                    perChannel ? "per-channel" : "per-tensor", exact, out.size(), static_cast<size_t>(std::filesystem::file_size(ref.modelPath)), agree,
                    inputs.size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-quantize: %s\n", e.what());
        return 1;
    }
}
