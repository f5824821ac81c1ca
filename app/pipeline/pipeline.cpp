// SPDX-License-Identifier: Apache-2.0
#include "pipeline/pipeline.h"

#include <QClipboard>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMediaDevices>
#include <QMimeData>

#include "percept/models/manifest.h"
#include "metrics/power_monitor.h"
#include "percept/models/model_store.h"
#include "pipeline/inference_worker.h"
#include "pipeline/model_downloader.h"
#include "sources/camera_source.h"
#include "sources/folder_source.h"
#include "sources/image_source.h"
#include "sources/video_file_source.h"

namespace percept::app {

namespace {
const char* kDropInvite = "Drop a photo, a folder of photos or a video here, or use File \u25b8 Open.";
const char* kNoCamera =
    "No camera found.\nDrop a photo, a folder of photos or a video here,\nor use File \u25b8 Open, or paste a picture (Ctrl+V).";
}

Pipeline::Pipeline(QObject* parent) : QObject(parent), mailbox_(std::make_shared<LatestFrameMailbox>()) {
    qRegisterMetaType<InferenceResult>();
    qRegisterMetaType<PipelineStats>();
    qRegisterMetaType<ModelInfo>();
    qRegisterMetaType<ModelSettings>();
    worker_ = new InferenceWorker(mailbox_);
    worker_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("percept-inference"));

    connect(worker_, &InferenceWorker::resultReady, this, &Pipeline::onResult);
    connect(worker_, &InferenceWorker::modelReady, this, [this](const ModelInfo& info) {
        const bool reload = info.key == activeModel_.key;  // same model, new settings
        activeModel_ = info;
        endToEnd_.clear();
        emit statusMessage(QStringLiteral("Model %1 ready (%2)").arg(info.name, info.details), false);
        emit modelChanged(info.key, info.name);
        if (lastResult_ && (reload || lastResult_->modelKey != info.key)) rerunStill();
    });
    connect(worker_, &InferenceWorker::modelFailed, this, [this](const QString& key, const QString& message) {
        emit modelFailed(key, message);
        emit statusMessage(message, true);
    });
    connect(worker_, &InferenceWorker::backendReady, this, [this](int backend, const QString& device) {
        activeBackend_ = static_cast<percept::Backend>(backend);
        activeDevice_ = device;
        endToEnd_.clear();  // the figure is per backend
        emit backendChanged(backend, device);
        if (lastResult_ && (lastResult_->backend != activeBackend_ || lastResult_->device != device)) rerunStill();
    });
    connect(worker_, &InferenceWorker::backendFailed, this, [this](int backend, const QString& message) {
        emit backendFailed(backend, message);
        emit statusMessage(message, true);
    });
    connect(worker_, &InferenceWorker::backendLost, this, [this](int backend, const QString& message, bool lost) {
        emit backendLost(backend, message, lost);
        emit statusMessage(message, true);
    });
    connect(worker_, &InferenceWorker::error, this, [this](const QString& message) { emit statusMessage(message, true); });
    connect(worker_, &InferenceWorker::autoDecided, this, &Pipeline::autoDecided);

    downloader_ = new ModelDownloader(this);
    connect(downloader_, &ModelDownloader::started, this, &Pipeline::modelDownloadStarted);
    connect(downloader_, &ModelDownloader::progress, this, [this](const QString& key, qint64 received, qint64 total) {
        emit modelDownloadProgress(key, received, total);
        emit statusMessage(QStringLiteral("Downloading model %1\u2026 %2 of %3 MB")
                               .arg(key)
                               .arg(static_cast<double>(received) / 1e6, 0, 'f', 1)
                               .arg(static_cast<double>(total) / 1e6, 0, 'f', 1),
                           false);
    });
    connect(downloader_, &ModelDownloader::finished, this, [this](const QString& key, const QString& path) {
        emit modelDownloadFinished(key, true, QStringLiteral("Downloaded to %1").arg(path));
        if (pendingModelKey_ == key) setModel(key);  // found now
    });
    connect(downloader_, &ModelDownloader::failed, this, [this](const QString& key, const QString& message) {
        emit modelDownloadFinished(key, false, message);
        emit modelFailed(key, message);
        emit statusMessage(message, true);
    });
}

Pipeline::~Pipeline() {
    stopSource();
    thread_.quit();
    thread_.wait();
    delete worker_;
}

