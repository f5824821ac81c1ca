// SPDX-License-Identifier: Apache-2.0
#include "teach/teach_controller.h"

#include <QFile>
#include <QFileInfo>

#include "pipeline/pipeline.h"

namespace percept::app {

TeachController::TeachController(Pipeline* pipeline, const QString& storeRoot, QObject* parent)
    : QObject(parent), pipeline_(pipeline), store_(storeRoot) {
    qRegisterMetaType<TeachRequest>();
    qRegisterMetaType<TeachOutcome>();
    qRegisterMetaType<percept::train::EpochReport>();
    job_ = new TeachJob;
    job_->moveToThread(&thread_);
    thread_.setObjectName(QStringLiteral("percept-teach"));
    thread_.start(QThread::LowPriority);  // the video and the overlay's inference come first
    connect(job_, &TeachJob::stage, this, &TeachController::stage);
    connect(job_, &TeachJob::epoch, this, &TeachController::epoch);
    connect(job_, &TeachJob::finished, this, &TeachController::onTrained);
    connect(job_, &TeachJob::failed, this, [this](const QString& message) {
        training_ = false;
        emit status(message, true);
        emit trainingFinished({});
    });
    connect(job_, &TeachJob::imported, this, [this](const QString& object, int pictures, const QString& problems) {
        emit objectsChanged();
        if (!problems.isEmpty()) emit status(tr("Some pictures of %1 could not be read: %2").arg(object, problems), true);
        else emit status(tr("Added %n picture(s) of %1", nullptr, pictures).arg(object), false);
    });
    connect(pipeline_, &Pipeline::frameArrived, this, &TeachController::onFrame);
    connect(pipeline_, &Pipeline::modelChanged, this, &TeachController::objectsChanged);
    for (const QString& key : store_.taughtModels()) pipeline_->setTaughtModel(key, store_.personalModel(key));
}

TeachController::~TeachController() {
    job_->cancel();
    thread_.quit();
    thread_.wait();
    delete job_;
}

QString TeachController::modelKey() const { return pipeline_->activeModelKey(); }
QVector<TeachStore::Object> TeachController::objects() const { return store_.objects(modelKey()); }
QJsonObject TeachController::figures() const { return store_.figures(modelKey()); }

void TeachController::startCapture(const QString& name) {
    const QString n = name.trimmed();
    if (n.isEmpty()) return emit status(tr("Name the object first"), true);
    if (modelKey().isEmpty()) return emit status(tr("No model is loaded"), true);
    captureName_ = n;
    captured_ = 0;
    lastCapture_.invalidate();
    emit captureProgress(0, kCaptureFrames);
    emit status(tr("Capturing %1: show it from several sides, or play a video or a folder of it").arg(n), false);
    // A photo is on screen: it is the first picture (a slideshow's next ones follow).
    if (pipeline_->sourceIsStill() && pipeline_->lastResult()) pipeline_->rerunStill();
}

void TeachController::stopCapture() {
    if (captureName_.isEmpty()) return;
    const QString n = std::exchange(captureName_, QString());
    emit captureProgress(captured_, kCaptureFrames);
    emit objectsChanged();
    emit status(tr("%n picture(s) of %1 captured", nullptr, captured_).arg(n), false);
}

void TeachController::onFrame(const QImage& image) {
    if (captureName_.isEmpty()) return;
    // Paced, so the pictures show the object moving rather than one instant of it.
    if (lastCapture_.isValid() && lastCapture_.elapsed() < kCaptureIntervalMs && !pipeline_->sourceIsStill()) return;
    // Kept at most 360 px on the shorter side: the models see 224 px or less after their
    // resize, and a camera's full frames would fill the disk (40 per object).
    const int shorter = std::min(image.width(), image.height());
    const QImage kept = shorter > 360 ? image.scaled(image.size() * 360 / shorter, Qt::KeepAspectRatio, Qt::SmoothTransformation) : image;
    if (store_.addPicture(modelKey(), captureName_, kept).isEmpty()) {
        emit status(tr("Cannot save pictures under %1").arg(store_.root()), true);
        captureName_.clear();
        return;
    }
    lastCapture_.start();
    ++captured_;
    emit captureProgress(captured_, kCaptureFrames);
    if (captured_ >= kCaptureFrames) stopCapture();
}

void TeachController::addPictures(const QString& name, const QStringList& paths) {
    const QString n = name.trimmed();
    if (n.isEmpty()) return emit status(tr("Name the object first"), true);
    if (modelKey().isEmpty()) return emit status(tr("No model is loaded"), true);
    QMetaObject::invokeMethod(job_, [job = job_, root = store_.root(), key = modelKey(), n, paths] { job->import(root, key, n, paths); },
                              Qt::QueuedConnection);
}

void TeachController::train(percept::train::Mode mode) {
    if (training_) return;
    stopCapture();
    const QVector<TeachStore::Object> objs = objects();
    if (objs.isEmpty()) return emit status(tr("Capture or add pictures of an object first"), true);
    TeachRequest r;
    r.modelKey = modelKey();
    const ModelInfo& info = pipeline_->activeModel();
    r.userSettings = info.userSettings;
    r.settings = info.settings;
    for (const auto& o : objs) {
        if (o.pictures.size() < 2) return emit status(tr("%1 needs at least two pictures (one is held back to measure)").arg(o.name), true);
        r.objects << o.name;
        r.pictures << o.pictures;
    }
    r.mode = mode;
    // On a small machine one thread: the other core keeps the video and the overlay going.
    const int cores = QThread::idealThreadCount();
    r.threads = cores <= 2 ? 1 : cores / 2;
    r.outPath = store_.personalModelPath(r.modelKey);
    training_ = true;
    trainingModel_ = r.modelKey;
    lastMode_ = mode;
    emit trainingStarted(QString::fromLatin1(percept::train::modeName(mode)));
    QMetaObject::invokeMethod(job_, [job = job_, r] { job->run(r); }, Qt::QueuedConnection);
}

void TeachController::cancelTraining() {
    if (training_) job_->cancel();
}

void TeachController::onTrained(const TeachOutcome& o) {
    training_ = false;
    if (store_.objects(trainingModel_).isEmpty()) {
        QFile::remove(o.path);  // reset while it trained
        emit trainingFinished({});
        return;
    }
    QJsonObject f;
    f.insert(QStringLiteral("ms"), o.ms);
    f.insert(QStringLiteral("extract_ms"), o.extractMs);
    f.insert(QStringLiteral("accuracy"), o.heldBackAccuracy);
    f.insert(QStringLiteral("epochs"), o.epochs);
    f.insert(QStringLiteral("examples"), o.examples);
    store_.setFigures(trainingModel_, o.mode, f);
    // Runs in place of the base model from now on (the worker reloads it if it is showing).
    pipeline_->setTaughtModel(trainingModel_, o.path);
    emit trainingFinished(o);
    emit objectsChanged();
    emit status(tr("Taught: held back pictures recognised %1 %, training took %2 s (%3)")
                    .arg(o.heldBackAccuracy * 100.0, 0, 'f', 0)
                    .arg(o.ms / 1000.0, 0, 'f', 1)
                    .arg(o.mode),
                false);
}

void TeachController::removeObject(const QString& name) {
    if (training_) return emit status(tr("Wait for the training to finish"), true);
    store_.removeObject(modelKey(), name);
    emit objectsChanged();
    if (objects().isEmpty()) reset();
    else train(lastMode_);  // the others, without it
}

void TeachController::reset() {
    cancelTraining();
    stopCapture();
    const QString key = modelKey();
    store_.reset(key);
    pipeline_->setTaughtModel(key, QString());
    emit objectsChanged();
    emit status(tr("Forgot every taught object of this model"), false);
}

}  // namespace percept::app
