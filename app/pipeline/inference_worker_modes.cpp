// SPDX-License-Identifier: Apache-2.0
// The inference worker's compare mode, Auto backend and scene skip: the frame on
// both backends, the Auto backend's probe and decision, and reusing the last result while the
// scene does not change. The single-backend path is in inference_worker.cpp.
#include <QStringList>
#include <algorithm>

#include "agreement.h"  // inference/tools: the one agreement measure
#include "metrics/process_memory.h"
#include "pipeline/inference_worker.h"

namespace percept::app {

using percept::Backend;

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
Backend backendAt(size_t i) { return i == 0 ? Backend::Cpu : Backend::Vulkan; }

// Same top-1, and the largest probability difference over every class (the zoo's and
// percept-bench's measure, tools/agreement.h).
Agreement agreementOf(const std::vector<float>& cpu, const std::vector<float>& gpu) {
    Agreement g;
    if (cpu.empty() || cpu.size() != gpu.size()) return g;
    const percept::tools::Agreement a = percept::tools::compareOutputs(gpu.data(), cpu.data(), cpu.size());
    g.valid = true;
    g.sameTop1 = a.sameTop1();
    g.maxProbDiff = a.maxAbsDiff;
    return g;
}
}  // namespace

void InferenceWorker::setCompare(bool on) {
    compare_ = on;
    if (on) gpuError_.clear();  // asked again: try the GPU again
    resetSceneSkip(false);
}

void InferenceWorker::setAutoBackend(bool on) {
    auto_.setEnabled(on);
    if (on) {
        gpuError_.clear();
        restartAuto(QStringLiteral("Auto chosen"));
    }
}

void InferenceWorker::restartAuto(const QString& why) {
    auto_.restart(why);
    for (auto& e : energies_) e.clearWindow();
}

void InferenceWorker::setPowerState(int state) {
    const auto s = static_cast<PowerState>(state);
    if (s == power_) return;
    power_ = s;
    if (auto_.enabled()) restartAuto(QStringLiteral("now %1").arg(powerStateName(s)));
}

void InferenceWorker::sourceChanged() {
    resetSceneSkip(true);
    if (auto_.enabled()) restartAuto(QStringLiteral("new source"));
}

void InferenceWorker::setSkipThreshold(double greyLevels) {
    scene_.setThreshold(greyLevels);
    resetSceneSkip(true);
}

void InferenceWorker::setTestDelay(int backend, int ms) { testDelayMs_[index(static_cast<Backend>(backend))] = std::max(0, ms); }

void InferenceWorker::resetSceneSkip(bool counts) {
    scene_.reset();
    lastComputed_.reset();
    if (counts) skip_ = SkipFigures{};
    skip_.enabled = scene_.enabled();
    skip_.threshold = scene_.threshold();
}

EnergyMonitor& InferenceWorker::meter(Backend b, const percept::Session& s) {
    const size_t i = index(b);
    if (meteredDevice_[i] != s.deviceName()) {
        energies_[i].configure(b == Backend::Cpu ? EnergyDomain::Cpu : EnergyDomain::Gpu, s.deviceName());
        meteredDevice_[i] = s.deviceName();
    }
    return energies_[i];
}

QString InferenceWorker::gpuUnusableWhy() const {
    std::string why;
    if (!percept::backendAvailable(Backend::Vulkan, &why)) return QStringLiteral("GPU (Vulkan) unavailable: %1").arg(qs(why));
    return gpuError_;
}