void Pipeline::start(const Options& options) {
    thread_.start();
    setThreads(options.threads);
    setModel(options.model.isEmpty() ? QString::fromStdString(percept::models::defaultManifest().name) : options.model);
    if (options.backend != percept::Backend::Cpu) setBackend(options.backend);
    // ---- compare mode, Auto backend, scene skip ----
    if (options.skipThreshold >= 0) setSkipThreshold(options.skipThreshold);
    if (options.autoBackend) setAutoBackend(true);
    if (options.compare) setCompare(true);
    powerMonitor_ = new PowerMonitor(this);
    connect(powerMonitor_, &PowerMonitor::stateChanged, this, [this](int s) { setPowerState(static_cast<PowerState>(s)); });
    setPowerState(powerMonitor_->state());
}

// ---- compare mode, Auto backend, scene skip ----------------------------------------

void Pipeline::setCompare(bool on) {
    if (on == compare_) return;
    compare_ = on;
    changeWorker([on](InferenceWorker* w) { w->setCompare(on); }, true);
    emit compareChanged(on);
    emit statusMessage(on ? QStringLiteral("Comparing CPU and GPU on every frame") : QStringLiteral("Compare mode off"), false);
}

void Pipeline::setAutoBackend(bool on) {
    if (on == auto_) return;
    auto_ = on;
    changeWorker([on](InferenceWorker* w) { w->setAutoBackend(on); }, true);
    emit autoBackendChanged(on);
}

void Pipeline::setSkipThreshold(double greyLevels) {
    skipThreshold_ = std::max(0.0, greyLevels);
    QMetaObject::invokeMethod(worker_, [w = worker_, t = skipThreshold_] { w->setSkipThreshold(t); }, Qt::QueuedConnection);
}

void Pipeline::setPowerState(PowerState s) {
    if (s == power_) return;
    power_ = s;
    const int v = static_cast<int>(s);
    changeWorker([v](InferenceWorker* w) { w->setPowerState(v); }, auto_);
}

void Pipeline::setTestDelay(percept::Backend b, int ms) {
    QMetaObject::invokeMethod(worker_, [w = worker_, v = static_cast<int>(b), ms] { w->setTestDelay(v, ms); }, Qt::QueuedConnection);
}

QString Pipeline::shortenPaths(QString message, const QString& path) {
    // Engine messages name the file by its full path; the window names it by its file name.
    const QString name = QFileInfo(path).fileName();
    const QString abs = QFileInfo(path).absoluteFilePath();
    message.replace(abs + QStringLiteral(": "), QString());
    message.replace(path + QStringLiteral(": "), QString());
    message.replace(abs, name);
    message.replace(path, name);
    return message;
}

// ---- engine controls -------------------------------------------------------------------------

void Pipeline::setModel(const QString& nameOrPath) {
    pendingModelKey_ = nameOrPath;
    if (const auto* m = percept::models::findManifest(nameOrPath.toStdString());
        m && m->download && percept::models::findModelFile(*m).empty()) {
        emit statusMessage(QStringLiteral("Model %1 is not on this machine yet: downloading it\u2026").arg(nameOrPath), false);
        downloader_->start(*m);
        return;
    }
    emit statusMessage(QStringLiteral("Loading model %1\u2026").arg(nameOrPath), false);
    QMetaObject::invokeMethod(worker_, [w = worker_, nameOrPath] { w->setModel(nameOrPath); }, Qt::QueuedConnection);
}

void Pipeline::cancelModelDownload() { downloader_->cancel(); }

void Pipeline::setModelSettings(const QString& nameOrPath, const ModelSettings& settings) {
    emit statusMessage(QStringLiteral("Reloading %1 with new preprocessing\u2026").arg(QFileInfo(nameOrPath).fileName()), false);
    QMetaObject::invokeMethod(worker_, [w = worker_, nameOrPath, settings] { w->setModelSettings(nameOrPath, settings); }, Qt::QueuedConnection);
}

void Pipeline::setBackend(percept::Backend b) {
    const int v = static_cast<int>(b);
    const bool endsAuto = auto_;
    if (endsAuto) {  // choosing a backend ends Auto (the worker's setBackend does too)
        auto_ = false;
        emit autoBackendChanged(false);
    }
    // Ending Auto, a photo's overlay no longer says what Auto chose: shown again.
    changeWorker([v](InferenceWorker* w) { w->setBackend(v); }, endsAuto);
}

void Pipeline::setThreads(int threads) {
    emit threadsRequested(threads);
    QMetaObject::invokeMethod(worker_, [w = worker_, threads] { w->setThreads(threads); }, Qt::QueuedConnection);
}

