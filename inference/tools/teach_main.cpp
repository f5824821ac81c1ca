// SPDX-License-Identifier: Apache-2.0
// percept-teach: teaches a model new classes from folders of pictures or videos, on the device
// (percept/train.h), and writes the personalised model as a standard ONNX file.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "model_options.h"
#include "timing.h"
#include "percept/models/classification.h"
#include "percept/models/preprocess.h"
#include "percept/models/teach_data.h"
#include "percept/percept.h"
#include "percept/train.h"

using namespace percept;
using percept::tools::Clock;

using percept::tools::msSince;

static void usage() {
    std::printf(
        "usage: percept-teach --model M --class NAME=DIR_OR_VIDEO [--class ...] --out FILE.onnx [options]\n"
        "Teaches a model new classes on this machine and writes the personalised model as ONNX.\n\n%s"
        "  --class NAME=PATH  a new class: a folder of pictures or a video (repeat for each class)\n"
        "  --out FILE         the personalised model (.onnx: the base graph plus the taught layers,\n"
        "                     labels in its metadata)\n"
        "  --mode M           head (default): a new last layer on the frozen features (seconds) |\n"
        "                     finetune: also the layers before it (the last block; longer, better)\n"
        "  --layers N         finetune: weight layers trained, counted from the output (default 2)\n"
        "  --replace          the new classes only (default: the model's classes kept, new ones added)\n"
        "  --background PATH  pictures or a video of none of the new classes (repeatable; default:\n"
        "                     the reference photos compiled in); with the model's classes kept, the\n"
        "                     taught model must keep the model's own answer on them\n"
        "  --no-background    no such pictures\n"
        "  --negative-share F the share of the loss those pictures weigh, in all (default 0.5)\n"
        "  --open-set-margin X  with the model's classes kept: after training, each new class's scores\n"
        "                     are lowered until 90 %% of its training frames beat the model's best class\n"
        "                     by X (natural log of the odds; default 2; 0: off)\n"
        "  --frames N         at most N frames per class, spread over the video or folder (default 60)\n"
        "  --held-back F      share of each class's frames kept apart for measuring (the last ones;\n"
        "                     default 0.25)\n"
        "  --augment N        augmented copies per training frame: crop, flip, colour (default 3)\n"
        "  --epochs N         passes over the examples (default 20)\n"
        "  --batch N          examples per step (default 16)\n"
        "  --optimizer O      adam (default) | sgd (with momentum 0.9)\n"
        "  --lr X             learning rate (default: adam 0.001, sgd 0.05; cosine decay)\n"
        "  --weight-decay X   (default 0.0001)\n"
        "  --seed N           initialisation, augmentation and shuffling (default 1)\n"
        "  --backend B        cpu (default) | vulkan\n"
        "  --device N         Vulkan device index\n"
        "  --threads N        CPU threads (default: all)\n"
        "  --quiet            no line per epoch\n"
        "  --json             print one JSON object with the figures\n"
        "  --help, -h         print this text and exit\n",
        tools::kModelOptionsHelp);
}

