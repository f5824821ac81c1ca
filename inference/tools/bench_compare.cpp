// SPDX-License-Identifier: Apache-2.0
#include "bench_compare.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "metrics/energy_monitor.h"  // app/metrics: the same meters and estimate as the app
#include "percept/models/classification.h"

#include "timing.h"

namespace percept::tools {
namespace {

struct Side {
    Backend backend;
    std::unique_ptr<Session> session;
    app::EnergyMonitor energy;
    std::vector<double> ms, cpuMs;
    std::vector<std::vector<double>> layerMs;
    Tensor output;
    BackendRun run;
};

std::string mj(double j) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f mJ", j * 1e3);
    return b;
}

}  // namespace

ModelCompare runCompare(const std::string& name, const Model& model, const Tensor& input, const CompareOptions& o) {
    ModelCompare mc;
    mc.model = name;
    mc.gflop = static_cast<double>(model.flops()) / 1e9;
    std::vector<std::unique_ptr<Side>> sides;
    for (Backend b : o.backends) {
        auto s = std::make_unique<Side>();
        s->backend = b;
        s->run.backend = backendName(b);
        try {
            const auto gaps = model.unsupportedOps(b);
            if (!gaps.empty()) throw Error(gaps.front());
            SessionOptions so;
            so.backend = b;
            so.threads = o.threads;
            so.deviceIndex = o.device;
            so.fp16Storage = o.fp16;
            so.tuning = o.tuning;
            s->session = Session::create(model, so);
            s->run.device = s->session->deviceName();
            s->energy.configure(b == Backend::Cpu ? app::EnergyDomain::Cpu : app::EnergyDomain::Gpu, s->run.device);
            for (int w = 0; w < o.warmup; ++w) s->session->run(input);
            s->layerMs.resize(s->session->stats().layers.size());
        } catch (const Error& e) {
            s->run.refused = e.what();
            s->session.reset();
        }
        sides.push_back(std::move(s));
    }
    // Interleaved: each round runs every backend once.
    for (int r = 0; r < o.runs; ++r) {
        for (auto& s : sides) {
            if (!s->session) continue;
            s->energy.begin();
            const double c0 = app::processCpuSeconds();
            const auto t0 = Clock::now();
            s->output = s->session->run(input);
            s->ms.push_back(msSince(t0));
            s->cpuMs.push_back((app::processCpuSeconds() - c0) * 1e3);
            const Stats& st = s->session->stats();
            s->energy.end(st.totalFlops, st.weightBytes + 2 * st.peakArenaBytes);
            for (size_t l = 0; l < s->layerMs.size(); ++l) s->layerMs[l].push_back(st.layers[l].ms);
        }
    }
    for (auto& s : sides) {
        BackendRun& run = s->run;
        if (s->session) {
            run.minMs = *std::min_element(s->ms.begin(), s->ms.end());
            run.maxMs = *std::max_element(s->ms.begin(), s->ms.end());
            run.medianMs = median(s->ms);
            run.cpuMsPerInference = median(s->cpuMs);
            const app::EnergyFigure f = s->energy.figure();
            run.energyValid = f.valid;
            run.energyMeasured = f.measured;
            run.joulesPerInference = f.joulesPerInference;
            run.energySource = f.source;
            const Stats& st = s->session->stats();
            for (size_t l = 0; l < s->layerMs.size(); ++l) run.layers.push_back({st.layers[l].name, st.layers[l].op, median(s->layerMs[l])});
            // The estimate for the same runs (what the meter would say without a counter).
            const app::EnergyModel em = app::EnergyModel::fromEnvironment();
            run.flops = st.totalFlops;
            run.bytesMoved = st.weightBytes + 2 * st.peakArenaBytes;
            const bool cpuLike = s->backend == Backend::Cpu || app::isSoftwareDevice(run.device);
            run.estimatedJoules = cpuLike ? em.cpuJoules(run.cpuMsPerInference * 1e-3) : em.gpuJoules(run.flops, run.bytesMoved);
            run.estimateFormula = cpuLike ? em.cpuDescription() : em.gpuDescription();
        }
        mc.runs.push_back(run);
    }
    if (sides.size() == 2 && sides[0]->session && sides[1]->session) {
        const OutputKind kind = model.outputs().at(0).kind;
        const std::vector<float> a = models::probabilities(sides[0]->output.data, kind);
        const std::vector<float> b = models::probabilities(sides[1]->output.data, kind);
        if (a.size() == b.size() && !a.empty()) {
            mc.agreement = compareOutputs(b.data(), a.data(), a.size());
            mc.agreementValid = true;
        }
    }

    if (o.json) {
        nlohmann::json j;
        j["model"] = name;
        j["gflop"] = mc.gflop;
        for (const BackendRun& r : mc.runs) {
            nlohmann::json b{{"backend", r.backend}, {"device", r.device}};
            if (!r.refused.empty()) b["refused"] = r.refused;
            else {
                b["ms"] = {{"min", r.minMs}, {"median", r.medianMs}, {"max", r.maxMs}};
                b["cpu_ms_per_inference"] = r.cpuMsPerInference;
                b["energy"] = {{"joules_per_inference", r.joulesPerInference}, {"measured", r.energyMeasured}, {"source", r.energySource},
                               {"estimated_joules", r.estimatedJoules}, {"estimate", r.estimateFormula}};
                b["flops"] = r.flops;
                b["bytes_moved"] = r.bytesMoved;
                for (const CompareLayer& l : r.layers) b["layers"].push_back({{"name", l.name}, {"op", l.op}, {"ms", l.ms}});
            }
            j["backends"].push_back(b);
        }
        if (mc.agreementValid) j["agreement"] = {{"same_top1", mc.agreement.sameTop1()}, {"max_abs_prob_diff", mc.agreement.maxAbsDiff}};
        std::cout << j.dump() << std::endl;
        return mc;
    }
    std::printf("\n== compare %s  (%.3f GFLOP/inference, %d runs interleaved)\n", name.c_str(), mc.gflop, o.runs);
    std::printf("  %-7s %-34s %9s %9s %9s %12s  %s\n", "backend", "device", "min ms", "median ms", "max ms", "CPU ms/inf", "energy per inference");
    for (const BackendRun& r : mc.runs) {
        if (!r.refused.empty()) {
            std::printf("  %-7s refused: %s\n", r.backend.c_str(), r.refused.c_str());
            continue;
        }
        std::printf("  %-7s %-34.34s %9.3f %9.3f %9.3f %12.3f  %s, %s (%s)%s\n", r.backend.c_str(), r.device.c_str(), r.minMs, r.medianMs, r.maxMs,
                    r.cpuMsPerInference, r.energyValid ? mj(r.joulesPerInference).c_str() : "-",
                    r.energyMeasured ? "measured" : "estimated", r.energySource.c_str(),
                    r.energyMeasured ? ("; the estimate says " + mj(r.estimatedJoules)).c_str() : "");
    }
    if (mc.agreementValid)
        std::printf("  agreement: top-1 %s, max |dprob| %.2g; %s/%s time ratio %.2f\n", mc.agreement.sameTop1() ? "same" : "DIFFERENT",
                    mc.agreement.maxAbsDiff, mc.runs[1].backend.c_str(), mc.runs[0].backend.c_str(),
                    mc.runs[1].medianMs / std::max(1e-9, mc.runs[0].medianMs));
    return mc;
}

