// SPDX-License-Identifier: Apache-2.0
#include "teach/teach_job.h"

#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QSaveFile>
#include <chrono>
#include <fstream>
#include <iterator>
#include <random>

#include "percept/models/conventions.h"
#include "percept/percept.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/models/teach_data.h"
#include "pipeline/image_convert.h"
#include "teach/teach_controller.h"
#include "teach/teach_store.h"

namespace percept::app {

namespace pm = percept::models;

void TeachJob::run(const TeachRequest& r) {
    cancel_ = false;
    using Clock = std::chrono::steady_clock;
    try {
        // The base model and how its input is prepared, as the inference worker resolves them.
        const pm::ModelRef ref = pm::resolveModel(r.modelKey.toStdString());
        const percept::Model model = percept::Model::load(ref.modelPath);
        percept::SessionOptions so;
        so.threads = r.threads;
        std::unique_ptr<percept::Session> probe;
        pm::Conventions conv = pm::resolveConventions(ref, model, [&](const percept::Tensor& t) {
            if (!probe) probe = percept::Session::create(model, so);
            return probe->run(t);
        });
        probe.reset();
        if (r.userSettings) {
            conv.input = r.settings.input;
            conv.labels.clear();
            conv.labelsPath = r.settings.labelsPath.toStdString();
            conv.labelOffset = r.settings.labelOffset;
        }
        const pm::Labels labels = pm::loadLabels(conv);

        percept::train::Options o;
        o.mode = r.mode;
        o.session = so;
        std::vector<std::string> names;
        for (const QString& n : r.objects) names.push_back(n.toStdString());
        percept::train::Trainer trainer(model, names, o);

        int total = 0, done = 0;
        for (const QStringList& p : r.pictures) total += static_cast<int>(p.size());
        const std::vector<cv::Mat> reference = pm::referencePhotoImages();
        total += static_cast<int>(reference.size());
        const auto t0 = Clock::now();
        auto extract = [&](const cv::Mat& img) { return trainer.extract(pm::preprocess(img, conv.input)); };
        std::mt19937 rng(1);
        std::vector<percept::train::Example> train, heldBack;
        for (int c = 0; c < r.objects.size(); ++c) {
            std::vector<cv::Mat> frames;
            for (const QString& f : r.pictures[c]) frames.push_back(pm::loadImage(f.toStdString()));
            emit stage(tr("Looking at the pictures of %1").arg(r.objects[c]), done, total);
            pm::addExamples(frames, c, 0.25, 2, rng, extract, train, heldBack);
            done += static_cast<int>(frames.size());
            if (cancel_) return emit failed(tr("Teaching stopped"));
        }
        std::vector<percept::train::Example> none;
        pm::addExamples(reference, -1, 0.0, 3, rng, extract, train, none);
        const double extractMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        emit stage(tr("Training"), total, total);

        const percept::train::Report rep = trainer.fit(train, heldBack, [&](const percept::train::EpochReport& e) {
            emit epoch(e);
            return !cancel_.load();
        });
        if (cancel_) return emit failed(tr("Teaching stopped"));

        std::ifstream in(ref.modelPath, std::ios::binary);
        const std::string base((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string bytes = trainer.exportOnnx(base, pm::personalisedMetadata(conv, labels, trainer.baseClasses(), names, true));
        QSaveFile out(r.outPath);  // written whole or not at all: the app may load it at any time
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes.data(), static_cast<qint64>(bytes.size())) != static_cast<qint64>(bytes.size()) ||
            !out.commit())
            throw percept::Error("cannot write " + r.outPath.toStdString());

        TeachOutcome oc;
        oc.mode = QString::fromLatin1(percept::train::modeName(r.mode));
        oc.path = r.outPath;
        oc.ms = rep.trainMs;
        oc.extractMs = extractMs;
        oc.heldBackAccuracy = rep.heldBackAccuracy;
        oc.epochs = rep.epochs;
        oc.examples = static_cast<int>(train.size());
        oc.heldBack = static_cast<int>(heldBack.size());
        oc.stepArenaBytes = rep.stepArenaBytes;
        oc.featureBytes = rep.featureBytes;
        emit finished(oc);
    } catch (const std::exception& e) {
        emit failed(tr("Teaching failed: %1").arg(QString::fromStdString(e.what())));
    }
}

void TeachJob::import(const QString& storeRoot, const QString& modelKey, const QString& object, const QStringList& paths) {
    TeachStore store(storeRoot);
    int added = 0;
    QStringList problems;
    for (const QString& p : paths) {
        try {
            // A single picture is read as a folder of one would be.
            const bool video = !QFileInfo(p).isDir() && !QImageReader::imageFormat(p).size();
            std::vector<cv::Mat> frames =
                QFileInfo(p).isDir() || video ? pm::readTeachingFrames(p.toStdString(), TeachController::kCaptureFrames)
                                              : std::vector<cv::Mat>{pm::loadImage(p.toStdString())};
            for (const cv::Mat& f : frames)
                if (!store.addPicture(modelKey, object, qimageFromMat(f)).isEmpty()) ++added;
        } catch (const std::exception& e) {
            problems << QString::fromStdString(e.what());
        }
    }
    emit imported(object, added, problems.join(QStringLiteral("; ")));
}

}  // namespace percept::app
