// SPDX-License-Identifier: Apache-2.0
#pragma once
// The frame pipeline, owned by the UI thread:
//   FrameSource (UI thread) --frame--> LatestFrameMailbox --> InferenceWorker (own QThread)
//   --InferenceResult (queued)--> Pipeline --> the window's overlay
// It numbers frames on arrival, keeps the most recent still picture so a backend/model change
// re-runs it, rejects results older than the one shown (there should be none: one worker, one
// mailbox), and measures the end-to-end latency (frame arrival -> overlay drawn, reported back
// by the view through presented()).
#include <QCameraDevice>
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <functional>
#include <memory>
#include <optional>

#include "metrics/rate_meter.h"
#include "metrics/rolling_median.h"
#include "percept/backend.h"
#include "pipeline/inference_result.h"
#include "pipeline/latest_frame_mailbox.h"
#include "pipeline/model_info.h"
#include "pipeline/auto_backend.h"  // PowerState
#include "pipeline/scene_change.h"

namespace percept::app {

class FrameSource;
class InferenceWorker;
class PowerMonitor;
class ModelDownloader;

struct PipelineStats {
    uint64_t framesArrived = 0;
    uint64_t framesDropped = 0;    // replaced in the mailbox before the worker took them
    uint64_t framesTaken = 0;      // taken by the worker: each yields a result (or an error message)
    uint64_t resultsReceived = 0;
    uint64_t resultsShown = 0;
    uint64_t staleResults = 0;     // results for a frame older than the one already shown
    uint64_t lastShownSeq = 0;
    double sourceFps = 0;          // frames arriving per second (2 s window)
    double endToEndMedianMs = 0;   // frame arrival -> overlay drawn, rolling median
    int endToEndSamples = 0;
};

class Pipeline : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString model;  // manifest name or .onnx path; empty = the default manifest
        percept::Backend backend = percept::Backend::Cpu;
        int threads = 0;
        // ---- compare mode, Auto backend, scene skip ----
        bool compare = false;        // both backends on every frame
        bool autoBackend = false;    // the Auto backend instead of `backend`
        double skipThreshold = -1;   // scene skip threshold (grey levels, 0 = off); < 0: the default
    };
    explicit Pipeline(QObject* parent = nullptr);
    ~Pipeline() override;

    // Starts the worker thread and loads the model (asynchronously: modelChanged / status).
    void start(const Options& options);

    // Sources. Each returns false (and emits statusMessage) when the source cannot be opened;
    // the current source then keeps running.
    bool openPath(const QString& path);  // photo, folder (slideshow), video, or .onnx model
    bool openImageFile(const QString& path);
    bool openImage(const QImage& image, const QString& description);
    bool openFolder(const QString& dir);
    // Several photos at once (a multi-file drop): a slideshow of them.
    bool openImageFiles(const QStringList& paths);
    bool openVideo(const QString& path);
    bool openCamera(const QCameraDevice& device);
    bool openDefaultCamera();  // the empty state when there is none
    bool pasteFromClipboard();
    void stopSource();
    // Sends the last still picture through the engine again (screenshot mode, setting changes).
    void rerunStill();

    // Engine controls (applied by the worker between two frames). A manifest model this
    // machine does not have, with a public original, is downloaded first (modelDownload*).
    void setModel(const QString& nameOrPath);
    void cancelModelDownload();
    void setModelSettings(const QString& nameOrPath, const ModelSettings& settings);
    void setBackend(percept::Backend b);
    void setThreads(int threads);
    // Teach (app/teach): `taughtPath` (an .onnx file: the base's classes and the taught
    // objects) runs whenever `baseKey` is the model; empty: the base model itself again.
    void setTaughtModel(const QString& baseKey, const QString& taughtPath);

    percept::Backend activeBackend() const { return activeBackend_; }
    QString activeDevice() const { return activeDevice_; }
    QString activeModelKey() const { return activeModel_.key; }
    const ModelInfo& activeModel() const { return activeModel_; }
    bool sourceIsStill() const;
    QString sourceDescription() const;
    // The figures now (the mailbox's counts read at this moment). Once the source has stopped
    // and the worker is idle: framesArrived == framesDropped + framesTaken, and framesTaken ==
    // resultsReceived unless an inference failed (reported through statusMessage).
    PipelineStats stats() const;
    const std::optional<InferenceResult>& lastResult() const { return lastResult_; }
    static bool isModelFile(const QString& path);
    static bool isVideoFile(const QString& path);
    // `message` with `path` written as its file name ("x.png: " prefixes dropped).
    static QString shortenPaths(QString message, const QString& path);

    // ---- compare mode, Auto backend, scene skip ----
    void setCompare(bool on);
    bool compareMode() const { return compare_; }
    // Auto backend on (setBackend turns it off again).
    void setAutoBackend(bool on);
    bool autoBackend() const { return auto_; }
    // Skip unchanged scenes under this thumbnail change (grey levels); 0 = off.
    void setSkipThreshold(double greyLevels);
    double skipThreshold() const { return skipThreshold_; }
    // What the PowerMonitor (UPower) reports; Auto decides again when it changes.
    void setPowerState(percept::app::PowerState s);
    percept::app::PowerState powerState() const { return power_; }
    PowerMonitor* powerMonitor() const { return powerMonitor_; }
    // Test hook: every run on `b` takes `ms` longer (InferenceWorker::setTestDelay).
    void setTestDelay(percept::Backend b, int ms);