void Pipeline::setTaughtModel(const QString& baseKey, const QString& taughtPath) {
    QMetaObject::invokeMethod(worker_, [w = worker_, baseKey, taughtPath] { w->setTaughtModel(baseKey, taughtPath); }, Qt::QueuedConnection);
    if (activeModel_.key == baseKey) setModel(baseKey);  // reloaded as taught (or as it was)
}

// ---- sources ---------------------------------------------------------------------------------

bool Pipeline::isModelFile(const QString& path) {
    return path.endsWith(QStringLiteral(".onnx"), Qt::CaseInsensitive) || path.endsWith(QStringLiteral(".pcz"), Qt::CaseInsensitive);  // .pcz: percept-compress
}

bool Pipeline::isVideoFile(const QString& path) {
    static const QStringList exts = {"mp4", "m4v", "mkv", "webm", "avi", "mov", "ogv", "mpg", "mpeg", "wmv", "ts", "mjpeg"};
    return exts.contains(QFileInfo(path).suffix().toLower());
}

bool Pipeline::openPath(const QString& path) {
    const QFileInfo fi(path);
    if (!fi.exists()) {
        emit statusMessage(QStringLiteral("%1 does not exist").arg(path), true);
        return false;
    }
    if (fi.isDir()) return openFolder(path);
    if (isModelFile(path)) {
        setModel(fi.absoluteFilePath());
        return true;
    }
    if (isVideoFile(path)) return openVideo(path);
    return openImageFile(path);
}

bool Pipeline::openImageFile(const QString& path) {
    QString err;
    QImage img = loadImageFile(path, &err);
    if (img.isNull()) {
        emit statusMessage(QStringLiteral("Cannot open image %1: %2").arg(QFileInfo(path).fileName(), shortenPaths(err, path)), true);
        return false;
    }
    setSource(new ImageSource(img, QStringLiteral("photo %1").arg(QFileInfo(path).fileName())));
    return true;
}

bool Pipeline::openImage(const QImage& image, const QString& description) {
    if (image.isNull() || image.width() < 1 || image.height() < 1) {
        emit statusMessage(QStringLiteral("The picture is empty"), true);
        return false;
    }
    setSource(new ImageSource(image, description));
    return true;
}

bool Pipeline::openFolder(const QString& dir) {
    const QStringList files = FolderSource::imageFilesIn(dir);
    if (files.isEmpty()) {
        emit statusMessage(QStringLiteral("No pictures (PNG, JPEG, BMP, WebP, TIFF) in %1").arg(dir), true);
        return false;
    }
    setSource(new FolderSource(dir, files));
    return true;
}

bool Pipeline::openImageFiles(const QStringList& paths) {
    if (paths.size() == 1) return openImageFile(paths.front());
    if (paths.isEmpty()) return false;
    setSource(new FolderSource(QFileInfo(paths.front()).absolutePath(), paths));
    return true;
}

bool Pipeline::openVideo(const QString& path) {
    if (!QFileInfo(path).isReadable()) {
        emit statusMessage(QStringLiteral("Cannot read %1").arg(path), true);
        return false;
    }
    setSource(new VideoFileSource(path));
    return true;
}

bool Pipeline::openCamera(const QCameraDevice& device) {
    if (device.isNull()) return openDefaultCamera();
    setSource(new CameraSource(device));
    return true;
}

bool Pipeline::openDefaultCamera() {
    const QCameraDevice dev = QMediaDevices::defaultVideoInput();
    if (dev.isNull()) {
        stopSource();
        emit sourceChanged(QStringLiteral("no camera"));
        emit emptyState(QString::fromUtf8(kNoCamera));
        emit statusMessage(QStringLiteral("No camera found: drop a photo or a video, or use File \u25b8 Open"), false);
        return false;
    }
    return openCamera(dev);
}

bool Pipeline::pasteFromClipboard() {
    const QMimeData* md = QGuiApplication::clipboard()->mimeData();
    if (md && md->hasUrls()) {
        for (const QUrl& u : md->urls())
            if (u.isLocalFile()) return openPath(u.toLocalFile());
    }
    if (md && md->hasImage()) return openImage(qvariant_cast<QImage>(md->imageData()), QStringLiteral("pasted picture"));
    if (md && md->hasText()) {
        const QString t = md->text().trimmed();
        const QString p = t.startsWith(QStringLiteral("file://")) ? QUrl(t).toLocalFile() : t;
        if (!p.isEmpty() && QFileInfo::exists(p)) return openPath(p);
    }
    emit statusMessage(QStringLiteral("The clipboard holds no picture"), true);
    return false;
}

