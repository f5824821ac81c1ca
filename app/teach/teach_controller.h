// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Teach feature's logic on the UI thread (the panel in ui/teach_panel.* shows it): name an
// object, capture pictures of it from whatever the window shows (camera, video, photos, a
// folder's slideshow) or add picture files, train in the background, and have the taught model
// (the base model's classes plus the objects) run in place of the base model, so the objects'
// names appear in the overlay beside ImageNet's. Objects persist per model (TeachStore) and
// their taught model is loaded at start; removing one retrains on the others; reset forgets
// them all.
#include <QElapsedTimer>
#include <QImage>
#include <QJsonObject>
#include <QObject>
#include <QThread>

#include "percept/train.h"
#include "teach/teach_job.h"
#include "teach/teach_store.h"

namespace percept::app {

class Pipeline;

class TeachController : public QObject {
    Q_OBJECT
public:
    // Pictures taken per capture, and their pace (a moving object gives varied views).
    static constexpr int kCaptureFrames = 40;
    static constexpr int kCaptureIntervalMs = 120;

    // Registers every taught model of `store` with the pipeline (call before Pipeline::start so
    // the first model loaded is already the taught one).
    TeachController(Pipeline* pipeline, const QString& storeRoot, QObject* parent = nullptr);
    ~TeachController() override;

    // The base model objects are taught to: the pipeline's current one.
    QString modelKey() const;
    QVector<TeachStore::Object> objects() const;
    bool capturing() const { return !captureName_.isEmpty(); }
    int captured() const { return captured_; }
    bool training() const { return training_; }
    // The last figures of each mode for this model: {"head": {"ms", "accuracy", ...}, ...}.
    QJsonObject figures() const;
    const TeachStore& store() const { return store_; }

public slots:
    // Captures kCaptureFrames pictures of `name` from the frames the window shows.
    void startCapture(const QString& name);
    void stopCapture();
    // Picture files, folders or videos of `name` (read on the teach thread).
    void addPictures(const QString& name, const QStringList& paths);
    void train(percept::train::Mode mode);
    void cancelTraining();
    void removeObject(const QString& name);
    void reset();

signals:
    void objectsChanged();
    void captureProgress(int captured, int total);
    void trainingStarted(const QString& mode);
    void stage(const QString& what, int done, int total);
    void epoch(const percept::train::EpochReport& report);
    void trainingFinished(const percept::app::TeachOutcome& outcome);
    void status(const QString& message, bool isError);

private:
    void onFrame(const QImage& image);
    void onTrained(const TeachOutcome& outcome);

    Pipeline* pipeline_;
    TeachStore store_;
    QThread thread_;
    TeachJob* job_ = nullptr;
    QString captureName_;
    int captured_ = 0;
    QElapsedTimer lastCapture_;
    bool training_ = false;
    QString trainingModel_;  // the model the running job teaches
    percept::train::Mode lastMode_ = percept::train::Mode::Head;
};

}  // namespace percept::app
