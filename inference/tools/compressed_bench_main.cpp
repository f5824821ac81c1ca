// SPDX-License-Identifier: Apache-2.0
// percept-bench-compressed: what compressed weights cost and save. Memory: each configuration
// runs in a child process of its own (peak RSS is per process): the fp32 model, the compressed
// model decoded at load, and the compressed model streamed under a weight budget (one lane, and
// two lanes decoding ahead); it reports the peak RSS during its runs (VmHWM reset after the
// warm-up run through /proc/self/clear_refs) and over its whole life (load included). Time: all
// configurations in this process, their runs interleaved round by round, medians and ratios
// against the decoded-at-load session.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cli_args.h"
#include "percept/percept.h"

using namespace percept;

namespace {

struct Config {
    const char* name;
    bool compressed;
    size_t budget;
    bool prefetch;
};

long statusKib(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
    return -1;
}

std::unique_ptr<Session> makeSession(const Model& m, const Config& c, int threads) {
    SessionOptions so;
    so.threads = threads;
    so.weightMemoryBudget = c.budget;
    so.tuning = Tuning::fromEnvironment();
    so.tuning.weightPrefetch = c.prefetch;
    return Session::create(m, so);
}

Tensor input(const Model& m) {
    Tensor t(m.inputs()[0].shape);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    for (float& v : t.data) v = d(rng);
    return t;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    try {
        tools::Args a(argc, argv, {"--model", "--compressed", "--budget", "--runs", "--threads", "--child"}, {"--help", "-h"});
        if (a.has("--help") || a.has("-h") || !a.has("--model") || !a.has("--compressed")) {
            std::printf("usage: percept-bench-compressed --model FP32.onnx --compressed M.pcz [--budget BYTES] [--runs R] [--threads T]\n"
                        "Peak RSS (a child process per configuration) and inference time (interleaved) of the fp32 model,\n"
                        "the compressed model decoded at load, and streamed under the weight budget (default 0: every\n"
                        "coded layer streamed), with one lane and with two (the next layer decoded ahead).\n");
            return a.has("--help") || a.has("-h") ? 0 : 2;
        }
        const size_t budget = a.has("--budget") ? std::stoull(a.get("--budget")) : 0;
        const int runs = a.getInt("--runs", 20), threads = a.getInt("--threads", 1);
        const std::vector<Config> configs = {{"fp32 ONNX", false, kNoWeightBudget, true},
                                             {"compressed, decoded at load", true, kNoWeightBudget, true},
                                             {"compressed, streamed, 1 lane", true, budget, false},
                                             {"compressed, streamed, 2 lanes", true, kNoWeightBudget - 1, true}};
        // Two lanes: the budget that gives them (the largest layer twice) is found from stats below.
        if (a.has("--child")) {
            const Config& c = configs.at(static_cast<size_t>(a.getInt("--child", 0)));
            Config run = c;
            if (std::string(c.name).find("2 lanes") != std::string::npos) run.budget = std::stoull(a.get("--budget"));
            const Model m = Model::load(c.compressed ? a.get("--compressed") : a.get("--model"));
            auto s = makeSession(m, run, threads);
            const Tensor x = input(m);
            s->run(x);
            const long loadHwm = statusKib("VmHWM:");
            std::ofstream("/proc/self/clear_refs") << "5";  // peak RSS := current RSS
            for (int k = 0; k < runs; ++k) s->run(x);
            std::printf("%ld %ld %ld %d %d\n", statusKib("VmHWM:"), loadHwm, statusKib("VmRSS:"), s->stats().streamedLayers, s->stats().decodeLanes);
            return 0;
        }
        // In this process: the sessions, and the two-lane budget.
        const Model fp32 = Model::load(a.get("--model")), pcz = Model::load(a.get("--compressed"));
        std::vector<std::unique_ptr<Session>> sessions;
        std::vector<Config> cfg = configs;
        for (size_t k = 0; k < 3; ++k) sessions.push_back(makeSession(cfg[k].compressed ? pcz : fp32, cfg[k], threads));
        const Stats& lean = sessions[2]->stats();
        // Room for a second lane: what the one-lane session holds plus its largest layer again.
        cfg[3].budget = lean.weightBytes + lean.streamBufferBytes;
        sessions.push_back(makeSession(pcz, cfg[3], threads));
        std::printf("%-32s %12s %12s %10s %8s %6s\n", "configuration", "peak RSS run", "peak RSS all", "weights", "streamed", "lanes");
        std::vector<long> runPeak;
        for (size_t k = 0; k < cfg.size(); ++k) {
            const std::string cmd = std::string("/proc/") + std::to_string(getpid()) + "/exe --model '" + a.get("--model") + "' --compressed '" +
                                    a.get("--compressed") + "' --runs " + std::to_string(runs) + " --threads " + std::to_string(threads) +
                                    " --budget " + std::to_string(cfg[k].budget == kNoWeightBudget ? 0 : cfg[k].budget) + " --child " + std::to_string(k);
            FILE* p = popen(cmd.c_str(), "r");
            long hwm = 0, all = 0, rss = 0;
            int streamed = 0, lanes = 0;
            if (!p || std::fscanf(p, "%ld %ld %ld %d %d", &hwm, &all, &rss, &streamed, &lanes) != 5) throw Error("the child for '" + std::string(cfg[k].name) + "' failed");
            pclose(p);
            runPeak.push_back(hwm);
            std::printf("%-32s %9.1f MiB %9.1f MiB %6.1f MiB %8d %6d\n", cfg[k].name, hwm / 1024.0, std::max(hwm, all) / 1024.0,
                        sessions[k]->stats().weightBytes / 1048576.0, streamed, lanes);
        }
        for (size_t k = 1; k < cfg.size(); ++k)
            std::printf("peak RSS during runs, %s / fp32: %.1f%%\n", cfg[k].name, 100.0 * static_cast<double>(runPeak[k]) / static_cast<double>(runPeak[0]));
        // Time, interleaved: each round runs every configuration once, in a rotating order.
        const Tensor x = input(fp32);
        for (auto& s : sessions) s->run(x);
        std::vector<std::vector<double>> ms(sessions.size()), wait(sessions.size());
        for (int r = 0; r < runs; ++r)
            for (size_t j = 0; j < sessions.size(); ++j) {
                const size_t k = (j + static_cast<size_t>(r)) % sessions.size();
                const auto t0 = std::chrono::steady_clock::now();
                sessions[k]->run(x);
                ms[k].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                wait[k].push_back(sessions[k]->stats().decodeWaitMs);
            }
        const double base = median(ms[1]);
        std::printf("\n%-32s %10s %10s %14s  (%d interleaved rounds, %d thread%s)\n", "configuration", "median ms", "vs at load", "decode wait ms", runs, threads,
                    threads == 1 ? "" : "s");
        for (size_t k = 0; k < sessions.size(); ++k)
            std::printf("%-32s %10.2f %9.2fx %14.2f\n", cfg[k].name, median(ms[k]), median(ms[k]) / base, median(wait[k]));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-bench-compressed: %s\n", e.what());
        return 1;
    }
}