void Pipeline::stopSource() {
    if (source_) {
        source_->stop();
        source_->disconnect(this);
        source_->deleteLater();
    }
    source_ = nullptr;
    lastStill_ = QImage();
}

void Pipeline::setSource(FrameSource* source) {
    stopSource();
    source_ = source;
    source->setParent(this);
    connect(source, &FrameSource::frameReady, this, &Pipeline::onFrame);
    connect(source, &FrameSource::message, this, [this](const QString& text, bool isError) {
        emit statusMessage(text, isError);
        if (!isError && source_) emit sourceChanged(source_->description());
    });
    connect(source, &FrameSource::failed, this, [this, source](const QString& message) {
        emit statusMessage(message, true);
        if (source_ == source) emit emptyState(message + QStringLiteral("\n\n") + QString::fromUtf8(kDropInvite));
    });
    sourceRate_.clear();
    QMetaObject::invokeMethod(worker_, &InferenceWorker::sourceChanged, Qt::QueuedConnection);
    emit sourceChanged(source->description());
    emit statusMessage(QStringLiteral("Showing %1").arg(source->description()), false);
    source->start();
}

PipelineStats Pipeline::stats() const {
    PipelineStats s = stats_;
    s.framesDropped = mailbox_->droppedCount();
    s.framesTaken = mailbox_->takenCount();
    return s;
}

bool Pipeline::sourceIsStill() const { return source_ && source_->isStill(); }
QString Pipeline::sourceDescription() const { return source_ ? source_->description() : QString(); }

// ---- frames and results ----------------------------------------------------------------------

void Pipeline::onFrame(const QImage& image) {
    const bool still = source_ && source_->isStill();
    if (still) lastStill_ = image;
    sourceRate_.tick();
    emit frameArrived(image);
    submit(image, still);
}

void Pipeline::submit(const QImage& image, bool still) {
    Frame f;
    f.image = image;
    f.seq = nextSeq_++;
    f.arrival = Clock::now();
    f.still = still;
    f.sourceFps = still ? 0.0 : sourceRate_.perSecond();  // Auto's keep-up test
    ++stats_.framesArrived;
    const auto r = mailbox_->put(std::move(f));
    if (r.wake) QMetaObject::invokeMethod(worker_, &InferenceWorker::processPending, Qt::QueuedConnection);
}

void Pipeline::rerunStill() {
    if (sourceIsStill() && !lastStill_.isNull()) submit(lastStill_, true);
}

// The rerun is submitted only once the worker has applied the change (the worker posts it back
// here): submitted at once, it could be taken by a frame request the worker already had queued
// and computed without the change. Auto, chosen on a photo right after Compare was turned off,
// then measured nothing and waited for a frame that never came.
void Pipeline::changeWorker(std::function<void(InferenceWorker*)> change, bool rerun) {
    QMetaObject::invokeMethod(
        worker_,
        [this, w = worker_, change = std::move(change), rerun] {
            change(w);
            if (rerun) QMetaObject::invokeMethod(this, &Pipeline::rerunStill, Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void Pipeline::onResult(const InferenceResult& r) {
    ++stats_.resultsReceived;
    if (r.frameSeq <= stats_.lastShownSeq) {
        ++stats_.staleResults;
        return;
    }
    stats_.lastShownSeq = r.frameSeq;
    ++stats_.resultsShown;
    stats_.framesDropped = mailbox_->droppedCount();
    stats_.framesTaken = mailbox_->takenCount();
    stats_.sourceFps = sourceIsStill() ? 0.0 : sourceRate_.perSecond();
    lastResult_ = r;
    emit resultReady(r, stats_);
}

void Pipeline::presented(quint64 seq) {
    if (!lastResult_ || lastResult_->frameSeq != seq || lastPresentedSeq_ == seq) return;
    lastPresentedSeq_ = seq;
    if (lastResult_->waitedForSetup) return;
    endToEnd_.add(std::chrono::duration<double, std::milli>(Clock::now() - lastResult_->frameArrival).count());
    stats_.endToEndMedianMs = endToEnd_.median();
    stats_.endToEndSamples = static_cast<int>(endToEnd_.count());
    emit statsUpdated(stats_);
}

}  // namespace percept::app
