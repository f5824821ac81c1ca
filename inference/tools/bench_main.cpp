// SPDX-License-Identifier: Apache-2.0
// percept-bench: times a model on Percept's engine and, in the same process and on the same
// input, on OpenCV DNN (the peer), then prints min/median/max, the ratio, and a per-layer table.
// With reference outputs (--reference, or a model zoo's PyTorch / ONNX Runtime outputs with
// --zoo) it also says how closely the engine's answer agrees with each.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <time.h>

#include "agreement.h"
#include "bench_cases.h"
#include "bench_compare.h"  // --compare, --plot
#include "compare_plot.h"
#include "bench_throughput.h"
#include "cpu/isa.h"
#include "model_options.h"
#include "percept/models/model_store.h"
#include "percept/percept.h"
#include "synthetic_models.h"
#include "timing.h"
#include <filesystem>
#include <fstream>

using namespace percept;
using percept::tools::Clock;
using percept::tools::median;
using percept::tools::msSince;

namespace {

// CPU time of the whole process (every thread), in ms: on a machine shared with other work,
// what a run cost in cycles whatever the preemptions (at 1 thread; spinning workers count too).
double processCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
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

// A manifest name or .onnx path; "synthetic:resnet18" / "synthetic:mobilenetv2": generated
// into the temp directory.
tools::BenchCase resolveBenchModel(const std::string& name) {
    tools::SyntheticArch arch;
    if (name.rfind("synthetic:", 0) != 0 || !tools::parseSyntheticArch(name, arch)) {
        const models::ModelRef r = models::resolveModel(name);
        return {r.manifest.name, r.modelPath, {}, {}};
    }
    const std::string path = (std::filesystem::temp_directory_path() / ("percept-" + name.substr(10) + ".onnx")).string();
    const std::string bytes = tools::makeSyntheticModel(arch);
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return {name, path, {}, {}};
}

// One line of the closing agreement table: a model on one backend and thread count, or the
// reason the engine refused it.
struct SummaryRow {
    std::string model, backend, refused;
    int threads = 0;  // 0: not a CPU session
    double medianMs = 0;
    std::vector<std::pair<std::string, tools::Agreement>> agreement;
};

// The fp32 contract the zoo tests hold the engine to; the table flags what exceeds it.
constexpr double kAgreementTolerance = 1e-4;

void printSummary(const std::vector<SummaryRow>& rows, const std::vector<std::string>& refNames) {
    std::printf("\n== agreement with the references: max |ours - reference| / max |reference|, top-1 (! = beyond %.0e or another top-1)\n",
                kAgreementTolerance);
    std::printf("%-26s %-7s %7s %10s", "model", "backend", "threads", "median ms");
    for (const auto& r : refNames) std::printf("  %-18s", r.c_str());
    std::printf("\n");
    int bad = 0;
    for (const SummaryRow& r : rows) {
        if (!r.refused.empty()) {
            std::printf("%-26s %-7s refused: %s\n", r.model.c_str(), r.backend.c_str(), r.refused.c_str());
            continue;
        }
        const std::string threads = r.threads > 0 ? std::to_string(r.threads) : "-";  // a GPU's session has no thread count
        std::printf("%-26s %-7s %7s %10.3f", r.model.c_str(), r.backend.c_str(), threads.c_str(), r.medianMs);
        for (const auto& name : refNames) {
            auto it = std::find_if(r.agreement.begin(), r.agreement.end(), [&](const auto& a) { return a.first == name; });
            if (it == r.agreement.end()) {
                std::printf("  %-18s", "-");
                continue;
            }
            const bool ok = it->second.maxRelDiff <= kAgreementTolerance && it->second.sameTop1();
            bad += !ok;
            char cell[40];
            std::snprintf(cell, sizeof cell, "%.1e %s%s", it->second.maxRelDiff, it->second.sameTop1() ? "same" : "DIFF", ok ? "" : " !");
            std::printf("  %-18s", cell);
        }
        std::printf("\n");
    }
    if (bad) std::printf("%d comparison%s beyond the tolerance\n", bad, bad == 1 ? "" : "s");
}

void usage() {
    std::printf(
        "usage: percept-bench [--model M|all | --zoo DIR] [options]\n"
        "Times a model on Percept's engine and on OpenCV DNN in the same run.\n\n"
        "  --model M          manifest name, .onnx path, synthetic:resnet18, synthetic:mobilenetv2,\n"
        "                     or 'all' (default: every model found plus both synthetic ones)\n"
        "  --input FILE       the input tensor (.npy, float32) instead of random numbers\n"
        "  --reference FILE   the expected output (.npy) for --input: prints the agreement with it\n"
        "  --zoo DIR          every <id>.onnx of a model zoo (tests/zoo/export_zoo.py) on its\n"
        "                     <id>.input.npy, checked against <id>.torch.npy and <id>.ort.npy;\n"
        "                     models the engine refuses are listed with the reason\n"
        "  --threads LIST     CPU thread counts, e.g. 1,2 (default: 1,2)\n"
        "  --runs R           timed runs per engine (default 30)\n"
        "  --warmup W         untimed runs first (default 5)\n"
        "  --backend LIST     cpu, vulkan or cpu,vulkan (default: cpu; with --zoo: cpu,vulkan);\n"
        "                     Vulkan runs once per model, whatever the thread counts\n"
        "  --device N         Vulkan device index\n"
        "  --fp16             Vulkan: store weights and activations as fp16 (where the device can)\n"
        "  --fp16-arith       Vulkan: fp16 storage and fp16 arithmetic (where the device has shaderFloat16)\n"
        "  --batch N          throughput mode: images/s at batch N against batch 1, interleaved (no peer)\n"
        "  --no-opencv        skip the OpenCV DNN peer\n"
        "  --no-timestamps    Vulkan: no GPU timestamps per layer (SessionOptions::profile off): the wall time\n"
        "                     without the profiling's queries (no per-layer or GPU-side figures)\n"
        "  --layers N         per-layer rows to print, heaviest first (default all; 0 = none)\n"
        "  --peak G           fp32 peak GFLOP/s per core for the percent-of-peak figure (default: 220 with\n"
        "                     AVX-512, 110 with AVX2, 55 otherwise: Zen 5 at 3.45 GHz, 2 FMA pipes)\n"
        "  --compare A,B      run the model(s) on two backends (e.g. cpu,vulkan) interleaved, each on its own warm\n"
        "                     session: latency, per-layer time, process CPU time and energy per inference\n"
        "                     (measured with RAPL/NVML where readable, else the app's estimate, labelled), and\n"
        "                     whether the outputs agree; the CPU uses the last --threads count\n"
        "  --plot FILE        with --compare: write the per-layer comparison and summary as FILE (.svg or .png)\n"
        "  --json             print one JSON object per model and thread count\n"
        "  --help, -h         print this text and exit\n");
}

// The command line's choices that every run shares.
struct BenchOptions {
    bool json = false, withCv = true, fp16 = false, fp16Arith = false, profile = true;
    int runs = 30, warmup = 5, maxLayers = 1 << 30, device = -1, batch = 0;  // batch 0: latency mode
    Tuning tuning;
    cpu::Isa isa = cpu::Isa::Generic;
    double peakPerCore = 55.0;
};

// The session every run of the command line makes.
SessionOptions sessionOptions(const BenchOptions& o, Backend backend, int threads) {
    SessionOptions so;
    so.backend = backend;
    so.threads = threads;
    so.deviceIndex = o.device;
    so.fp16Storage = o.fp16;
    so.fp16Arithmetic = o.fp16Arith;
    so.profile = o.profile;
    so.tuning = o.tuning;
    return so;
}

// An error's message without the model file's path in front (the tables name the model).
std::string withoutPath(std::string msg, const std::string& path) {
    if (msg.rfind(path + ": ", 0) == 0) msg.erase(0, path.size() + 2);
    return msg;
}

// OpenCV DNN on the same file and input, or nothing where OpenCV cannot run the model (many of
// today's architectures): the peer is then left out for that model, said so, and the rest goes on.
struct Peer {
    cv::dnn::Net net;
    cv::Mat blob;
    bool ok = false;
};
Peer makePeer(const std::string& path, Tensor& input, bool json) {
    Peer p;
    try {
        p.net = cv::dnn::readNetFromONNX(path);
        p.net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        p.net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        std::vector<int> dims(input.shape.begin(), input.shape.end());
        p.blob = cv::Mat(static_cast<int>(dims.size()), dims.data(), CV_32F, input.data.data());
        p.net.setInput(p.blob);
        p.net.forward();
        p.ok = true;
    } catch (const cv::Exception& e) {
        if (!json) std::printf("(opencv-dnn cannot run %s: %s; no peer for it)\n", path.c_str(), e.msg.c_str());
    }
    return p;
}

// Times one session (interleaved with the peer), checks its answer, prints the run's figures.
SummaryRow runSession(const tools::BenchCase& c, const Model& model, double loadMs, Tensor& input, Peer& peer, Backend backend,
                      int threads, const BenchOptions& o) {
    const SessionOptions so = sessionOptions(o, backend, threads);
    const auto tSess = Clock::now();
    auto session = Session::create(model, so);
    const double sessMs = msSince(tSess);
    const bool withCv = peer.ok;
    if (withCv) cv::setNumThreads(threads);
    auto runOurs = [&] { session->run(input); };
    auto runCv = [&] {
        peer.net.setInput(peer.blob);
        cv::Mat out = peer.net.forward();
    };
    for (int w = 0; w < o.warmup; ++w) {
        runOurs();
        if (withCv) runCv();
    }
    // Interleaved, so both engines see the same machine noise.
    std::vector<double> ours, theirs, oursCpu, oursGpu, oursGpuCopy;
    const size_t nl = session->stats().layers.size();
    std::vector<std::vector<double>> layerMs(nl);
    for (int r = 0; r < o.runs; ++r) {
        auto t0 = Clock::now();
        const double cpu0 = processCpuMs();
        runOurs();
        ours.push_back(msSince(t0));
        oursCpu.push_back(processCpuMs() - cpu0);
        for (size_t l = 0; l < nl; ++l) layerMs[l].push_back(session->stats().layers[l].ms);
        oursGpu.push_back(session->stats().gpuMs);
        oursGpuCopy.push_back(session->stats().gpuCopyMs);
        if (withCv) {
            t0 = Clock::now();
            runCv();
            theirs.push_back(msSince(t0));
        }
    }
    const Figures fo = summarize(ours), fp = summarize(theirs);
    // Same answer as the peer and the references on this input? (a fast wrong answer is no result)
    const Tensor mine = session->run(input);
    SummaryRow row{c.name, backendName(backend), "", backend == Backend::Cpu ? threads : 0, fo.med, {}};
    std::optional<tools::Agreement> vsCv;
    if (withCv) {
        peer.net.setInput(peer.blob);
        const cv::Mat out = peer.net.forward().reshape(1, 1);
        if (static_cast<size_t>(out.total()) == mine.data.size()) vsCv = tools::compareOutputs(mine.data.data(), out.ptr<float>(), mine.data.size());
    }
    for (const auto& [who, ref] : c.references) {
        if (ref.data.size() != mine.data.size())
            throw Error(c.name + ": the " + who + " reference has " + std::to_string(ref.data.size()) + " values, the output " +
                        std::to_string(mine.data.size()));
        row.agreement.emplace_back(who, tools::compareOutputs(mine.data.data(), ref.data.data(), ref.data.size()));
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
    if (static_cast<int>(heavy.size()) > o.maxLayers) heavy.resize(static_cast<size_t>(std::max(0, o.maxLayers)));
    double convMs = 0;
    int64_t convFlops = 0;
    for (const Row& r : rows)
        if (r.l->op.rfind("Conv", 0) == 0) convMs += r.ms, convFlops += r.l->flops;
    const double convGflops = convMs > 0 ? convFlops / (convMs * 1e6) : 0.0;
    if (o.json) {
        nlohmann::json j;
        j["model"] = c.name;
        j["model_path"] = c.path;  // where a peer outside this process finds the same file (tests/zoo/bench_vs_ort.js)
        j["input_shape"] = input.shape;
        j["backend"] = backendName(backend);
        j["device"] = session->deviceName();
        j["threads"] = threads;
        j["runs"] = o.runs;
        j["ms"] = {{"min", fo.min}, {"median", fo.med}, {"max", fo.max}};
        j["cpu_ms_median"] = median(oursCpu);
        if (withCv) {
            j["opencv_ms"] = {{"min", fp.min}, {"median", fp.med}, {"max", fp.max}};
            j["ratio_vs_opencv"] = fo.med / fp.med;
            j["max_rel_diff_vs_opencv"] = vsCv ? vsCv->maxRelDiff : -1.0;
            j["same_top1_as_opencv"] = vsCv ? vsCv->sameTop1() : true;
        }
        for (const auto& [who, g] : row.agreement) j["references"][who] = {{"max_rel_diff", g.maxRelDiff}, {"same_top1", g.sameTop1()}};
        j["gflop"] = st.totalFlops / 1e9;
        j["conv_gflops_per_s"] = convGflops;
        j["cpu_isa"] = cpu::isaDescription(o.isa);
        if (backend == Backend::Cpu) {
            j["peak_gflops_per_s"] = o.peakPerCore * threads;
            j["conv_percent_of_peak"] = 100.0 * convGflops / (o.peakPerCore * threads);
        }
        j["model_load_ms"] = loadMs;
        j["session_create_ms"] = sessMs;
        for (const Stats::Phase& ph : st.createPhases) j["session_create_phases_ms"][ph.name] = ph.ms;
        j["peak_arena_bytes"] = st.peakArenaBytes;
        j["naive_activation_bytes"] = st.naiveActivationBytes;
        j["workspace_bytes"] = st.workspaceBytes;
        j["weight_bytes"] = st.weightBytes;
        if (backend == Backend::Vulkan && median(oursGpu) > 0) {  // GPU timestamps (Stats::gpuMs)
            j["gpu_ms"] = median(oursGpu);
            j["gpu_copy_ms"] = median(oursGpuCopy);
        }
        if (backend == Backend::Vulkan)  // what one run submits: the GPU's batch-1 cost
            j["commands"] = {{"dispatches", st.dispatches}, {"transfers", st.transfers}, {"barriers", st.barriers}};
        j["layers"] = nlohmann::json::array();
        for (const Row& r : rows)
            j["layers"].push_back({{"name", r.l->name}, {"op", r.l->op}, {"algo", r.l->algo}, {"ms", r.ms}, {"commands", r.l->commands},
                                   {"gflop", r.l->flops / 1e9}, {"gflops_per_s", r.ms > 0 ? r.l->flops / (r.ms * 1e6) : 0.0}});
        std::cout << j.dump() << std::endl;
        return row;
    }
    std::printf("\n== %s  [%s, %d thread%s]  %.3f GFLOP/inference\n", c.name.c_str(), session->deviceName().c_str(), threads,
                threads == 1 ? "" : "s", st.totalFlops / 1e9);
    std::printf("percept    : min %8.3f  median %8.3f  max %8.3f ms   (%d runs; CPU time median %.3f ms)\n", fo.min, fo.med, fo.max, o.runs,
                median(oursCpu));
    if (median(oursGpu) > 0)
        std::printf("on the GPU : median %8.3f ms the nodes, %.3f ms input upload + output download (timestamps)\n", median(oursGpu),
                    median(oursGpuCopy));
    if (withCv)
        std::printf("opencv-dnn : min %8.3f  median %8.3f  max %8.3f ms   ratio percept/opencv = %.3f\n", fp.min, fp.med, fp.max,
                    fo.med / fp.med);
    if (vsCv)
        std::printf("agreement  : max |ours - opencv| = %.2g x max |opencv output|, top-1 %s\n", vsCv->maxRelDiff,
                    vsCv->sameTop1() ? "same" : "DIFFERENT");
    for (const auto& [who, g] : row.agreement)
        std::printf("agreement  : max |ours - %s| = %.2g x max |%s output|, top-1 %s\n", who.c_str(), g.maxRelDiff, who.c_str(),
                    g.sameTop1() ? "same" : "DIFFERENT");
    std::printf("memory     : activation arena %.2f MiB (naive sum %.2f MiB, %.0f%%), workspace %.2f MiB, weights %.2f MiB\n",
                st.peakArenaBytes / 1048576.0, st.naiveActivationBytes / 1048576.0,
                100.0 * st.peakArenaBytes / std::max<size_t>(1, st.naiveActivationBytes), st.workspaceBytes / 1048576.0,
                st.weightBytes / 1048576.0);
    if (backend == Backend::Cpu)
        std::printf("conv layers: %.1f GFLOP/s achieved = %.0f%% of peak %.0f GFLOP/s (%d x %.0f, %s); load %.1f ms, session %.1f ms\n",
                    convGflops, 100.0 * convGflops / (o.peakPerCore * threads), o.peakPerCore * threads, threads, o.peakPerCore,
                    cpu::isaDescription(o.isa).c_str(), loadMs, sessMs);
    else  // the CPU's peak says nothing about a GPU
        std::printf("conv layers: %.1f GFLOP/s achieved (GPU timestamps); load %.1f ms, session %.1f ms\n", convGflops, loadMs, sessMs);
    if (!st.createPhases.empty()) {
        std::printf("session    :");
        for (const Stats::Phase& ph : st.createPhases) std::printf(" %s %.1f ms%s", ph.name.c_str(), ph.ms, &ph == &st.createPhases.back() ? "\n" : ",");
    }
    if (backend == Backend::Vulkan)
        std::printf("commands   : %lld dispatches, %lld copies/fills, %lld barriers per run (one submit)\n",
                    static_cast<long long>(st.dispatches), static_cast<long long>(st.transfers), static_cast<long long>(st.barriers));
    if (!heavy.empty()) {
        std::printf("  %-36s %-18s %-14s %9s %9s %6s\n", "layer", "op", "algo", "ms", "GFLOP/s", "share");
        for (const Row& r : heavy)
            std::printf("  %-36.36s %-18.18s %-14.14s %9.3f %9.1f %5.1f%%\n", r.l->name.c_str(), r.l->op.c_str(), r.l->algo.c_str(),
                        r.ms, r.ms > 0 ? r.l->flops / (r.ms * 1e6) : 0.0, 100.0 * r.ms / std::max(1e-9, fo.med));
    }
    return row;
}

// ---- --compare A,B [--plot FILE] ---------------------------------------------------
int runCompareMode(const tools::Args& a, const std::vector<tools::BenchCase>& cases, const BenchOptions& o, int threads) {
    tools::CompareOptions co;
    const std::string list = a.get("--compare");
    for (size_t pos = 0; pos <= list.size();) {
        const size_t end = std::min(list.find(',', pos), list.size());
        co.backends.push_back(parseBackend(list.substr(pos, end - pos)));
        pos = end + 1;
    }
    if (co.backends.size() != 2 || co.backends[0] == co.backends[1]) throw Error("--compare needs two different backends, e.g. cpu,vulkan");
    co.runs = o.runs;
    co.warmup = o.warmup;
    co.threads = threads;
    co.device = o.device;
    co.fp16 = o.fp16;
    co.json = o.json;
    co.tuning = o.tuning;
    std::vector<tools::ModelCompare> all;
    for (const tools::BenchCase& c : cases) {
        const Model model = Model::load(c.path);
        Tensor input;
        if (c.input) {
            input = *c.input;
        } else {
            input = Tensor(model.inputs().at(0).shape);
            std::mt19937 rng(42);
            std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
            for (float& v : input.data) v = dist(rng);
        }
        all.push_back(tools::runCompare(c.name, model, input, co));
    }
    if (!o.json) tools::printCompareSummary(all);
    if (a.has("--plot")) {
        tools::drawCompareFigure(all, a.get("--plot"));
        if (!o.json) std::printf("plot: %s\n", a.get("--plot").c_str());
    }
    return 0;
}

// A model (or backend) the engine refuses: in the zoo, a line of the tables, not the end.
SummaryRow refusedRow(const tools::BenchCase& c, const std::string& backend, const Error& e, bool json) {
    SummaryRow row{c.name, backend, withoutPath(e.what(), c.path), 0, 0, {}};
    if (json) std::cout << nlohmann::json{{"model", c.name}, {"backend", backend}, {"refused", row.refused}}.dump() << std::endl;
    else std::printf("\n== %s  [%s]  refused: %s\n", c.name.c_str(), backend.c_str(), row.refused.c_str());
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    std::set<std::string> valued = {"--model", "--input", "--reference", "--zoo", "--threads", "--runs", "--warmup", "--backend",
                                    "--device", "--layers", "--peak", "--compare", "--plot", "--batch"};
    std::set<std::string> switches = {"--json", "--no-opencv", "--fp16", "--fp16-arith", "--no-timestamps", "--help", "-h"};
    try {
        tools::Args a(argc, argv, valued, switches);
        if (a.has("--help") || a.has("-h")) { usage(); return 0; }
        BenchOptions o;
        o.json = a.has("--json");
        o.withCv = !a.has("--no-opencv");
        o.fp16 = a.has("--fp16");
        o.fp16Arith = a.has("--fp16-arith");
        o.profile = !a.has("--no-timestamps");
        o.runs = std::max(1, a.getInt("--runs", 30));
        o.warmup = std::max(0, a.getInt("--warmup", 5));
        o.maxLayers = a.getInt("--layers", 1 << 30);
        o.device = a.getInt("--device", -1);
        o.batch = a.has("--batch") ? a.getInt("--batch", 1) : 0;
        if (a.has("--batch") && o.batch < 1) throw Error("--batch needs a count of at least 1");
        // The CPU kernels' dispatch level decides the reachable peak (512-bit FMAs or 256-bit).
        o.tuning = Tuning::fromEnvironment();
        o.isa = cpu::bestIsa(o.tuning.cpuIsa);
        o.peakPerCore = a.has("--peak") ? std::stod(a.get("--peak", "220"))
                                        : (o.isa == cpu::Isa::Avx512 ? 220.0 : o.isa == cpu::Isa::Avx2 ? 110.0
                                           // arm64/NEON: two 4-lane FMA pipes near 2 GHz (Cortex-A72/A76 class).
                                           : o.isa == cpu::Isa::Neon ? 32.0 : 55.0);
        std::vector<int> threadCounts;
        for (float t : a.getFloats("--threads")) threadCounts.push_back(static_cast<int>(t));
        if (!a.has("--threads")) threadCounts = {1, 2};
        if (threadCounts.empty()) throw Error("--threads needs at least one count");

        const bool zoo = a.has("--zoo");
        const std::string which = a.get("--model", "all");
        if (zoo && a.has("--model")) throw Error("--zoo and --model exclude each other");
        if (a.has("--reference") && !a.has("--input")) throw Error("--reference needs --input (the input it is the output for)");
        if (a.has("--input") && (zoo || which == "all")) throw Error("--input needs one --model");
        std::vector<Backend> backends;
        const std::string backendList = a.get("--backend", zoo ? "cpu,vulkan" : "cpu");
        for (size_t pos = 0; pos <= backendList.size();) {
            const size_t end = std::min(backendList.find(',', pos), backendList.size());
            backends.push_back(parseBackend(backendList.substr(pos, end - pos)));
            pos = end + 1;
        }

        std::vector<tools::BenchCase> cases;
        if (zoo) {
            cases = tools::zooCases(a.get("--zoo"));
        } else if (which == "all") {
            for (const auto& m : models::builtinManifests())
                if (!models::findDataFile(m.file).empty()) cases.push_back(resolveBenchModel(m.name));
            for (const char* s : {"synthetic:resnet18", "synthetic:mobilenetv2"}) cases.push_back(resolveBenchModel(s));
        } else {
            cases.push_back(resolveBenchModel(which));
            if (a.has("--input")) cases.back().input = tools::readNpyTensor(a.get("--input"));
            if (a.has("--reference")) cases.back().references.emplace_back("reference", tools::readNpyTensor(a.get("--reference")));
        }

        if (a.has("--plot") && !a.has("--compare")) throw Error("--plot needs --compare");
        if (a.has("--compare")) return runCompareMode(a, cases, o, threadCounts.back());

        std::vector<SummaryRow> summary;
        std::vector<std::string> refNames;
        for (const auto& c : cases) {
            for (const auto& r : c.references)
                if (std::find(refNames.begin(), refNames.end(), r.first) == refNames.end()) refNames.push_back(r.first);
            const auto tLoad = Clock::now();
            std::optional<Model> model;
            try {
                model.emplace(Model::load(c.path));
            } catch (const Error& e) {
                if (!zoo) throw;
                summary.push_back(refusedRow(c, "all", e, o.json));
                continue;
            }
            const double loadMs = msSince(tLoad);
            Tensor input;
            if (c.input) {
                input = *c.input;
            } else {
                input = Tensor(model->inputs().at(0).shape);
                std::mt19937 rng(42);
                std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
                for (float& v : input.data) v = dist(rng);
            }
            if (o.batch > 0) {
                for (Backend backend : backends) {
                    const std::vector<int> counts = backend == Backend::Cpu ? threadCounts : std::vector<int>{threadCounts.back()};
                    for (int threads : counts) {
                        tools::benchThroughput(c.name, *model, sessionOptions(o, backend, threads), {o.batch, o.runs, o.warmup, o.json});
                    }
                }
                continue;
            }
            Peer peer;
            if (o.withCv) peer = makePeer(c.path, input, o.json);
            for (Backend backend : backends) {
                // Thread counts are the CPU's; a Vulkan session runs once (the peer with the most threads).
                const std::vector<int> counts = backend == Backend::Cpu ? threadCounts : std::vector<int>{threadCounts.back()};
                for (int threads : counts) {
                    try {
                        summary.push_back(runSession(c, *model, loadMs, input, peer, backend, threads, o));
                    } catch (const DeviceLostError&) {
                        throw;
                    } catch (const Error& e) {
                        if (!zoo) throw;
                        summary.push_back(refusedRow(c, backendName(backend), e, o.json));
                        break;
                    }
                }
            }
        }
        if (!o.json && !refNames.empty()) printSummary(summary, refNames);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-bench: %s\n", e.what());
        return 1;
    }
}
