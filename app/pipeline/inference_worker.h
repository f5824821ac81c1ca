// SPDX-License-Identifier: Apache-2.0
#pragma once
// The engine side of the pipeline. Lives on its own QThread; everything reaches it as queued
// calls, so a backend, model or thread-count change applies between two frames. Keeps one warm
// session per backend for the current model (created once, with a warm-up run), so switching
// CPU <-> GPU back and forth costs nothing after the first time.
#include <QObject>
#include <QString>
#include <array>
#include <map>
#include <memory>
#include <optional>

#include "metrics/energy_monitor.h"
#include "metrics/rate_meter.h"
#include "metrics/rolling_median.h"
#include "percept/backend.h"
#include "percept/models/classification.h"
#include "percept/models/manifest.h"
#include "percept/percept.h"
#include "pipeline/inference_result.h"
#include "pipeline/latest_frame_mailbox.h"
#include "pipeline/model_info.h"
// ---- compare mode, Auto backend, scene skip ----
#include "pipeline/auto_backend.h"
#include "pipeline/scene_change.h"

namespace percept::app {

// "CPU" / "GPU (Vulkan)": how the UI names a backend.
QString backendLabel(percept::Backend b);

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    explicit InferenceWorker(std::shared_ptr<LatestFrameMailbox> mailbox, QObject* parent = nullptr);
    ~InferenceWorker() override;

public slots:
    // A manifest name or a path to an .onnx file. On failure the previous model stays.
    void setModel(const QString& nameOrPath);
    // Preprocessing and labels for a model (kept per model key), then reloads it.
    void setModelSettings(const QString& nameOrPath, const percept::app::ModelSettings& settings);
    // percept::Backend as int. An unavailable or failing backend leaves the active one in place.
    void setBackend(int backend);
    // CPU threads (0 = all).
    void setThreads(int threads);
    // Teach: the taught model's file to load whenever `baseKey` is asked for (empty: none).
    void setTaughtModel(const QString& baseKey, const QString& taughtPath);
    // Takes the newest frame from the mailbox (if any) and runs it.
    void processPending();

