// SPDX-License-Identifier: Apache-2.0
#include "pipeline/inference_worker.h"

#include <QFileInfo>
#include <chrono>
#include <thread>
#include <utility>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "metrics/process_memory.h"
#include "percept/models/conventions.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/models/variants.h"
#include "pipeline/image_convert.h"
#include "pipeline/pipeline.h"

namespace percept::app {

using percept::Backend;
namespace pm = percept::models;

namespace {
double msBetween(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }
QString qs(const std::string& s) { return QString::fromStdString(s); }

// Gives the memory of dropped sessions back to the system. glibc keeps freed blocks in its
// heaps, and once a large mmap'ed block (a session's weights or arena, lavapipe's "device"
// memory) has been freed it raises its mmap threshold and serves later large requests from
// those heaps, which fragment: without this, an app that keeps switching models grew by
// ~1 MiB per switch with nothing leaked (tests/gui/tst_soak: 274 -> 300 MiB over 30 switches;
// flat with malloc_trim, or with a fixed M_MMAP_THRESHOLD). Called only after a switch, where
// it costs a few milliseconds.
void releaseFreedMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}
}  // namespace

QString backendLabel(Backend b) { return b == Backend::Cpu ? QStringLiteral("CPU") : QStringLiteral("GPU (Vulkan)"); }

// The manifest a key belongs to (a manifest name, its model file, or a variant file of it), or
// the key itself: two keys of one family are variants of one model.
QString variantFamily(const QString& key) {
    const std::string k = key.toStdString();
    if (const pm::Manifest* m = pm::findManifest(k)) return qs(m->name);
    if (const pm::Manifest* m = pm::findManifestForFile(k)) return qs(m->name);
    if (const pm::Manifest* m = pm::manifestForVariant(k)) return qs(m->name);
    return key;
}

struct InferenceWorker::LoadedModel {
    ModelInfo info;
    QString key, name, details;
    uint64_t fileBytes = 0;  // the model file on disk
    percept::Model model;
    pm::InputSpec input;
    int labelOffset = 0;
    pm::Labels labels;
    percept::OutputKind outputKind = percept::OutputKind::Values;  // Softmax inside: not applied again
};

InferenceWorker::InferenceWorker(std::shared_ptr<LatestFrameMailbox> mailbox, QObject* parent)
    : QObject(parent), mailbox_(std::move(mailbox)) {
    energies_[0].configure(EnergyDomain::Cpu, "cpu");
    // The engine's algorithm switches (PERCEPT_CPU_ISA, PERCEPT_VULKAN_FAIL_AFTER ...), read
    // once here at the app's edge; a bad value is reported with the first model and ignored.
    try {
        tuning_ = percept::Tuning::fromEnvironment();
    } catch (const std::exception& e) {
        tuningError_ = qs(e.what());
    }
}

percept::SessionOptions InferenceWorker::sessionOptions(Backend b) const {
    percept::SessionOptions so;
    so.backend = b;
    so.threads = threads_;
    so.tuning = tuning_;
    return so;
}

InferenceWorker::~InferenceWorker() = default;

void InferenceWorker::setTaughtModel(const QString& baseKey, const QString& taughtPath) {
    if (taughtPath.isEmpty()) taught_.erase(baseKey);
    else taught_[baseKey] = taughtPath;
}

void InferenceWorker::keepWarmFor(const QString& key) {
    if (model_ && model_->key != key && variantFamily(model_->key) == variantFamily(key)) {
        const QString current = model_->key;  // before the move below (the right side is evaluated first)
        warm_[current] = WarmVariant{std::move(model_), std::move(sessions_)};
    } else {
        warm_.clear();
    }
    for (auto& s : sessions_) s.reset();
}

