// SPDX-License-Identifier: Apache-2.0
// percept-teach-bench: the time of one training epoch (the steps over N examples' features, the
// frozen part's run excluded) on Percept's engine, CPU at 1 and 2 threads and Vulkan, against the
// naive single-threaded reference (naive_trainer.cpp: THOMAS's serial single-core version),
// in interleaved rounds, medians and ratios; and the memory of one step.
//
//   percept-teach-bench --model mobilenet_v2_1.0_224 --mode finetune [--layers N] [--examples 64]
//                       [--batch 16] [--rounds 3] [--variants naive,cpu1,cpu2,vulkan] [--json] [--profile]
// --profile: also the engine variants' time per op of the step's last run, summed by op.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli_args.h"
#include "naive_trainer.h"
#include "percept/models/manifest.h"
#include "percept/models/model_store.h"
#include "step_harness.h"

using namespace percept;
using Clock = std::chrono::steady_clock;

namespace {

struct Variant {
    std::string name;
    std::unique_ptr<traintest::StepHarness> engine;   // or
    std::unique_ptr<naive::NaiveTrainer> reference;
    std::vector<double> ms;
    size_t arena = 0, naiveSum = 0, device = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        tools::Args a(argc, argv, {"--model", "--mode", "--layers", "--examples", "--batch", "--rounds", "--variants"}, {"--json", "--profile", "--help", "-h"});
        if (a.has("--help") || a.has("-h")) {
            std::printf("usage: percept-teach-bench --model M [--mode head|finetune] [--layers N] [--examples N] [--batch N] [--rounds R]\n"
                        "                           [--variants naive,cpu1,cpu2,vulkan] [--json]\n");
            return 0;
        }
        std::string path = a.get("--model", "mobilenet_v2_1.0_224");
        if (const models::Manifest* m = models::findManifest(path)) path = models::findDataFile(m->file);
        if (path.empty()) throw Error("the model file of " + a.get("--model") + " is not in the models directories");
        const Model model = Model::load(path);
        const train::Mode mode = train::parseMode(a.get("--mode", "head"));
        const int layers = mode == train::Mode::Head ? 1 : a.getInt("--layers", 2);
        const int64_t K = 3, B = a.getInt("--batch", 16), N = a.getInt("--examples", 64);
        const int rounds = a.getInt("--rounds", 3);
        const train::Plan plan = train::planTraining(model.graph(), layers, K, 1);
        train::GraphSpec spec;
        spec.batch = B;
        std::vector<std::string> names;
        std::stringstream vs(a.get("--variants", "naive,cpu1,cpu2,vulkan"));
        for (std::string v; std::getline(vs, v, ',');) names.push_back(v);

        // The examples' features and targets: random, non-negative (after a ReLU), one-hot.
        const int64_t per = elementCount(model.graph().shapeOf(plan.cut)), N0 = plan.baseClasses, Nt = N0 + K;
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> u(0.0f, 3.0f);
        std::vector<float> x(static_cast<size_t>(N * per)), base(static_cast<size_t>(N * N0)), target(static_cast<size_t>(N * Nt), 0.0f);
        for (float& v : x) v = u(rng);
        for (float& v : base) v = u(rng);
        for (int64_t e = 0; e < N; ++e) target[static_cast<size_t>(e * Nt + N0 + e % K)] = 1.0f;

        std::vector<Variant> vars;
        for (const std::string& n : names) {
            Variant v;
            v.name = n;
            if (n == "naive") {
                v.reference = std::make_unique<naive::NaiveTrainer>(model.graph(), plan, true, naive::Hyper{});
            } else {
                SessionOptions so;
                so.backend = n == "vulkan" ? Backend::Vulkan : Backend::Cpu;
                so.threads = n == "cpu2" ? 2 : 1;
                so.profile = a.has("--profile");
                so.tuning = Tuning::fromEnvironment();
                if (n != "cpu1" && n != "cpu2" && n != "vulkan") throw Error("unknown variant " + n);
                v.engine = std::make_unique<traintest::StepHarness>(model.graph(), plan, spec, so);
                const Stats& st = v.engine->session->stats();
                v.arena = st.peakArenaBytes;
                v.naiveSum = st.naiveActivationBytes;
                v.device = st.deviceMemoryBytes;
            }
            vars.push_back(std::move(v));
        }
        auto epoch = [&](Variant& v) {
            const auto t0 = Clock::now();
            for (int64_t b0 = 0; b0 < N; b0 += B) {
                std::vector<float> xb(static_cast<size_t>(B * per)), bb(static_cast<size_t>(B * N0)), tb(static_cast<size_t>(B * Nt)), wb(static_cast<size_t>(B));
                for (int64_t b = 0; b < B; ++b) {
                    const int64_t e = std::min(b0 + b, N - 1);
                    std::copy_n(x.begin() + e * per, per, xb.begin() + b * per);
                    std::copy_n(base.begin() + e * N0, N0, bb.begin() + b * N0);
                    std::copy_n(target.begin() + e * Nt, Nt, tb.begin() + b * Nt);
                    wb[static_cast<size_t>(b)] = b0 + b < N ? 1.0f / static_cast<float>(std::min(B, N - b0)) : 0.0f;
                }
                if (v.reference) {
                    v.reference->step(B, xb, bb, tb, wb, 1e-4f, 1e-8f);
                    continue;
                }
                traintest::StepHarness& h = *v.engine;
                h.in[traintest::StepHarness::kX].data = xb;
                h.in[traintest::StepHarness::kBase].data = bb;
                h.in[h.target()].data = tb;
                h.in[h.weight()].data = wb;
                h.in[h.lr()].data[0] = 1e-4f;
                h.in[h.lrDecay()].data[0] = 1e-8f;
                h.step();
            }
            return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        };
        for (Variant& v : vars) epoch(v);  // warm-up
        for (int r = 0; r < rounds; ++r)
            for (Variant& v : vars) v.ms.push_back(epoch(v));
        for (Variant& v : vars)
            if (v.reference) v.naiveSum = v.reference->activationBytes();