public slots:
    // The view drew the overlay for frame `seq` (end-to-end latency sample).
    void presented(quint64 seq);

signals:
    void frameArrived(const QImage& image);
    // A fresh result, to be shown; stats include it.
    void resultReady(const percept::app::InferenceResult& result, const percept::app::PipelineStats& stats);
    void statusMessage(const QString& message, bool isError);
    void sourceChanged(const QString& description);
    // No picture to show (no camera, the source failed): the view's empty state with this text.
    void emptyState(const QString& message);
    // The end-to-end figure changed (after the overlay drew a result).
    void statsUpdated(const percept::app::PipelineStats& stats);
    void backendChanged(int backend, const QString& device);
    // The CPU thread count asked of the worker (0 = all).
    void threadsRequested(int threads);
    void backendFailed(int backend, const QString& message);
    // The GPU failed mid-stream (`lost`: the device was lost); the pipeline carries on with the
    // CPU (backendChanged follows). Asking for the GPU again opens it afresh.
    void backendLost(int backend, const QString& message, bool lost);
    void modelChanged(const QString& key, const QString& displayName);
    void modelFailed(const QString& key, const QString& message);
    // ---- compare mode, Auto backend, scene skip ----
    void compareChanged(bool on);
    void autoBackendChanged(bool on);
    void autoDecided(int backend, const QString& reason);
    // The download of a model (ModelDownloader): started per URL tried, progress, and the end
    // (ok: the model then loads as usual; otherwise modelFailed follows with the same message).
    void modelDownloadStarted(const QString& key, const QString& displayName, const QString& url, qint64 bytes);
    void modelDownloadProgress(const QString& key, qint64 received, qint64 total);
    void modelDownloadFinished(const QString& key, bool ok, const QString& message);

private:
    // Applies `change` on the worker's thread; with `rerun`, then sends the last still picture
    // through it again (setting changes that a photo's overlay must show).
    void changeWorker(std::function<void(InferenceWorker*)> change, bool rerun);
    void setSource(FrameSource* source);
    void onFrame(const QImage& image);
    void onResult(const InferenceResult& r);
    void submit(const QImage& image, bool still);

    std::shared_ptr<LatestFrameMailbox> mailbox_;
    QThread thread_;
    InferenceWorker* worker_ = nullptr;  // lives on thread_, deleted when it finishes
    ModelDownloader* downloader_ = nullptr;  // UI thread
    QPointer<FrameSource> source_;
    QImage lastStill_;
    uint64_t nextSeq_ = 1;
    PipelineStats stats_;
    RateMeter sourceRate_;
    RollingMedian endToEnd_{31};
    uint64_t lastPresentedSeq_ = 0;
    std::optional<InferenceResult> lastResult_;
    percept::Backend activeBackend_ = percept::Backend::Cpu;
    QString activeDevice_;
    ModelInfo activeModel_;
    QString pendingModelKey_;
    // ---- compare mode, Auto backend, scene skip ----
    bool compare_ = false;
    bool auto_ = false;
    double skipThreshold_ = 0;  // off until asked for
    percept::app::PowerState power_ = percept::app::PowerState::Unknown;
    PowerMonitor* powerMonitor_ = nullptr;
};

}  // namespace percept::app

Q_DECLARE_METATYPE(percept::app::PipelineStats)