void InferenceWorker::setModel(const QString& nameOrPath) {
    if (auto it = warm_.find(nameOrPath); it != warm_.end() && model_) {
        // A variant switched away from earlier: its sessions are warm.
        WarmVariant w = std::move(it->second);
        warm_.erase(it);
        keepWarmFor(nameOrPath);
        model_ = std::move(w.model);
        sessions_ = std::move(w.sessions);
        for (auto& m : metrics_) m.clear();
        model_->info.warm = true;
        emit modelReady(model_->info);
        try {
            ensureSession(active_);
            activate(active_);
        } catch (const std::exception& e) {
            emit error(QStringLiteral("Could not start %1: %2").arg(backendLabel(active_), qs(e.what())));
        }
        return;
    }
    // A model objects were taught to runs as its taught file (its classes plus theirs; the
    // preprocessing and labels in the file's metadata), under the base model's name.
    const auto taught = taught_.find(nameOrPath);
    const QString file = taught != taught_.end() ? taught->second : nameOrPath;
    try {
        pm::ModelRef ref = pm::resolveModel(file.toStdString());
        const pm::ModelRef base = file == nameOrPath ? ref : pm::resolveModel(nameOrPath.toStdString());
        percept::Model model = percept::Model::load(ref.modelPath);
        const auto& inShape = model.inputs().at(0).shape;
        if (inShape.size() != 4 || inShape[1] != 3 || inShape[2] != inShape[3] || inShape[2] <= 0)
            throw percept::Error("the model's input is " + percept::shapeToString(inShape) +
                                 "; Percept's app needs one square RGB image [1,3,S,S]");
        const int side = static_cast<int>(inShape[3]);
        // Preprocessing and labels: the manifest, the model's metadata, or a calibration on
        // the reference photos (on a CPU session, kept if the CPU is the backend to use).
        std::unique_ptr<percept::Session> cpuSession;
        auto runOnCpu = [&](const percept::Tensor& t) {
            if (!cpuSession) cpuSession = percept::Session::create(model, sessionOptions(Backend::Cpu));
            return cpuSession->run(t);
        };
        pm::Conventions conv = pm::resolveConventions(ref, model, runOnCpu);
        const auto user = userSettings_.find(nameOrPath);
        if (user != userSettings_.end()) {
            conv.input = user->second.input;
            conv.input.size = side;
            if (conv.input.resizeShorter < side) conv.input.resizeShorter = static_cast<int>(side / 0.875 + 0.5);
            conv.labels.clear();
            conv.labelsPath = user->second.labelsPath.toStdString();
            conv.labelOffset = user->second.labelOffset;
            conv.source = pm::ConventionSource::User;
            conv.note = conv.labelsPath.empty() ? "your preprocessing, no labels (class numbers shown)" : "your preprocessing and labels";
        }
        pm::Labels labels = pm::loadLabels(conv);
        const QString note = qs(conv.note);

        ModelInfo info;
        info.key = nameOrPath;
        info.hasManifest = base.hasManifest;
        info.userSettings = user != userSettings_.end();
        info.settings = {conv.input, qs(conv.labelsPath), conv.labelOffset};
        info.conventions = note;
        const percept::OutputKind outputKind = model.outputs().at(0).kind;
        const pm::VariantKind variant = pm::variantKindOf(base.modelPath);
        QString name = base.hasManifest ? qs(base.manifest.displayName) : QFileInfo(nameOrPath).fileName();
        if (base.hasManifest && variant != pm::VariantKind::Fp32) name += QStringLiteral(" (%1)").arg(pm::variantKindName(variant));
        if (file != nameOrPath) name += QStringLiteral(" + taught");
        auto lm = std::make_unique<LoadedModel>(LoadedModel{
            info, nameOrPath, name, {}, static_cast<uint64_t>(std::max<qint64>(0, QFileInfo(qs(ref.modelPath)).size())),
            std::move(model), conv.input, conv.labelOffset, std::move(labels), outputKind});
        lm->details = QStringLiteral("%1 MFLOP, %2 px input%3")
                          .arg(static_cast<double>(lm->model.flops()) / 1e6, 0, 'f', 0)
                          .arg(side)
                          .arg(note.isEmpty() ? QString() : QStringLiteral("; ") + note);

        // Compile for the active backend before committing, so a model the backend cannot run
        // leaves the old one in place.
        std::unique_ptr<percept::Session> session;
        Backend target = active_;
        QString fallback;
        if (!tuningError_.isEmpty()) emit error(std::exchange(tuningError_, QString()) + QStringLiteral(" (using the defaults)"));
        try {
            if (target == Backend::Vulkan) {
                // Asked before compiling: an op the backend lacks is named at once.
                const auto gaps = lm->model.unsupportedOps(Backend::Vulkan);
                if (!gaps.empty())
                    throw percept::Error(gaps.front() + (gaps.size() > 1 ? " (and " + std::to_string(gaps.size() - 1) + " more nodes)" : ""));
            }
            if (target == Backend::Cpu && cpuSession) {
                session = std::move(cpuSession);  // the calibration's session, already warm
            } else {
                session = percept::Session::create(lm->model, sessionOptions(target));
                session->run(percept::Tensor({1, 3, side, side}));  // warm-up
            }
        } catch (const std::exception& e) {
            if (target == Backend::Cpu) throw;
            session.reset();
            fallback = QStringLiteral("GPU (Vulkan) cannot run %1: %2; using the CPU").arg(lm->name, qs(e.what()));
            target = Backend::Cpu;
            session = percept::Session::create(lm->model, sessionOptions(target));
            session->run(percept::Tensor({1, 3, side, side}));  // warm-up
        }

        keepWarmFor(nameOrPath);
        model_ = std::move(lm);
        for (auto& m : metrics_) m.clear();
        // ---- a new model is measured afresh
        gpuError_.clear();
        resetSceneSkip(true);
        if (auto_.enabled()) restartAuto(QStringLiteral("model changed"));
        sessions_[index(target)] = std::move(session);
        reportedNoModel_ = false;
        model_->info.name = model_->name;
        model_->info.details = model_->details;
        model_->info.warm = false;
        emit modelReady(model_->info);
        if (!fallback.isEmpty()) emit backendFailed(static_cast<int>(Backend::Vulkan), fallback);
        activate(target);
        releaseFreedMemory();  // the previous model and its sessions
        if (parked_) {
            // The picture that arrived before any model could run: run it now (unless a newer
            // one is already waiting).
            auto r = mailbox_->restore(std::move(*parked_));
            if (r.wake) QMetaObject::invokeMethod(this, &InferenceWorker::processPending, Qt::QueuedConnection);
        }
        parked_.reset();
    } catch (const std::exception& e) {
        const QString name = QFileInfo(nameOrPath).fileName();
        emit modelFailed(nameOrPath, QStringLiteral("Could not load model %1: %2%3")
                                         .arg(name, Pipeline::shortenPaths(qs(e.what()), file),
                                              file == nameOrPath ? QString() : QStringLiteral(" (its taught version; Teach \u25b8 Reset goes back to the model itself)")));
    }
}

