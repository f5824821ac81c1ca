// percept-bench: times a model on Percept's engine and, in the same process and on the same
// input, on OpenCV DNN (the peer), then prints min/median/max, the ratio, and a per-layer table.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>

#include "cpu/isa.h"
#include "model_options.h"
#include "percept/models/model_store.h"
#include "percept/percept.h"
#include "synthetic_models.h"
#include <filesystem>
#include <fstream>

using namespace percept;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Figures {
    double min = 0, med = 0, max = 0;
};
Figures summarize(const std::vector<double>& v) {
    Figures f;
    if (v.empty()) return f;
    f.min = *std::min_element(v.begin(), v.end());
    f.max = *std::max_element(v.begin(), v.end());
    f.med = median(v);
    return f;
}

// "synthetic:resnet18" / "synthetic:mobilenetv2": generated into the temp directory.
models::ModelRef resolveBenchModel(const std::string& name) {
    tools::SyntheticArch arch;
    if (name.rfind("synthetic:", 0) != 0 || !tools::parseSyntheticArch(name, arch)) return models::resolveModel(name);
    const std::string path = (std::filesystem::temp_directory_path() / ("percept-" + name.substr(10) + ".onnx")).string();
    const std::string bytes = tools::makeSyntheticModel(arch);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    models::ModelRef r;
    r.manifest.name = name;
    r.modelPath = path;
    return r;
}

