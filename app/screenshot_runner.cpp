// SPDX-License-Identifier: Apache-2.0
#include "screenshot_runner.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QPixmap>
#include <cstdio>

#include "compare_view.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "pipeline/pipeline.h"

namespace percept::app {

using percept::ui::formatBytes;
using percept::ui::formatJoules;

ScreenshotRunner::ScreenshotRunner(percept::ui::MainWindow* window, QString outPath, int frames, int timeoutS, QObject* parent)
    : QObject(parent), window_(window), out_(std::move(outPath)), frames_(frames) {
    clock_.start();
    Pipeline* p = window_->pipeline();
    connect(p, &Pipeline::resultReady, this, [this](const InferenceResult& r, const PipelineStats&) { onResult(r); });
    connect(p, &Pipeline::emptyState, this, [this](const QString& why) { failSoon(why); });
    connect(p, &Pipeline::modelFailed, this, [this](const QString&, const QString& why) {
        if (window_->pipeline()->activeModelKey().isEmpty()) failSoon(why);
    });
    timeout_.setSingleShot(true);
    connect(&timeout_, &QTimer::timeout, this, [this, timeoutS] {
        finish(1, QStringLiteral("timed out after %1 s with %2 of %3 results").arg(timeoutS).arg(shown_).arg(frames_));
    });
    timeout_.start(timeoutS * 1000);
}

void ScreenshotRunner::failSoon(const QString& why) {
    if (done_) return;
    QTimer::singleShot(200, this, [this, why] { finish(1, why); });
}

void ScreenshotRunner::onResult(const InferenceResult& r) {
    if (done_) return;
    ++shown_;
    if (perResult_.size() < 20 && !r.top.isEmpty())
        perResult_ << QStringLiteral("  result %1: frame #%2  %3 %4%  (%5, inference %6 ms)")
                          .arg(shown_)
                          .arg(r.frameSeq)
                          .arg(r.top.front().label)
                          .arg(r.top.front().prob * 100.0, 0, 'f', 1)
                          .arg(r.backendLabel)
                          .arg(r.inferenceMs, 0, 'f', 2);
    if (shown_ >= frames_) {
        // Let the overlay paint this result (closing its end-to-end sample), then grab.
        QTimer::singleShot(50, this, [this] { finish(0); });
        return;
    }
    if (window_->pipeline()->sourceIsStill()) window_->pipeline()->rerunStill();
}

// ---- compare mode's second side and agreement, Auto's choice, the scene skip ----
QString ScreenshotRunner::modesReport(const InferenceResult& r) {
    QString s = QStringLiteral("process CPU time: %1 ms per inference (median)\n").arg(r.medianCpuMs, 0, 'f', 2);
    if (r.compareMode) {
        if (r.compared) {
            const InferenceResult& g = *r.compared;
            s += QStringLiteral("compare: %1 [%2]: top-1 %3 %4%, inference %5 ms (median), CPU time %6 ms, energy %7 %8\n")
                     .arg(g.backendLabel, g.device, g.top.isEmpty() ? QString() : g.top.front().label)
                     .arg(g.top.isEmpty() ? 0.0 : g.top.front().prob * 100.0, 0, 'f', 2)
                     .arg(g.medianInferenceMs, 0, 'f', 2).arg(g.medianCpuMs, 0, 'f', 2)
                     .arg(g.energy.valid ? formatJoules(g.energy.joulesPerInference) : QStringLiteral("-"),
                          g.energy.measured ? QStringLiteral("measured") : QStringLiteral("estimated"));
            s += QStringLiteral("agreement: %1\n").arg(percept::ui::CompareView::agreementLine(r));
        } else {
            s += QStringLiteral("compare: %1\n").arg(r.compareNote);
        }
    }
    if (!r.autoNote.isEmpty()) s += r.autoNote + '\n';
    if (r.skip.enabled && r.skip.framesSeen > 0)
        s += QStringLiteral("scene skip: %1 of %2 frames skipped (threshold %3 grey levels), \u2248 %4 saved\n")
                 .arg(r.skip.framesSkipped).arg(r.skip.framesSeen).arg(r.skip.threshold).arg(formatJoules(r.skip.joulesSaved));
    return s;
}

void ScreenshotRunner::finish(int exitCode, const QString& why) {
    if (done_) return;
    done_ = true;
    timeout_.stop();
    const QPixmap shot = window_->grab();
    const bool saved = shot.save(out_);
    const Pipeline* p = window_->pipeline();
    const auto& res = p->lastResult();
    const PipelineStats& st = p->stats();
    const double seconds = clock_.elapsed() / 1000.0;

    QString s;
    if (res) {
        const InferenceResult& r = *res;
        s += QStringLiteral("Percept: %1 on %2 [%3] \u2014 %4\n").arg(r.modelName, r.backendLabel, r.device, p->sourceDescription());
        s += QStringLiteral("top-5 of frame #%1, the result on screen (results shown: %2, asked for: %3):\n").arg(r.frameSeq).arg(shown_).arg(frames_);
        for (const auto& t : r.top) s += QStringLiteral("  %1%  %2  [%3]\n").arg(t.prob * 100.0, 6, 'f', 2).arg(t.label).arg(t.index);
        s += QStringLiteral("time (median of %1): preprocess %2 ms, inference %3 ms, postprocess %4 ms; this frame: %5 / %6 / %7 ms\n")
                 .arg(r.medianSamples)
                 .arg(r.medianPreprocessMs, 0, 'f', 2).arg(r.medianInferenceMs, 0, 'f', 2).arg(r.medianPostprocessMs, 0, 'f', 3)
                 .arg(r.preprocessMs, 0, 'f', 2).arg(r.inferenceMs, 0, 'f', 2).arg(r.postprocessMs, 0, 'f', 3);
        s += QStringLiteral("throughput: %1 inferences/s; ").arg(r.inferencesPerSecond, 0, 'f', 1);
        s += st.endToEndSamples > 0
                 ? QStringLiteral("end-to-end (frame arrival -> overlay drawn) median %1 ms over %2 results\n")
                       .arg(st.endToEndMedianMs, 0, 'f', 2).arg(st.endToEndSamples)
                 : QStringLiteral("end-to-end: no sample (the first frame waited for the model to load; use --frames 3)\n");
        s += QStringLiteral("memory: RSS %1, engine weights %2 (model file %6 on disk) + arena %3 + workspace %4%5\n")
                 .arg(formatBytes(r.memory.rssBytes), formatBytes(r.memory.weightBytes), formatBytes(r.memory.arenaBytes),
                      formatBytes(r.memory.workspaceBytes),
                      r.backend == percept::Backend::Vulkan ? QStringLiteral(", GPU %1").arg(formatBytes(r.memory.deviceBytes)) : QString(),
                      formatBytes(r.memory.weightFileBytes));
        if (r.energy.valid)
            s += QStringLiteral("energy: %1 per inference, %2 (%3)%4\n")
                     .arg(formatJoules(r.energy.joulesPerInference), r.energy.measured ? QStringLiteral("measured") : QStringLiteral("estimated"),
                          r.energy.source, r.energy.note.isEmpty() ? QString() : QStringLiteral("; no counter: ") + r.energy.note);
        s += modesReport(r);
    } else {
        s += QStringLiteral("Percept: no result shown\n");
    }
    if (perResult_.size() > 1) s += QStringLiteral("results:\n") + perResult_.join('\n') + '\n';
    s += QStringLiteral("frames: %1 arrived, %2 dropped by the mailbox, %3 results shown, %4 stale; %5 s; source %6 fps\n")
             .arg(st.framesArrived).arg(st.framesDropped).arg(st.resultsShown).arg(st.staleResults).arg(seconds, 0, 'f', 1)
             .arg(st.sourceFps, 0, 'f', 1);
    for (const QString& m : window_->messageLog())
        if (m.startsWith(QStringLiteral("error: "))) s += QStringLiteral("message: %1\n").arg(m.mid(7));
    s += saved ? QStringLiteral("screenshot: %1 (%2x%3)\n").arg(out_).arg(shot.width()).arg(shot.height())
               : QStringLiteral("screenshot: could not write %1\n").arg(out_);
    std::fputs(s.toUtf8().constData(), stdout);
    std::fflush(stdout);
    if (!why.isEmpty()) std::fprintf(stderr, "percept: %s\n", qPrintable(why));
    QCoreApplication::exit(saved ? exitCode : 1);
}

}  // namespace percept::app