void InferenceWorker::setModelSettings(const QString& nameOrPath, const ModelSettings& settings) {
    userSettings_[nameOrPath] = settings;
    setModel(nameOrPath);
}

percept::Session& InferenceWorker::ensureSession(Backend b) {
    auto& s = sessions_[index(b)];
    if (!s) {
        s = percept::Session::create(model_->model, sessionOptions(b));
        const int side = model_->input.size;
        s->run(percept::Tensor({1, 3, side, side}));  // warm-up: the first frame is not slow
    }
    return *s;
}

void InferenceWorker::activate(Backend b) {
    active_ = b;
    readySince_ = Clock::now();
    const auto& s = sessions_[index(b)];
    const std::string device = s ? s->deviceName() : std::string(percept::backendName(b));
    energies_[index(b)].configure(b == Backend::Cpu ? EnergyDomain::Cpu : EnergyDomain::Gpu, device);
    meteredDevice_[index(b)] = device;
    resetSceneSkip(false);  // results from another backend are not reused
    metrics_[index(b)].rate.clear();
    emit backendReady(static_cast<int>(b), qs(device));
}

void InferenceWorker::setBackend(int backend) {
    const Backend want = static_cast<Backend>(backend);
    auto_.setEnabled(false);  // the user chose
    std::string why;
    if (!percept::backendAvailable(want, &why)) {
        emit backendFailed(backend, QStringLiteral("%1 unavailable: %2").arg(backendLabel(want), qs(why)));
        return;
    }
    if (!model_) {
        active_ = want;
        emit backendReady(backend, backendLabel(want));
        return;
    }
    try {
        ensureSession(want);
        if (want == Backend::Vulkan) gpuError_.clear();  // the GPU runs again
        activate(want);
    } catch (const std::exception& e) {
        sessions_[index(want)].reset();
        emit backendFailed(backend, QStringLiteral("Could not start %1: %2; staying on %3")
                                        .arg(backendLabel(want), qs(e.what()), backendLabel(active_)));
    }
}