        const double naiveMs = [&] {
            for (const Variant& v : vars)
                if (v.reference) return median(v.ms);
            return 0.0;
        }();
        const double cpu1Ms = [&] {
            for (const Variant& v : vars)
                if (v.name == "cpu1") return median(v.ms);
            return 0.0;
        }();
        int64_t params = 0;
        for (const train::Param& p : plan.params) params += p.value.size();
        if (a.has("--json")) {
            nlohmann::json j;
            j["model"] = a.get("--model", "mobilenet_v2_1.0_224");
            j["mode"] = train::modeName(mode);
            j["layers"] = plan.layers.size();
            j["parameters"] = params;
            j["examples"] = N;
            j["batch"] = B;
            for (const Variant& v : vars)
                j["variants"][v.name] = {{"median_ms", median(v.ms)}, {"min_ms", *std::min_element(v.ms.begin(), v.ms.end())},
                                         {"max_ms", *std::max_element(v.ms.begin(), v.ms.end())}, {"arena_bytes", v.arena},
                                         {"naive_sum_bytes", v.naiveSum}, {"device_bytes", v.device}};
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        std::printf("%s, %s: %zu weight layer(s), %lld parameters, cut at '%s' %s; one epoch = %lld examples, batch %lld, Adam; %d rounds\n",
                    a.get("--model", "mobilenet_v2_1.0_224").c_str(), train::modeName(mode), plan.layers.size(), static_cast<long long>(params),
                    model.graph().value(plan.cut).name.c_str(), shapeToString(model.graph().shapeOf(plan.cut)).c_str(), static_cast<long long>(N),
                    static_cast<long long>(B), rounds);
        std::printf("%-8s %10s %10s %10s %12s %12s  %s\n", "variant", "median ms", "min", "max", "vs naive", "vs cpu1", "memory of one step");
        for (const Variant& v : vars) {
            const double m = median(v.ms);
            std::string mem = v.reference ? "kept " + std::to_string(v.naiveSum >> 10) + " KiB (double)"
                                          : "arena " + std::to_string(v.arena >> 10) + " KiB of " + std::to_string(v.naiveSum >> 10) + " KiB" +
                                                (v.device ? ", device " + std::to_string(v.device >> 10) + " KiB" : "");
            std::printf("%-8s %10.1f %10.1f %10.1f %11.1fx %11.2fx  %s\n", v.name.c_str(), m, *std::min_element(v.ms.begin(), v.ms.end()),
                        *std::max_element(v.ms.begin(), v.ms.end()), naiveMs > 0 ? naiveMs / m : 0.0, cpu1Ms > 0 ? cpu1Ms / m : 0.0, mem.c_str());
        }
        if (a.has("--profile"))
            for (const Variant& v : vars) {
                if (!v.engine) continue;
                std::map<std::string, std::pair<double, int>> byOp;
                double total = 0.0;
                for (const LayerStats& l : v.engine->session->stats().layers) {
                    auto& e = byOp[l.op + " " + l.algo];
                    e.first += l.ms;
                    ++e.second;
                    total += l.ms;
                }
                std::vector<std::pair<double, std::string>> rows;
                for (const auto& [op, e] : byOp) rows.push_back({e.first, op + " (" + std::to_string(e.second) + ")"});
                std::sort(rows.rbegin(), rows.rend());
                std::printf("\n%s, one step (%.1f ms), by op:\n", v.name.c_str(), total);
                for (size_t k = 0; k < rows.size() && k < 12; ++k) std::printf("  %8.2f ms %5.1f %%  %s\n", rows[k].first, 100.0 * rows[k].first / total, rows[k].second.c_str());
            }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-teach-bench: %s\n", e.what());
        return 1;
    }
}
