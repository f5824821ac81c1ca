// SPDX-License-Identifier: Apache-2.0
#pragma once
// Teaching, off the UI thread: one TeachJob lives on the teach controller's own (low-priority)
// QThread and runs one request at a time: the base model's frozen part over the objects'
// pictures (and augmented copies), the reference photos as pictures of none of them, the
// training (its progress reported after each epoch) and the export of the taught model. The
// inference worker keeps running meanwhile with its own sessions: the video does not stop.
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>
#include <atomic>

#include "percept/backend.h"
#include "percept/train.h"
#include "pipeline/model_info.h"

namespace percept::app {

struct TeachRequest {
    QString modelKey;               // the base model: a manifest name or an .onnx path
    bool userSettings = false;      // `settings` (Model > Input and Labels) are in force
    ModelSettings settings;
    QStringList objects;            // names, in class order
    QVector<QStringList> pictures;  // per object
    percept::train::Mode mode = percept::train::Mode::Head;
    int threads = 1;
    QString outPath;                // the taught model's file
};

struct TeachOutcome {
    QString mode;                   // "head" / "finetune"
    QString path;                   // the taught model, written
    double ms = 0.0;                // training time
    double extractMs = 0.0;         // the frozen part over every picture
    double heldBackAccuracy = -1.0;
    int epochs = 0, examples = 0, heldBack = 0;
    size_t stepArenaBytes = 0, featureBytes = 0;
};

class TeachJob : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    // Asks a running job to stop after its current epoch (thread-safe).
    void cancel() { cancel_ = true; }

public slots:
    void run(const percept::app::TeachRequest& request);
    // Reads picture files, folders or videos (at most TeachController::kCaptureFrames pictures
    // from each) into the store as pictures of `object`.
    void import(const QString& storeRoot, const QString& modelKey, const QString& object, const QStringList& paths);

signals:
    void stage(const QString& what, int done, int total);
    void epoch(const percept::train::EpochReport& report);
    void finished(const percept::app::TeachOutcome& outcome);
    void failed(const QString& message);
    void imported(const QString& object, int pictures, const QString& problems);

private:
    std::atomic<bool> cancel_{false};
};

}  // namespace percept::app

Q_DECLARE_METATYPE(percept::app::TeachRequest)
Q_DECLARE_METATYPE(percept::app::TeachOutcome)
Q_DECLARE_METATYPE(percept::train::EpochReport)