namespace {

float floatOption(const tools::Args& a, const char* f, float def) {
    if (!a.has(f)) return def;
    const std::vector<float> v = a.getFloats(f);
    if (v.size() != 1) throw Error(std::string("option ") + f + " needs one number");
    return v[0];
}

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot read the model file");
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct ClassFrames {
    std::string name, path;
    int train = 0, heldBack = 0;
};

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--out", "--mode", "--layers", "--frames", "--held-back", "--augment", "--epochs", "--batch",
                                    "--optimizer", "--lr", "--weight-decay", "--seed", "--negative-share", "--open-set-margin", "--backend", "--device", "--threads"};
    std::set<std::string> switches = {"--replace", "--no-background", "--quiet", "--json", "--help", "-h"};
    tools::addModelOptions(valued, switches);
    try {
        tools::Args a(argc, argv, valued, switches, {"--class", "--background"});
        if (const int rc = tools::answerHelpOrMissing(a, {"--class", "--out"}, usage); rc >= 0) return rc;
        const bool json = a.has("--json"), quiet = a.has("--quiet") || json;
        train::Options opt;
        opt.mode = train::parseMode(a.get("--mode", "head"));
        opt.fineTuneLayers = a.getInt("--layers", 2);
        opt.extend = !a.has("--replace");
        opt.epochs = a.getInt("--epochs", 20);
        opt.batch = a.getInt("--batch", 16);
        const std::string optimizer = a.get("--optimizer", "adam");
        if (optimizer != "adam" && optimizer != "sgd") throw Error("--optimizer must be adam or sgd");
        opt.optimizer = optimizer == "adam" ? train::Optimizer::Adam : train::Optimizer::Sgd;
        opt.learningRate = floatOption(a, "--lr", 0.0f);
        opt.weightDecay = floatOption(a, "--weight-decay", 1e-4f);
        opt.seed = static_cast<uint32_t>(a.getInt("--seed", 1));
        opt.negativeShare = floatOption(a, "--negative-share", 0.5f);
        opt.openSetMargin = floatOption(a, "--open-set-margin", 2.0f);
        opt.session.backend = parseBackend(a.get("--backend", "cpu"));
        opt.session.threads = a.getInt("--threads", 0);
        opt.session.deviceIndex = a.getInt("--device", -1);
        opt.session.tuning = Tuning::fromEnvironment();
        const int maxFrames = a.getInt("--frames", 60), augment = a.getInt("--augment", 3);
        const float heldShare = floatOption(a, "--held-back", 0.25f);
        if (opt.epochs < 1 || opt.batch < 1 || maxFrames < 0 || augment < 0 || heldShare < 0.0f || heldShare >= 1.0f)
            throw Error("--epochs, --batch must be positive; --frames, --augment not negative; --held-back in [0, 1)");

        // The base model, its input conventions and labels (as percept-classify resolves them).
        const std::string modelName = a.get("--model", models::defaultManifest().name);
        const models::ModelRef ref = models::resolveModel(modelName);
        const Model model = Model::load(ref.modelPath);
        std::unique_ptr<Session> probe;
        std::function<Tensor(const Tensor&)> calibrate;
        if (!tools::hasInputOptions(a))
            calibrate = [&](const Tensor& t) {
                if (!probe) probe = Session::create(model, opt.session);
                return probe->run(t);
            };
        models::Conventions conv = models::resolveConventions(ref, model, calibrate);
        tools::applyModelOptions(a, conv);
        probe.reset();
        const models::Labels baseLabels = models::loadLabels(conv);

        std::vector<ClassFrames> classes;
        for (const std::string& spec : a.getAll("--class")) {
            const size_t eq = spec.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) throw Error("--class needs NAME=DIR_OR_VIDEO, got '" + spec + "'");
            classes.push_back({spec.substr(0, eq), spec.substr(eq + 1)});
        }
        std::vector<std::string> names;
        for (const auto& c : classes) names.push_back(c.name);
        train::Trainer trainer(model, names, opt);

        // Examples: each class's frames in order, the last share held back; every training
        // frame and `augment` augmented copies of it through the frozen part.
        const auto tExtract = Clock::now();
        std::mt19937 rng(opt.seed);
        std::vector<train::Example> trainSet, heldBack;
        std::vector<Tensor> checkInputs;  // each class's first held-back frame, for the export's check
        auto extract = [&](const cv::Mat& img) { return trainer.extract(models::preprocess(img, conv.input)); };
        for (size_t c = 0; c < classes.size(); ++c) {
            const std::vector<cv::Mat> frames = models::readTeachingFrames(classes[c].path, maxFrames);
            const size_t before = heldBack.size();
            models::addExamples(frames, static_cast<int>(c), heldShare, augment, rng, extract, trainSet, heldBack);
            classes[c].heldBack = static_cast<int>(heldBack.size() - before);
            classes[c].train = static_cast<int>(frames.size()) - classes[c].heldBack;
            if (classes[c].heldBack > 0) checkInputs.push_back(models::preprocess(frames[static_cast<size_t>(classes[c].train)], conv.input));
        }
        int background = 0;
        if (opt.extend && !a.has("--no-background")) {
            std::vector<cv::Mat> pictures;
            if (a.has("--background")) {
                for (const std::string& p : a.getAll("--background"))
                    for (cv::Mat& m : models::readTeachingFrames(p, maxFrames)) pictures.push_back(std::move(m));
            } else {
                pictures = models::referencePhotoImages();
            }
            std::vector<train::Example> none;
            models::addExamples(pictures, -1, 0.0, augment, rng, extract, trainSet, none);
            background = static_cast<int>(pictures.size()) * (1 + augment);
        }
        const double extractMs = msSince(tExtract);
        const size_t extracted = trainSet.size() + heldBack.size();

        const train::Report r = trainer.fit(trainSet, heldBack, [&](const train::EpochReport& e) {
            if (!quiet) {
                std::printf("epoch %3d/%d  loss %.4f  train %5.1f %%", e.epoch, e.epochs, e.loss, 100.0 * e.trainAccuracy);
                if (e.heldBackAccuracy >= 0) std::printf("  held-back %5.1f %%", 100.0 * e.heldBackAccuracy);
                std::printf("  (%.0f ms)\n", e.ms);
                std::fflush(stdout);
            }
            return true;
        });

        // The personalised model; run again here on each class's first held-back frame, it must
        // give the class scores training measured (probabilities compared).
        const std::string bytes = trainer.exportOnnx(readFile(ref.modelPath),
                                                     models::personalisedMetadata(conv, baseLabels, trainer.baseClasses(), names, opt.extend));
        {
            std::ofstream f(a.get("--out"), std::ios::binary | std::ios::trunc);
            if (!f || !f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) throw Error(a.get("--out") + ": cannot write the model");
        }
        const Model personal = Model::fromBytes(bytes.data(), bytes.size(), a.get("--out"));
        auto check = Session::create(personal, opt.session);
        double exportDiff = 0.0;
        for (const Tensor& input : checkInputs) {
            const std::vector<float> got = models::probabilities(check->run(input).data, personal.outputs().at(0).kind);
            const std::vector<float> want = models::softmax(trainer.scores(trainer.extract(input)));
            if (got.size() != want.size()) throw Error("the exported model gives " + std::to_string(got.size()) + " outputs, expected " + std::to_string(want.size()));
            for (size_t k = 0; k < got.size(); ++k) exportDiff = std::max(exportDiff, static_cast<double>(std::fabs(got[k] - want[k])));
        }
        if (exportDiff > 1e-3) throw Error("the exported model's probabilities differ from the trained ones by " + std::to_string(exportDiff));

        const double perExample = extracted ? extractMs / static_cast<double>(extracted) : 0.0;
        const std::string mode = std::string(train::modeName(opt.mode)) + (opt.extend ? ", extended" : ", replaced");
        const int64_t outputs = opt.extend ? trainer.baseClasses() + static_cast<int64_t>(names.size()) : static_cast<int64_t>(names.size());
        if (json) {
            nlohmann::json j;
            j["model"] = modelName;
            j["mode"] = train::modeName(opt.mode);
            j["extend"] = opt.extend;
            j["classes"] = names;
            j["outputs"] = outputs;
            j["device"] = r.device;
            j["examples"] = {{"train", trainSet.size()}, {"held_back", heldBack.size()}, {"background", background}};
            j["extract_ms"] = extractMs;
            j["train_ms"] = r.trainMs;
            j["epochs"] = r.epochs;
            j["ms_per_epoch"] = r.epochs ? r.trainMs / r.epochs : 0.0;
            j["loss"] = r.loss;
            j["held_back_accuracy"] = r.heldBackAccuracy;
            j["trained_layers"] = r.trainedLayers;
            j["parameters"] = r.parameters;
            j["cut"] = r.cut;
            j["memory_bytes"] = {{"step_arena", r.stepArenaBytes}, {"step_naive", r.stepNaiveBytes}, {"step_device", r.stepDeviceBytes},
                                 {"features", r.featureBytes}};
            j["out"] = a.get("--out");
            j["out_bytes"] = bytes.size();
            j["export_max_prob_diff"] = exportDiff;
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf("percept-teach: %s, %zu new class(es) (%s: %lld outputs), %s\n", modelName.c_str(), names.size(), mode.c_str(),
                    static_cast<long long>(outputs), r.device.c_str());
        for (const auto& c : classes) std::printf("  class '%s': %d frames trained on, %d held back (%s)\n", c.name.c_str(), c.train, c.heldBack, c.path.c_str());
        std::printf("  examples: %zu training (with %d augmented copies per frame), %zu held back, %d of none of the new classes\n", trainSet.size(),
                    augment, heldBack.size(), background);
        std::printf("  features: %.2f s (%.1f ms per example) at '%s' %s\n", extractMs / 1000.0, perExample, r.cut.c_str(),
                    shapeToString(trainer.cutShape()).c_str());
        std::printf("  training: %d epochs in %.2f s (%.1f ms per epoch), %d weight layer(s), %lld parameters\n", r.epochs, r.trainMs / 1000.0,
                    r.epochs ? r.trainMs / r.epochs : 0.0, r.trainedLayers, static_cast<long long>(r.parameters));
        if (r.heldBackAccuracy >= 0) std::printf("  held-back accuracy: %.1f %% (%zu frames)\n", 100.0 * r.heldBackAccuracy, heldBack.size());
        std::printf("  memory: one training step %.2f MiB of activations (%.2f MiB without reuse)%s, features %.2f MiB\n",
                    r.stepArenaBytes / 1048576.0, r.stepNaiveBytes / 1048576.0,
                    r.stepDeviceBytes ? (", " + std::to_string(r.stepDeviceBytes / 1048576.0).substr(0, 5) + " MiB on the device").c_str() : "",
                    r.featureBytes / 1048576.0);
        std::printf("  wrote %s (%.1f MB); read back, it gives the trained probabilities within %.1e\n", a.get("--out").c_str(),
                    static_cast<double>(bytes.size()) / 1e6, exportDiff);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-teach: %s\n", e.what());
        return 1;
    }
}
