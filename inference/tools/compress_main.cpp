// SPDX-License-Identifier: Apache-2.0
// percept-compress: writes a compressed model (.pcz, inference/compressed/FORMAT.md) from an
// ONNX model: Deep Compression's pruning + per-layer k-means weight sharing, with the indices
// rANS-coded; optionally checks it against the original on a folder of photos.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cli_args.h"
#include "compressed/coded_tensor.h"
#include "compressed/model_file.h"
#include "model_options.h"
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
        "  --min-elements N   layers with fewer weights stay fp32 (default 4096)\n"
        "  --check DIR        run both models on every photo in DIR and compare their top-5\n"
        "  --require-top1     with --check: exit 3 unless every photo keeps its top-1\n"
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
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
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

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--out", "--bits", "--sparsity", "--min-elements", "--check"};
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

        std::vector<compressed::CodedWeightReport> report;
        const std::vector<uint8_t> bytes = compressed::writeCompressedModel(g, o, &report);
        const std::string out = a.get("--out");
        std::ofstream f(out, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        f.close();
        if (!f) throw Error("cannot write " + out);

        const auto onnxBytes = fs::file_size(ref.modelPath);
        int64_t coded = 0, weights = 0;
        size_t codedBytes = 0;
        double pruned = 0.0, maxRel = 0.0;
        for (const auto& r : report) {
            const int64_t n = elementCount(r.shape);
            coded += n, codedBytes += r.codedBytes, pruned += r.sparsity * static_cast<double>(n);
            maxRel = std::max(maxRel, r.relRmsError);
        }
        for (const auto& v : g.values)
            if (v.constant && v.constant->dtype == graph::DType::Float32) weights += v.constant->count();
        std::printf("%s: %llu bytes (fp32 ONNX) -> %s: %zu bytes, %.2fx smaller\n", ref.modelPath.c_str(), static_cast<unsigned long long>(onnxBytes),
                    out.c_str(), bytes.size(), static_cast<double>(onnxBytes) / static_cast<double>(bytes.size()));
        std::printf("%zu layers coded at %d bits: %lld of %lld weights, %.1f%% pruned, %.2f bits per coded weight; worst layer RMS error %.1f%% of its RMS weight\n",
                    report.size(), o.codebook.bits, static_cast<long long>(coded), static_cast<long long>(weights),
                    coded ? 100.0 * pruned / static_cast<double>(coded) : 0.0, coded ? 8.0 * static_cast<double>(codedBytes) / static_cast<double>(coded) : 0.0,
                    100.0 * maxRel);
        if (a.has("--layers"))
            for (const auto& r : report)
                std::printf("  %-40s %-18s %8zu bytes  %5.1f%% zero  RMS error %.2f%%\n", r.name.c_str(), shapeToString(r.shape).c_str(), r.codedBytes,
                            100.0 * r.sparsity, 100.0 * r.relRmsError);
        if (a.has("--check")) {
            const Model back = Model::load(out);
            const Check c = compare(model, back, conv, a.get("--check"), true);
            std::printf("check on %d photos: top-1 kept %d/%d, top-5 overlap %.1f/5 on average (min %d), max probability difference %.4f\n",
                        c.photos, c.top1Kept, c.photos, c.photos ? static_cast<double>(c.top5Overlap) / c.photos : 0.0, c.minOverlap, c.maxProbDiff);
            if (c.photos == 0) throw Error("no photos (.png/.jpg) in " + a.get("--check"));
            if (a.has("--require-top1") && c.top1Kept != c.photos) return 3;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-compress: %s\n", e.what());
        return 1;
    }
}