bool InferenceWorker::reuseUnchangedScene(const Frame& frame, const cv::Mat& view, cv::Mat& thumb) {
    // Off in compare mode and while Auto measures (both need real runs), and for still
    // pictures (they are run again on purpose after a backend or model change).
    if (!scene_.enabled() || compare_ || auto_.probing() || frame.still) return false;
    thumb = SceneChange::thumbnail(view);
    ++skip_.framesSeen;
    const bool comparable = scene_.hasReference() && lastComputed_ && lastComputed_->backend == active_;  // reset on a model change
    if (!comparable) return false;
    skip_.lastDifference = scene_.differenceFromReference(thumb);
    if (!scene_.unchanged(skip_.lastDifference)) return false;

    ++skip_.framesSkipped;
    if (lastComputed_->energy.valid) skip_.joulesSaved += lastComputed_->energy.joulesPerInference;
    InferenceResult r = *lastComputed_;
    r.frameSeq = frame.seq;
    r.frameArrival = frame.arrival;
    r.finished = Clock::now();
    r.waitedForSetup = false;
    r.reused = true;
    r.reusedFrom = lastComputed_->frameSeq;
    r.memory.rssBytes = residentSetBytes().value_or(r.memory.rssBytes);
    r.skip = skip_;
    r.autoNote = auto_.note();
    emit resultReady(r);
    return true;
}

void InferenceWorker::runOnBoth(const Frame& frame, const percept::Tensor& input, double preprocessMs) {
    std::array<std::vector<float>, 2> probs;
    std::array<std::optional<InferenceResult>, 2> res;
    // A still picture arrives once: Auto's probe runs it as often as it needs.
    const int rounds = auto_.probing() && frame.still ? AutoBackend::kProbeFrames + 1 : 1;
    for (int round = 0; round < rounds && (round == 0 || auto_.probing()); ++round) {
        res[0] = runOn(Backend::Cpu, frame, input, preprocessMs, &probs[0]);  // a CPU failure throws
        res[1].reset();
        if (gpuUnusableWhy().isEmpty()) {
            try {
                res[1] = runOn(Backend::Vulkan, frame, input, preprocessMs, &probs[1]);  // nullopt: gpuFailed() said why
            } catch (const std::exception& e) {
                sessions_[index(Backend::Vulkan)].reset();
                gpuError_ = QStringLiteral("GPU (Vulkan) cannot run %1: %2").arg(res[0]->modelName, qs(e.what()));
            }
        }
        if (!auto_.probing()) continue;
        for (size_t i = 0; i < 2; ++i) {
            if (!res[i]) continue;
            const Backend b = backendAt(i);
            const bool first = auto_.samples(b) == 0;
            auto_.addSample(b, res[i]->preprocessMs + res[i]->inferenceMs + res[i]->postprocessMs);
            if (first && auto_.samples(b) == 0) energies_[i].clearWindow();  // the cold first run is left out
        }
        if (auto_.readyToDecide({true, gpuUnusableWhy().isEmpty()})) finishAutoProbe(frame.sourceFps);
    }

    if (compare_) {
        InferenceResult r = *res[0];
        r.compareMode = true;
        if (res[1]) {
            r.agreement = agreementOf(probs[0], probs[1]);
            res[1]->compareMode = true;
            res[1]->agreement = r.agreement;
            r.compared = std::make_shared<const InferenceResult>(*res[1]);
        } else {
            r.compareNote = gpuUnusableWhy() + QStringLiteral(" \u2014 comparing needs both; showing the CPU only");
        }
        r.autoNote = auto_.note();
        r.skip = skip_;
        emit resultReady(r);
        return;
    }
    std::optional<InferenceResult>& shown = res[index(active_)] ? res[index(active_)] : res[0];
    shown->autoNote = auto_.note();
    shown->skip = skip_;
    lastComputed_ = *shown;
    emit resultReady(*shown);
}

void InferenceWorker::finishAutoProbe(double sourceFps) {
    std::array<BackendMeasurement, 2> m;
    const QString gpuWhy = gpuUnusableWhy();
    for (size_t i = 0; i < 2; ++i) {
        const Backend b = backendAt(i);
        m[i].available = i == 0 || gpuWhy.isEmpty();
        if (!m[i].available) m[i].unavailableWhy = gpuWhy;
        m[i].frameMs = auto_.medianMs(b);
        m[i].samples = auto_.samples(b);
        const EnergyFigure f = energies_[i].figure();
        m[i].joules = f.valid ? f.joulesPerInference : 0.0;
        m[i].energyMeasured = f.measured;
    }
    const AutoDecision& d = auto_.decide(m, sourceFps, power_);
    emit autoDecided(static_cast<int>(d.backend), d.reason);
    if (d.backend != active_) activate(d.backend);
}

}  // namespace percept::app