void InferenceWorker::setThreads(int threads) {
    if (threads == threads_) return;
    threads_ = threads;
    sessions_[index(Backend::Cpu)].reset();
    warm_.clear();  // their CPU sessions have the old thread count
    releaseFreedMemory();
    metrics_[index(Backend::Cpu)].clear();
    if (model_ && active_ == Backend::Cpu) {
        try {
            ensureSession(Backend::Cpu);
            activate(Backend::Cpu);
        } catch (const std::exception& e) {
            emit error(QStringLiteral("Could not start the CPU session: %1").arg(qs(e.what())));
        }
    }
}

void InferenceWorker::processPending() {
    std::optional<Frame> frame = mailbox_->take();
    if (!frame) return;
    if (!model_) {
        if (!reportedNoModel_) emit error(QStringLiteral("No model loaded: pick one in the model list or drop an .onnx file"));
        reportedNoModel_ = true;
        if (parked_) mailbox_->dropTaken();  // the older parked frame gives way to this one
        parked_ = std::move(frame);
        return;
    }
    try {
        runFrame(*frame);
    } catch (const std::exception& e) {
        emit error(QStringLiteral("Inference failed: %1").arg(qs(e.what())));
    }
}

void InferenceWorker::gpuFailed(const std::exception& e) {
    // The GPU failed mid-stream (device lost, out of memory...): its session is of no use any
    // more (after a device loss no session on that device can run), so drop it and carry on
    // with the CPU. The GPU button stays usable: asking for the GPU again opens the device
    // afresh.
    const bool lost = dynamic_cast<const percept::DeviceLostError*>(&e) != nullptr;
    gpuError_ = lost ? QStringLiteral("GPU lost") : QStringLiteral("GPU (Vulkan) failed");  // compare and Auto leave it out
    sessions_[index(Backend::Vulkan)].reset();
    for (auto& [key, w] : warm_) w.sessions[index(Backend::Vulkan)].reset();  // the same device
    metrics_[index(Backend::Vulkan)].clear();
    releaseFreedMemory();
    const QString message = lost ? QStringLiteral("GPU lost \u2014 continuing on the CPU: %1").arg(qs(e.what()))
                                 : QStringLiteral("GPU (Vulkan) failed \u2014 continuing on the CPU: %1").arg(qs(e.what()));
    emit backendLost(static_cast<int>(Backend::Vulkan), message, lost);
    ensureSession(Backend::Cpu);
    activate(Backend::Cpu);
}