    // ---- compare mode, Auto backend, scene skip ----
    // Compare mode: every frame runs on the CPU and on the GPU, each on its own warm session;
    // the result is the CPU's with the GPU's beside it (InferenceResult::compared) and how they
    // agree. Without a usable GPU the result says why (compareNote) and only the CPU runs.
    void setCompare(bool on);
    // The Auto backend (auto_backend.h); choosing CPU or GPU with setBackend turns it off.
    void setAutoBackend(bool on);
    // PowerState as int (UPower, through the pipeline): Auto decides again when it changes.
    void setPowerState(int state);
    // A new source: Auto measures again, the scene-skip reference and counts start afresh.
    void sourceChanged();
    // Skip unchanged scenes: the largest thumbnail-cell change (grey levels) under which a
    // stream frame reuses the last result; 0 = off.
    void setSkipThreshold(double greyLevels);
    // Test hook: every run on `backend` takes `ms` longer (a sleep inside the timed run), so a
    // test makes a backend slow for real (tests/gui/tst_compare, Auto). 0 = none.
    void setTestDelay(int backend, int ms);

signals:
    void resultReady(const percept::app::InferenceResult& result);
    void modelReady(const percept::app::ModelInfo& info);
    void modelFailed(const QString& key, const QString& message);
    void backendReady(int backend, const QString& device);
    void backendFailed(int backend, const QString& message);
    // The GPU failed in the middle of the stream (device lost, or another Vulkan error from a
    // run): its session is gone, the worker is on the CPU (backendReady follows) and has run
    // the frame again there. `lost` = the engine reported percept::DeviceLostError.
    void backendLost(int backend, const QString& message, bool lost);
    void error(const QString& message);
    // ---- compare mode, Auto backend, scene skip ----
    // The Auto backend decided (backend as int) after measuring both.
    void autoDecided(int backend, const QString& reason);

private:
    struct LoadedModel;
    struct BackendMetrics {
        RollingMedian pre, infer, post, total, cpu;
        RateMeter rate;
        void clear() { pre.clear(); infer.clear(); post.clear(); total.clear(); cpu.clear(); rate.clear(); }
    };
    // Creates (and warms up) the session for `b` if it does not exist. Throws percept::Error.
    percept::Session& ensureSession(percept::Backend b);
    percept::SessionOptions sessionOptions(percept::Backend b) const;
    void activate(percept::Backend b);
    // Runs one frame on the active backend and emits its result. A GPU failure moves the
    // worker to the CPU and runs the same frame there, so the frame still yields a result.
    void runFrame(const Frame& frame);
    void gpuFailed(const std::exception& e);
    static size_t index(percept::Backend b) { return b == percept::Backend::Cpu ? 0 : 1; }
    // ---- compare mode, Auto backend, scene skip ----
    // Runs the preprocessed frame on `b` and builds its result; nullopt when the GPU failed
    // (gpuFailed() has moved the worker to the CPU). `probs` receives every class's probability.
    std::optional<InferenceResult> runOn(percept::Backend b, const Frame& frame, const percept::Tensor& input, double preprocessMs,
                                         std::vector<float>* probs);
    // Compare mode and the Auto backend's probe: the frame on both backends.
    void runOnBoth(const Frame& frame, const percept::Tensor& input, double preprocessMs);
    // Empty when the GPU can run the current model; otherwise why not.
    QString gpuUnusableWhy() const;
    void finishAutoProbe(double sourceFps);
    void restartAuto(const QString& why);
    // An unchanged scene: emits the last result again for `frame` and returns true. `thumb`
    // receives the frame's thumbnail when it was made (the reference once the model has run).
    bool reuseUnchangedScene(const Frame& frame, const cv::Mat& view, cv::Mat& thumb);
    void resetSceneSkip(bool counts);
    EnergyMonitor& meter(percept::Backend b, const percept::Session& s);

    std::shared_ptr<LatestFrameMailbox> mailbox_;
    std::unique_ptr<LoadedModel> model_;
    std::array<std::unique_ptr<percept::Session>, 2> sessions_;
    // Model variants (fp32 / int8 / compressed files of one model, percept/models/variants.h):
    // the ones switched away from stay loaded with their sessions, by key, so switching back
    // is as instant as switching backend. Another model (or a thread count) drops them.
    struct WarmVariant {
        std::unique_ptr<LoadedModel> model;
        std::array<std::unique_ptr<percept::Session>, 2> sessions;
    };
    std::map<QString, WarmVariant> warm_;
    // Moves the current model aside if `key` is another variant of it, else drops the warm ones.
    void keepWarmFor(const QString& key);
    std::array<BackendMetrics, 2> metrics_;
    percept::Backend active_ = percept::Backend::Cpu;
    int threads_ = 0;
    percept::Tuning tuning_;
    QString tuningError_;
    std::array<EnergyMonitor, 2> energies_;  // one per backend (compare mode meters both)
    bool reportedNoModel_ = false;
    Clock::time_point readySince_{};  // when the current model + session became ready
    std::optional<Frame> parked_;
    std::map<QString, ModelSettings> userSettings_;  // a frame that arrived while no model was loaded
    // ---- compare mode, Auto backend, scene skip ----
    bool compare_ = false;
    QString gpuError_;  // the GPU failed to run the current model (compare/Auto leave it out until the model changes)
    AutoBackend auto_;
    PowerState power_ = PowerState::Unknown;
    SceneChange scene_;
    SkipFigures skip_;
    std::optional<InferenceResult> lastComputed_;  // the last result the model computed (scene skip reuses it)
    std::array<int, 2> testDelayMs_{};
    std::array<std::string, 2> meteredDevice_;
    std::map<QString, QString> taught_;              // base model key -> its taught model's file
};

}  // namespace percept::app
