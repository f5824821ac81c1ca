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
    // Takes the newest frame from the mailbox (if any) and runs it.
    void processPending();

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

private:
    struct LoadedModel;
    struct BackendMetrics {
        RollingMedian pre, infer, post, total;
        RateMeter rate;
        void clear() { pre.clear(); infer.clear(); post.clear(); total.clear(); rate.clear(); }
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

    std::shared_ptr<LatestFrameMailbox> mailbox_;
    std::unique_ptr<LoadedModel> model_;
    std::array<std::unique_ptr<percept::Session>, 2> sessions_;
    std::array<BackendMetrics, 2> metrics_;
    percept::Backend active_ = percept::Backend::Cpu;
    int threads_ = 0;
    percept::Tuning tuning_;
    QString tuningError_;
    EnergyMonitor energy_;
    bool reportedNoModel_ = false;
    Clock::time_point readySince_{};  // when the current model + session became ready
    std::optional<Frame> parked_;
    std::map<QString, ModelSettings> userSettings_;  // a frame that arrived while no model was loaded
};

}  // namespace percept::app