void printCompareSummary(const std::vector<ModelCompare>& all) {
    if (all.empty() || all.front().runs.size() != 2) return;
    const std::string a = all.front().runs[0].backend, b = all.front().runs[1].backend;
    std::printf("\n== compare summary: median ms, energy per inference, agreement (%s vs %s)\n", a.c_str(), b.c_str());
    std::printf("%-26s %10s %10s %7s %12s %12s %8s  %s\n", "model", (a + " ms").c_str(), (b + " ms").c_str(), "ratio", (a + " mJ").c_str(),
                (b + " mJ").c_str(), "energy", "agreement");
    for (const ModelCompare& m : all) {
        const BackendRun &x = m.runs[0], &y = m.runs[1];
        if (!x.refused.empty() || !y.refused.empty()) {
            std::printf("%-26s refused: %s\n", m.model.c_str(), (x.refused.empty() ? y.refused : x.refused).c_str());
            continue;
        }
        char agree[64] = "-";
        if (m.agreementValid)
            std::snprintf(agree, sizeof agree, "%s top-1, max |dprob| %.1e", m.agreement.sameTop1() ? "same" : "DIFFERENT", m.agreement.maxAbsDiff);
        std::printf("%-26s %10.3f %10.3f %7.2f %12.2f %12.2f %8s  %s\n", m.model.c_str(), x.medianMs, y.medianMs, y.medianMs / std::max(1e-9, x.medianMs),
                    x.joulesPerInference * 1e3, y.joulesPerInference * 1e3,
                    x.energyMeasured && y.energyMeasured ? "measured" : "estim.", agree);
    }
    std::printf("energy: %s\n", all.front().runs[0].energySource.c_str());
    if (all.front().runs[1].energySource != all.front().runs[0].energySource)
        std::printf("        %s\n", all.front().runs[1].energySource.c_str());
}

}  // namespace percept::tools
