// SPDX-License-Identifier: Apache-2.0
// percept-classify: one image through one model, top-k with probabilities and the time split.
#include <functional>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "model_options.h"
#include "timing.h"
#include "percept/models/classification.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

using namespace percept;
using percept::tools::Clock;

using percept::tools::msSince;

static void usage() {
    std::printf(
        "usage: percept-classify --image FILE [--model M] [options]\n"
        "Classifies one image with Percept's engine and prints the top-k labels.\n\n%s"
        "  --image FILE       image to classify (JPEG, PNG, ...)\n"
        "  --backend B        cpu (default) | vulkan\n"
        "  --device N         Vulkan device index\n"
        "  --threads N        CPU threads (default: all)\n"
        "  --top K            how many labels (default 5)\n"
        "  --json             print one JSON object\n"
        "  --list             list the known models and exit\n"
        "  --help, -h         print this text and exit\n",
        tools::kModelOptionsHelp);
}

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--image", "--backend", "--device", "--threads", "--top"};
    std::set<std::string> switches = {"--json", "--list", "--help", "-h"};
    tools::addModelOptions(valued, switches);
    try {
        tools::Args a(argc, argv, valued, switches);
        if (a.has("--help") || a.has("-h")) { usage(); return 0; }
        if (a.has("--list")) {
            for (const auto& m : models::builtinManifests()) {
                const std::string path = models::findModelFile(m);
                const char* missing = m.download ? "(not here yet: downloaded on first use)" : "(not found)";
                std::printf("%-24s %-34s %s%s\n", m.name.c_str(), m.displayName.c_str(), path.empty() ? missing : path.c_str(),
                            &m == &models::defaultManifest() ? "  [default]" : "");
            }
            return 0;
        }
        if (!a.has("--image")) { usage(); return 2; }
        const bool json = a.has("--json");
        const int top = a.getInt("--top", 5);
        if (top <= 0) throw Error("--top must be positive");

        const auto tLoad = Clock::now();
        models::ModelRef ref = models::resolveModel(a.get("--model", models::defaultManifest().name));
        Model model = Model::load(ref.modelPath);
        const Shape& inShape = model.inputs().at(0).shape;
        SessionOptions so;
        so.backend = parseBackend(a.get("--backend", "cpu"));
        so.threads = a.getInt("--threads", 0);
        so.deviceIndex = a.getInt("--device", -1);
        so.tuning = Tuning::fromEnvironment();
        auto session = Session::create(model, so);
        std::function<Tensor(const Tensor&)> calibrate;
        if (!tools::hasInputOptions(a)) calibrate = [&](const Tensor& t) { return session->run(t); };
        models::Conventions conv = models::resolveConventions(ref, model, calibrate);
        tools::applyModelOptions(a, conv);
        const models::Labels labels = models::loadLabels(conv);
        const double loadMs = msSince(tLoad);

        const auto tPre = Clock::now();
        const cv::Mat img = models::loadImage(a.get("--image"));
        Tensor input = models::preprocess(img, conv.input);
        if (input.shape != inShape)
            throw Error("the preprocessed image has shape " + shapeToString(input.shape) + " but the model wants " +
                        shapeToString(inShape) + " (use --size)");
        const double preMs = msSince(tPre);

        const auto tRun = Clock::now();
        Tensor logits = session->run(input);
        const double runMs = msSince(tRun);

        const auto tPost = Clock::now();
        auto preds = models::classify(logits.data, model.outputs().at(0).kind, labels, conv.labelOffset, top);
        const double postMs = msSince(tPost);

        if (json) {
            nlohmann::json j;
            j["model"] = ref.manifest.name;
            j["model_path"] = ref.modelPath;
            j["image"] = a.get("--image");
            j["input_convention"] = conv.note;
            j["backend"] = backendName(session->backend());
            j["device"] = session->deviceName();
            j["top"] = nlohmann::json::array();
            for (const auto& p : preds) j["top"].push_back({{"index", p.index}, {"label", p.label}, {"prob", p.prob}});
            j["timings_ms"] = {{"load", loadMs}, {"decode_preprocess", preMs}, {"inference", runMs}, {"postprocess", postMs}};
            std::cout << j.dump() << "\n";
        } else {
            std::printf("%s on %s (%s)\n", ref.manifest.displayName.c_str(), a.get("--image").c_str(), session->deviceName().c_str());
            for (const auto& p : preds) std::printf("  %6.2f%%  %-28s [%d]\n", p.prob * 100.0, p.label.c_str(), p.index);
            std::printf("time: decode+preprocess %.2f ms, inference %.2f ms, postprocess %.3f ms (model load %.1f ms)\n", preMs,
                        runMs, postMs, loadMs);
            std::printf("input: %s\n", conv.note.c_str());
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-classify: %s\n", e.what());
        return 1;
    }
}