void usage() {
    std::printf(
        "usage: percept-bench [--model M|all] [options]\n"
        "Times a model on Percept's engine and on OpenCV DNN in the same run.\n\n"
        "  --model M          manifest name, .onnx path, synthetic:resnet18, synthetic:mobilenetv2,\n"
        "                     or 'all' (default: every model found plus both synthetic ones)\n"
        "  --threads LIST     thread counts, e.g. 1,2 (default: 1,2)\n"
        "  --runs R           timed runs per engine (default 30)\n"
        "  --warmup W         untimed runs first (default 5)\n"
        "  --backend B        cpu (default) | vulkan\n"
        "  --device N         Vulkan device index\n"
        "  --fp16             Vulkan: store weights and activations as fp16 (where the device can)\n"
        "  --no-opencv        skip the OpenCV DNN peer\n"
        "  --layers N         per-layer rows to print, heaviest first (default all; 0 = none)\n"
        "  --peak G           fp32 peak GFLOP/s per core for the percent-of-peak figure (default: 220 with\n"
        "                     AVX-512, 110 with AVX2, 55 otherwise: Zen 5 at 3.45 GHz, 2 FMA pipes)\n"
        "  --json             print one JSON object per model and thread count\n"
        "  --help, -h         print this text and exit\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--model", "--threads", "--runs", "--warmup", "--backend", "--device", "--layers", "--peak"};
    std::set<std::string> switches = {"--json", "--no-opencv", "--fp16", "--help", "-h"};
    try {
        tools::Args a(argc, argv, valued, switches);
        if (a.has("--help") || a.has("-h")) { usage(); return 0; }
        const bool json = a.has("--json"), withCv = !a.has("--no-opencv");
        const int runs = std::max(1, a.getInt("--runs", 30)), warmup = std::max(0, a.getInt("--warmup", 5));
        const int maxLayers = a.getInt("--layers", 1 << 30);
        // The CPU kernels' dispatch level decides the reachable peak (512-bit FMAs or 256-bit).
        const Tuning tuning = Tuning::fromEnvironment();
        const cpu::Isa isa = cpu::bestIsa(tuning.cpuIsa);
        const double peakPerCore = a.has("--peak") ? std::stod(a.get("--peak", "220"))
                                                   : (isa == cpu::Isa::Avx512 ? 220.0 : isa == cpu::Isa::Avx2 ? 110.0 : 55.0);
        std::vector<int> threadCounts;
        for (float t : a.getFloats("--threads")) threadCounts.push_back(static_cast<int>(t));
        if (!a.has("--threads")) threadCounts = {1, 2};
        const Backend backend = parseBackend(a.get("--backend", "cpu"));

        std::vector<models::ModelRef> refs;
        const std::string which = a.get("--model", "all");
        if (which == "all") {
            for (const auto& m : models::builtinManifests())
                if (!models::findDataFile(m.file).empty()) refs.push_back(models::resolveModel(m.name));
            for (const char* s : {"synthetic:resnet18", "synthetic:mobilenetv2"}) refs.push_back(resolveBenchModel(s));
        } else {
            refs.push_back(resolveBenchModel(which));
        }

        for (const auto& ref : refs) {
            const auto tLoad = Clock::now();
            Model model = Model::load(ref.modelPath);
            const double loadMs = std::chrono::duration<double, std::milli>(Clock::now() - tLoad).count();
            Tensor input(model.inputs().at(0).shape);
            std::mt19937 rng(42);
            std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
            for (float& v : input.data) v = dist(rng);
            cv::dnn::Net net;
            cv::Mat blob;
            if (withCv) {
                net = cv::dnn::readNetFromONNX(ref.modelPath);
                net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
                net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
                std::vector<int> dims(input.shape.begin(), input.shape.end());
                blob = cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F, input.data.data());
            }
            for (int threads : threadCounts) {
                SessionOptions so;
                so.backend = backend;
                so.threads = threads;
                so.deviceIndex = a.getInt("--device", -1);
                so.fp16Storage = a.has("--fp16");
                so.tuning = tuning;
                const auto tSess = Clock::now();
                auto session = Session::create(model, so);
                const double sessMs = std::chrono::duration<double, std::milli>(Clock::now() - tSess).count();
                if (withCv) cv::setNumThreads(threads);
                auto runOurs = [&] { session->run(input); };
                auto runCv = [&] {
                    net.setInput(blob);
                    cv::Mat out = net.forward();
                };
                for (int w = 0; w < warmup; ++w) {
                    runOurs();
                    if (withCv) runCv();
                }
                // Interleaved, so both engines see the same machine noise.
                std::vector<double> ours, peer;
                const size_t nl = session->stats().layers.size();
                std::vector<std::vector<double>> layerMs(nl);
                for (int r = 0; r < runs; ++r) {
                    auto t0 = Clock::now();
                    runOurs();
                    ours.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    for (size_t l = 0; l < nl; ++l) layerMs[l].push_back(session->stats().layers[l].ms);
                    if (withCv) {
                        t0 = Clock::now();
                        runCv();
                        peer.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    }
                }
                const Figures fo = summarize(ours), fp = summarize(peer);
                // Same answer as the peer on this input? (a fast wrong answer is no result)
                double relDiff = -1;
                bool sameTop1 = true;
                if (withCv) {
                    const Tensor mine = session->run(input);
                    net.setInput(blob);
                    const cv::Mat theirs = net.forward().reshape(1, 1);
                    if (static_cast<size_t>(theirs.total()) == mine.data.size()) {
                        double maxRef = 0, maxDiff = 0;
                        size_t am = 0, at = 0;
                        for (size_t k = 0; k < mine.data.size(); ++k) {
                            const double t = theirs.at<float>(0, static_cast<int>(k));
                            maxRef = std::max(maxRef, std::abs(t));
                            maxDiff = std::max(maxDiff, std::abs(t - mine.data[k]));
                            if (mine.data[k] > mine.data[am]) am = k;
                            if (t > theirs.at<float>(0, static_cast<int>(at))) at = k;
                        }
                        relDiff = maxDiff / std::max(maxRef, 1e-30);
                        sameTop1 = am == at;
                    }
                }
                const Stats& st = session->stats();
                struct Row {
                    const LayerStats* l;
                    double ms;
                };
                std::vector<Row> rows;
                for (size_t l = 0; l < nl; ++l) rows.push_back({&st.layers[l], median(layerMs[l])});
                std::vector<Row> heavy = rows;
                std::stable_sort(heavy.begin(), heavy.end(), [](const Row& x, const Row& y) { return x.ms > y.ms; });
                if (static_cast<int>(heavy.size()) > maxLayers) heavy.resize(static_cast<size_t>(std::max(0, maxLayers)));
                double convMs = 0;
                int64_t convFlops = 0;
                for (const Row& r : rows)
                    if (r.l->op.rfind("Conv", 0) == 0) convMs += r.ms, convFlops += r.l->flops;
                const double convGflops = convMs > 0 ? convFlops / (convMs * 1e6) : 0.0;
                if (json) {
                    nlohmann::json j;
                    j["model"] = ref.manifest.name;
                    j["backend"] = backendName(backend);
                    j["device"] = session->deviceName();
                    j["threads"] = threads;
                    j["runs"] = runs;
                    j["ms"] = {{"min", fo.min}, {"median", fo.med}, {"max", fo.max}};
                    if (withCv) {
                        j["opencv_ms"] = {{"min", fp.min}, {"median", fp.med}, {"max", fp.max}};
                        j["ratio_vs_opencv"] = fo.med / fp.med;
                        j["max_rel_diff_vs_opencv"] = relDiff;
                        j["same_top1_as_opencv"] = sameTop1;
                    }
                    j["gflop"] = st.totalFlops / 1e9;
                    j["conv_gflops_per_s"] = convGflops;
                    j["cpu_isa"] = cpu::isaName(isa);
                    if (backend == Backend::Cpu) {
                        j["peak_gflops_per_s"] = peakPerCore * threads;
                        j["conv_percent_of_peak"] = 100.0 * convGflops / (peakPerCore * threads);
                    }
                    j["model_load_ms"] = loadMs;
                    j["session_create_ms"] = sessMs;
                    j["peak_arena_bytes"] = st.peakArenaBytes;
                    j["naive_activation_bytes"] = st.naiveActivationBytes;
                    j["workspace_bytes"] = st.workspaceBytes;
                    j["weight_bytes"] = st.weightBytes;
                    j["layers"] = nlohmann::json::array();
                    for (const Row& r : rows)
                        j["layers"].push_back({{"name", r.l->name}, {"op", r.l->op}, {"algo", r.l->algo}, {"ms", r.ms},
                                               {"gflop", r.l->flops / 1e9}, {"gflops_per_s", r.ms > 0 ? r.l->flops / (r.ms * 1e6) : 0.0}});
                    std::cout << j.dump() << std::endl;
                    continue;
                }
                std::printf("\n== %s  [%s, %d thread%s]  %.3f GFLOP/inference\n", ref.manifest.name.c_str(),
                            session->deviceName().c_str(), threads, threads == 1 ? "" : "s", st.totalFlops / 1e9);
                std::printf("percept    : min %8.3f  median %8.3f  max %8.3f ms   (%d runs)\n", fo.min, fo.med, fo.max, runs);
                if (withCv)
                    std::printf("opencv-dnn : min %8.3f  median %8.3f  max %8.3f ms   ratio percept/opencv = %.3f\n", fp.min, fp.med,
                                fp.max, fo.med / fp.med);
                if (withCv && relDiff >= 0)
                    std::printf("agreement  : max |ours - opencv| = %.2g x max |opencv output|, top-1 %s\n", relDiff,
                                sameTop1 ? "same" : "DIFFERENT");
                std::printf("memory     : activation arena %.2f MiB (naive sum %.2f MiB, %.0f%%), workspace %.2f MiB, weights %.2f MiB\n",
                            st.peakArenaBytes / 1048576.0, st.naiveActivationBytes / 1048576.0,
                            100.0 * st.peakArenaBytes / std::max<size_t>(1, st.naiveActivationBytes), st.workspaceBytes / 1048576.0,
                            st.weightBytes / 1048576.0);
                if (backend == Backend::Cpu)
                    std::printf("conv layers: %.1f GFLOP/s achieved = %.0f%% of peak %.0f GFLOP/s (%d x %.0f, %s); load %.1f ms, session %.1f ms\n",
                                convGflops, 100.0 * convGflops / (peakPerCore * threads), peakPerCore * threads, threads, peakPerCore,
                                cpu::isaName(isa), loadMs, sessMs);
                else  // the CPU's peak says nothing about a GPU
                    std::printf("conv layers: %.1f GFLOP/s achieved (GPU timestamps); load %.1f ms, session %.1f ms\n", convGflops,
                                loadMs, sessMs);
                if (!heavy.empty()) {
                    std::printf("  %-36s %-18s %-14s %9s %9s %6s\n", "layer", "op", "algo", "ms", "GFLOP/s", "share");
                    for (const Row& r : heavy)
                        std::printf("  %-36.36s %-18.18s %-14.14s %9.3f %9.1f %5.1f%%\n", r.l->name.c_str(), r.l->op.c_str(),
                                    r.l->algo.c_str(), r.ms, r.ms > 0 ? r.l->flops / (r.ms * 1e6) : 0.0, 100.0 * r.ms / std::max(1e-9, fo.med));
                }
            }
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-bench: %s\n", e.what());
        return 1;
    }
}