void InferenceWorker::runFrame(const Frame& frame) {
    const auto t0 = Clock::now();
    QImage storage;
    const cv::Mat view = matView(frame.image, storage);
    cv::Mat thumb;
    if (reuseUnchangedScene(frame, view, thumb)) return;  // the scene has not changed
    percept::Tensor input = pm::preprocess(view, model_->input);
    const double preprocessMs = msBetween(t0, Clock::now());
    if (compare_ || auto_.probing()) {  // the frame on both backends
        runOnBoth(frame, input, preprocessMs);
        return;
    }
    for (;;) {
        std::optional<InferenceResult> r = runOn(active_, frame, input, preprocessMs, nullptr);
        if (!r) continue;  // the GPU failed: the same frame, now on the CPU, so no result is lost
        // ---- what Auto chose, and the scene this result is for
        r->autoNote = auto_.note();
        r->skip = skip_;
        if (!thumb.empty()) scene_.setReference(thumb);
        lastComputed_ = *r;
        emit resultReady(*r);
        return;
    }
}

std::optional<InferenceResult> InferenceWorker::runOn(Backend b, const Frame& frame, const percept::Tensor& input, double preprocessMs,
                                                      std::vector<float>* probs) {
    const bool creating = !sessions_[index(b)];
    percept::Session& session = ensureSession(b);
    if (creating) readySince_ = Clock::now();

    EnergyMonitor& energy = meter(b, session);
    energy.begin();
    const double cpu0 = processCpuSeconds();
    percept::Tensor logits;
    const auto tRun = Clock::now();
    try {
        logits = session.run(input);
        if (testDelayMs_[index(b)] > 0) std::this_thread::sleep_for(std::chrono::milliseconds(testDelayMs_[index(b)]));
    } catch (const std::exception& e) {
        if (b == Backend::Cpu) throw;
        gpuFailed(e);
        return std::nullopt;
    }
    const auto t2 = Clock::now();
    const double cpuMs = (processCpuSeconds() - cpu0) * 1e3;
    const percept::Stats& st = session.stats();
    energy.end(st.totalFlops, st.weightBytes + 2 * st.peakArenaBytes);

    const auto preds = pm::classify(logits.data, model_->outputKind, model_->labels, model_->labelOffset, 5);
    if (probs) *probs = pm::probabilities(logits.data, model_->outputKind);
    const auto t3 = Clock::now();

    InferenceResult r;
    r.frameSeq = frame.seq;
    r.frameArrival = frame.arrival;
    r.waitedForSetup = frame.arrival < readySince_;
    r.finished = t3;
    for (const auto& p : preds) r.top.push_back({qs(p.label), p.prob, p.index});
    r.preprocessMs = preprocessMs;
    r.inferenceMs = msBetween(tRun, t2);
    r.postprocessMs = msBetween(t2, t3);
    r.cpuMs = cpuMs;
    auto& m = metrics_[index(b)];
    m.pre.add(r.preprocessMs);
    m.infer.add(r.inferenceMs);
    m.post.add(r.postprocessMs);
    m.total.add(r.preprocessMs + r.inferenceMs + r.postprocessMs);
    m.cpu.add(cpuMs);
    m.rate.tick(t3);
    r.medianPreprocessMs = m.pre.median();
    r.medianInferenceMs = m.infer.median();
    r.medianPostprocessMs = m.post.median();
    r.medianTotalMs = m.total.median();
    r.medianCpuMs = m.cpu.median();
    r.medianSamples = static_cast<int>(m.total.count());
    r.inferencesPerSecond = m.rate.perSecond(t3);
    r.backend = b;
    r.backendLabel = backendLabel(b);
    r.device = qs(session.deviceName());
    r.modelKey = model_->key;
    r.modelName = model_->name;
    r.threads = threads_;
    r.flops = st.totalFlops;
    r.memory.rssBytes = residentSetBytes().value_or(0);
    r.memory.weightBytes = st.weightBytes;
    r.memory.weightFileBytes = model_->fileBytes;
    r.memory.arenaBytes = st.peakArenaBytes;
    r.memory.workspaceBytes = st.workspaceBytes;
    r.memory.deviceBytes = st.deviceMemoryBytes;
    const EnergyFigure ef = energy.figure();
    r.energy = {ef.valid, ef.joulesPerInference, ef.measured, qs(ef.source), qs(ef.note), ef.coreValid, ef.coreJoulesPerInference};
    return r;
}

}  // namespace percept::app
