// SPDX-License-Identifier: Apache-2.0
// percept-compress: writes a compressed model (.pcz, inference/compressed/FORMAT.md) from an
// ONNX model: Deep Compression's pruning + per-layer k-means weight sharing, with the indices
// rANS-coded; optionally checks it against the original on a folder of photos.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cli_args.h"
#include "compressed/coded_tensor.h"
#include "compressed/input_moments.h"
#include "compressed/model_file.h"
#include "model_options.h"
#include "layer_calibration.h"
#include "photo_folder.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

using namespace percept;
namespace fs = std::filesystem;

namespace {

void usage() {
    std::printf(
        "usage: percept-compress --model M --out FILE.pcz [--bits B] [--sparsity S] [options]\n"
        "Prunes the smallest weights of every large layer, shares the rest through a per-layer\n"
        "k-means codebook of 2^B - 1 values and entropy-codes the indices (rANS) into a\n"
        "versioned, checksummed .pcz file that Percept loads like an .onnx (FORMAT.md).\n"
        "  --out FILE         the compressed model to write (.pcz)\n"
        "  --bits B           codebook index width, 4 to 8 (default 6)\n"
        "  --sparsity S       fraction of each layer's weights pruned to 0, smallest first (default 0.1)\n"
        "  --step Q           instead of k-means, a uniform grid of Q x each layer's RMS weight, 0 on\n"
        "                     it (the better code under entropy coding; --bits then follows)\n"
        "  --min-elements N   layers with fewer weights stay fp32 (default 4096)\n"
        "  --calibrate DIR    choose each layer's shared values against its inputs on the photos in\n"
        "                     DIR: the error of every weight coded is compensated by the weights of\n"
        "                     its row not yet coded (GPTQ), so the layer's outputs, not its weights,\n"
        "                     stay closest to the original's (what 4- and 5-bit codebooks need)\n"
        "  --max-images N     calibrate on at most the first N photos of DIR\n"
        "  --target-ratio R   with --calibrate: choose each layer's grid (as --step, 0.3 to 1.3) so\n"
        "                     the file is R times smaller than the ONNX model, with the least\n"
        "                     damage to the model's answers on the calibration photos (--bits,\n"
        "                     --sparsity and --step then apply to the layers that cannot be\n"
        "                     calibrated)\n"
        "  --check DIR        run both models on every photo in DIR and compare their top-5\n"
        "  --require-top1     with --check: exit 3 unless every photo keeps its top-1\n"
        "  --min-top1 N       with --check: exit 3 unless at least N photos keep their top-1\n"
        "  --layers           print every coded layer\n"
        "  --help, -h         print this and exit\n"
        "%s"
        "The model's input preprocessing goes into the file's metadata (as percept-tag-model\n"
        "writes it), so the .pcz needs no manifest.\n",
        tools::kModelOptionsHelp);
}

struct Check {
    int photos = 0, top1Kept = 0, top5Overlap = 0, minOverlap = 5;
    double maxProbDiff = 0.0;
};

Check compare(const Model& a, const Model& b, const models::Conventions& conv, const std::string& dir, bool verbose) {
    Check c;
    auto sa = Session::create(a), sb = Session::create(b);
    const models::Labels labels = models::loadLabels(conv);
    for (const fs::path f : tools::photosIn(dir, 0, "--check")) {
        const Tensor x = models::preprocess(models::loadImage(f.string()), conv.input);
        const auto pa = models::probabilities(sa->run(x).data, a.outputs()[0].kind);
        const auto pb = models::probabilities(sb->run(x).data, b.outputs()[0].kind);
        const auto ta = models::topK(pa, 5), tb = models::topK(pb, 5);
        int overlap = 0;
        for (int i : ta) overlap += std::count(tb.begin(), tb.end(), i) ? 1 : 0;
        double diff = 0.0;
        for (size_t k = 0; k < pa.size(); ++k) diff = std::max(diff, static_cast<double>(std::fabs(pa[k] - pb[k])));
        ++c.photos;
        c.top1Kept += ta[0] == tb[0];
        c.top5Overlap += overlap;
        c.minOverlap = std::min(c.minOverlap, overlap);
        c.maxProbDiff = std::max(c.maxProbDiff, diff);
        if (verbose)
            std::printf("  %-18s %-22s %.3f -> %-22s %.3f  top-5 overlap %d/5  max |dp| %.4f%s\n", f.filename().string().c_str(),
                        labels.name(ta[0], conv.labelOffset).c_str(), pa[static_cast<size_t>(ta[0])], labels.name(tb[0], conv.labelOffset).c_str(),
                        pb[static_cast<size_t>(tb[0])], overlap, diff, ta[0] == tb[0] ? "" : "  TOP-1 CHANGED");
    }
    return c;
}

// --target-ratio's settings to choose from, per layer: uniform grids (CodebookOptions::step)
// from a third of the layer's RMS weight (about 5 bits a weight) to 1.3 times it (about 1.5).
const std::vector<compressed::CodebookOptions> kCandidates = {{8, 0.0, 0.3}, {8, 0.0, 0.45}, {8, 0.0, 0.6}, {8, 0.0, 0.8}, {8, 0.0, 1.0}, {8, 0.0, 1.3}};

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--out", "--bits", "--sparsity", "--min-elements", "--calibrate", "--max-images", "--target-ratio", "--step", "--check", "--min-top1"};
    std::set<std::string> switches = {"--require-top1", "--layers", "--help", "-h"};
    tools::addModelOptions(valued, switches);
    try {
        tools::Args a(argc, argv, valued, switches);
        if (const int rc = tools::answerHelpOrMissing(a, {"--model", "--out"}, usage); rc >= 0) return rc;
        compressed::CompressOptions o;
        o.codebook.bits = a.getInt("--bits", 6);
        if (o.codebook.bits < compressed::kMinBits || o.codebook.bits > compressed::kMaxBits) throw Error("--bits must be 4 to 8");
        o.codebook.sparsity = a.has("--sparsity") ? std::stod(a.get("--sparsity")) : 0.1;
        if (!(o.codebook.sparsity >= 0.0 && o.codebook.sparsity < 1.0)) throw Error("--sparsity must be at least 0 and below 1");
        o.minElements = a.getInt("--min-elements", 4096);
        if (a.has("--step")) o.codebook.step = a.getFloats("--step").at(0);
        if (a.has("--step") && !(o.codebook.step > 0.0 && o.codebook.step <= 16.0)) throw Error("--step must be above 0 and at most 16");

        const models::ModelRef ref = models::resolveModel(a.get("--model"));
        const Model model = Model::load(ref.modelPath);
        // The preprocessing travels in the file: a .pcz is named by no manifest. ImageNet's
        // labels are not embedded (Percept uses them for 1000/1001 outputs anyway: 20-30 KB saved).
        const models::Conventions conv = tools::resolveModelConventions(a, ref, model);
        const int64_t classes = model.outputs().empty() ? 0 : elementCount(model.outputs()[0].shape);
        std::vector<std::string> labels;
        if (classes != 1000 && classes != 1001 && (!conv.labels.empty() || !conv.labelsPath.empty())) labels = tools::labelNames(conv);
        graph::Graph g = model.graph();
        for (const auto& [k, v] : models::metadataFromConventions(conv, labels)) g.metadata[k] = v;

        const auto onnxBytes = fs::file_size(ref.modelPath);
        if (a.has("--target-ratio") && !a.has("--calibrate")) throw Error("--target-ratio needs --calibrate DIR");
        if (a.has("--calibrate")) {
            const auto t0 = std::chrono::steady_clock::now();
            const std::vector<Tensor> photos = tools::calibrationInputs(a.get("--calibrate"), a.getInt("--max-images", 0), conv.input);
            std::vector<compressed::LayerCalibration> layers = compressed::layersToCalibrate(model.graph(), o.minElements);
            for (auto& l : layers) l.codebook = o.codebook;
            if (a.has("--target-ratio")) {
                const double ratio = a.getFloats("--target-ratio").at(0);
                if (!(ratio > 1.0)) throw Error("--target-ratio must be above 1");
                // What the file holds besides the calibrated layers' codes, from a trial write.
                std::vector<compressed::CodedWeightReport> trial;
                size_t rest = compressed::writeCompressedModel(g, o, &trial).size();
                for (const auto& r : trial)
                    if (std::any_of(layers.begin(), layers.end(), [&](const auto& l) { return l.weights == r.name; })) rest -= r.codedBytes;
                // 1 % below the target: the layers coded in order come out a little different
                // from the ones scored alone.
                const double target = 0.99 * static_cast<double>(onnxBytes) / ratio;
                if (target <= static_cast<double>(rest))
                    throw Error("--target-ratio " + a.get("--target-ratio") + ": the file would be at most " + std::to_string(static_cast<size_t>(target)) +
                                " bytes, but what cannot be calibrated takes " + std::to_string(rest));
                tools::allocateBits(model, photos, layers, kCandidates, static_cast<size_t>(target) - rest, a.has("--layers"));
            }
            o.precoded = tools::calibrateInOrder(model, photos, std::move(layers));
            std::printf("calibrated %zu layers on %zu photos of %s (%.1f s)\n", o.precoded.size(), photos.size(), a.get("--calibrate").c_str(),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::vector<compressed::CodedWeightReport> report;
        const std::vector<uint8_t> bytes = compressed::writeCompressedModel(g, o, &report);
        const std::string out = a.get("--out");
        if (a.has("--target-ratio") && static_cast<double>(bytes.size()) * a.getFloats("--target-ratio").at(0) > static_cast<double>(onnxBytes))
            throw Error("the compressed model is " + std::to_string(bytes.size()) + " bytes, over --target-ratio " + a.get("--target-ratio") + "'s " +
                        std::to_string(static_cast<size_t>(static_cast<double>(onnxBytes) / a.getFloats("--target-ratio").at(0))) + "; " + out +
                        " is not written");
        std::ofstream f(out, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        f.close();
        if (!f) throw Error("cannot write " + out);

        int64_t coded = 0, weights = 0, compensated = 0;
        size_t codedBytes = 0;
        double pruned = 0.0, maxRel = 0.0;
        for (const auto& r : report) {
            const int64_t n = elementCount(r.shape);
            coded += n, codedBytes += r.codedBytes, pruned += r.sparsity * static_cast<double>(n);
            maxRel = std::max(maxRel, r.relRmsError);
            compensated += r.compensated;
        }
        for (const auto& v : g.values)
            if (v.constant && v.constant->dtype == graph::DType::Float32) weights += v.constant->count();
        std::printf("%s: %llu bytes (fp32 ONNX) -> %s: %zu bytes, %.2fx smaller\n", ref.modelPath.c_str(), static_cast<unsigned long long>(onnxBytes),
                    out.c_str(), bytes.size(), static_cast<double>(onnxBytes) / static_cast<double>(bytes.size()));
        int minBits = 8, maxBits = 0;
        for (const auto& r : report) minBits = std::min(minBits, r.bits), maxBits = std::max(maxBits, r.bits);
        const std::string bits = minBits == maxBits ? std::to_string(minBits) : std::to_string(minBits) + " to " + std::to_string(maxBits);
        std::printf("%zu layers coded at %s bits (%lld against calibration inputs): %lld of %lld weights, %.1f%% pruned, %.2f bits per coded weight; "
                    "worst layer RMS error %.1f%% of its RMS weight\n",
                    report.size(), bits.c_str(), static_cast<long long>(compensated), static_cast<long long>(coded), static_cast<long long>(weights),
                    coded ? 100.0 * pruned / static_cast<double>(coded) : 0.0, coded ? 8.0 * static_cast<double>(codedBytes) / static_cast<double>(coded) : 0.0,
                    100.0 * maxRel);
        if (a.has("--layers"))
            for (const auto& r : report)
                std::printf("  %-40s %-18s %d bits %8zu bytes  %5.1f%% zero  RMS error %.2f%%%s\n", r.name.c_str(), shapeToString(r.shape).c_str(), r.bits,
                            r.codedBytes, 100.0 * r.sparsity, 100.0 * r.relRmsError, r.compensated ? "  (compensated)" : "");
        if (a.has("--check")) {
            const Model back = Model::load(out);
            const Check c = compare(model, back, conv, a.get("--check"), true);
            std::printf("check on %d photos: top-1 kept %d/%d, top-5 overlap %.1f/5 on average (min %d), max probability difference %.4f\n",
                        c.photos, c.top1Kept, c.photos, c.photos ? static_cast<double>(c.top5Overlap) / c.photos : 0.0, c.minOverlap, c.maxProbDiff);
            if (c.photos == 0) throw Error("no photos (.png/.jpg) in " + a.get("--check"));
            if (a.has("--require-top1") && c.top1Kept != c.photos) return 3;
            if (a.has("--min-top1") && c.top1Kept < a.getInt("--min-top1", 0)) return 3;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-compress: %s\n", e.what());
        return 1;
    }
}
