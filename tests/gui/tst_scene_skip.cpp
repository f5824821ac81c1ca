// SPDX-License-Identifier: Apache-2.0
// Skipping unchanged scenes on a generated video: 2 s of a still photo (a magenta
// mark in its corner says so), then 2 s of ffmpeg's testsrc with its colours turning (every
// frame differs), looped. With the skip on,
// results for the still part must be reused (the overlay says "scene unchanged — N % of frames
// skipped"), results for the moving part computed; every frame still gets a result, in order.
// Then the same video with the skip off: the process CPU time per frame of both runs (the
// documented estimate's input: CPU time x 5 W per busy core) gives the energy saved.
#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <map>

#include "gui_test_support.h"
#include "main_window.h"
#include "metrics/energy_model.h"
#include "metrics/energy_monitor.h"
#include "overlay_widget.h"
#include "pipeline/scene_change.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;

namespace {
// The still part carries a magenta 16x16 box in its top-left corner.
bool markedStill(const QImage& img) {
    const QColor c = img.pixelColor(4, 4);
    return c.red() > 180 && c.green() < 90 && c.blue() > 180;
}

struct Run {
    int stillResults = 0, stillReused = 0, movingResults = 0, movingReused = 0;
    uint64_t frames = 0;
    double cpuSeconds = 0, seconds = 0;
    double joulesSavedByWorker = 0;
    double joulesPerInference = 0;
    QStringList reusedOverlay;  // the overlay's lines while it showed a reused result
};
}  // namespace

class SceneSkipTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v2_1.0_224.dequant.onnx"));
        PERCEPT_REQUIRE_DATA(guitest::image("pelican.jpeg"));
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("still_then_moving.mp4");
        const QString ffmpeg = QStandardPaths::findExecutable("ffmpeg");
        if (ffmpeg.isEmpty()) {
            if (guitest::underCi()) QFAIL("ffmpeg is needed to make the test video");
            QSKIP("ffmpeg not installed");
        }
        QProcess p;
        p.start(ffmpeg, {"-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-t", "2", "-i", guitest::image("pelican.jpeg"), "-f",
                         "lavfi", "-t", "2", "-i", "testsrc=size=320x240:rate=30,hue=H=2*PI*t/2", "-filter_complex",
                         "[0:v]scale=320:240,setsar=1,fps=30,drawbox=x=0:y=0:w=16:h=16:color=magenta:t=fill[a];"
                         "[1:v]setsar=1[b];[a][b]concat=n=2:v=1[v]",
                         "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", video_});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    }

    void stillPartIsSkippedMovingPartIsNot() {
        ui::MainWindow w;
        QVERIFY(guitest::showWindow(w, QSize(900, 640)));
        app::Pipeline* p = w.pipeline();
        std::map<uint64_t, bool> still;  // frame seq -> still part
        connect(p, &app::Pipeline::frameArrived, this, [&](const QImage& img) { still[p->stats().framesArrived + 1] = markedStill(img); });
        Run* run = nullptr;
        uint64_t lastSeq = 0;
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats&) {
            QVERIFY(r.frameSeq > lastSeq);
            lastSeq = r.frameSeq;
            if (!run) return;
            const auto it = still.find(r.frameSeq);
            if (it == still.end()) return;
            (it->second ? run->stillResults : run->movingResults) += 1;
            if (r.reused) {
                (it->second ? run->stillReused : run->movingReused) += 1;
                if (run->reusedOverlay.isEmpty()) {
                    run->reusedOverlay = w.overlay()->textLines();
                    guitest::saveScreenshot(&w, "scene_skip.png");
                }
            }
            run->joulesSavedByWorker = r.skip.joulesSaved;
            if (!r.reused && r.energy.valid) run->joulesPerInference = r.energy.joulesPerInference;
        });
        p->start({QStringLiteral("mobilenet_v2_1.0_224"), Backend::Cpu, 0, false, false, app::SceneChange::kDefaultThreshold});
        QVERIFY(p->openVideo(video_));
        QTRY_VERIFY_WITH_TIMEOUT(lastSeq > 5, 60000);

        auto measure = [&](Run& r) {
            QTest::qWait(300);  // the new setting reaches the worker
            run = &r;
            const uint64_t f0 = p->stats().framesArrived;
            const double c0 = app::processCpuSeconds();
            QElapsedTimer t;
            t.start();
            QTest::qWait(4000);  // one loop of the 4 s video
            r.seconds = t.elapsed() / 1000.0;
            r.cpuSeconds = app::processCpuSeconds() - c0;
            r.frames = p->stats().framesArrived - f0;
            run = nullptr;
        };
        Run on, off;
        measure(on);
        p->setSkipThreshold(0);
        measure(off);
        p->stopSource();

        const app::EnergyModel model = app::EnergyModel::fromEnvironment();
        auto perFrameMj = [&](const Run& r) { return model.cpuJoules(r.cpuSeconds) / std::max<uint64_t>(1, r.frames) * 1e3; };
        qInfo("skip on : still part %d results, %d reused; moving part %d results, %d reused; %llu frames in %.1f s, CPU %.2f s",
              on.stillResults, on.stillReused, on.movingResults, on.movingReused, static_cast<unsigned long long>(on.frames), on.seconds,
              on.cpuSeconds);
        qInfo("skip off: still part %d results, %d reused; moving part %d results, %d reused; %llu frames in %.1f s, CPU %.2f s",
              off.stillResults, off.stillReused, off.movingResults, off.movingReused, static_cast<unsigned long long>(off.frames),
              off.seconds, off.cpuSeconds);
        qInfo("energy per frame (estimated, %s, whole process incl. video decoding): skip on %.1f mJ, skip off %.1f mJ: %.0f %% saved; "
              "the worker's own count: %.2f J saved over the run (%.1f mJ per inference)",
              model.cpuDescription().c_str(), perFrameMj(on), perFrameMj(off), 100.0 * (1.0 - perFrameMj(on) / perFrameMj(off)),
              on.joulesSavedByWorker, on.joulesPerInference * 1e3);

        QVERIFY2(on.stillResults >= 20 && on.movingResults >= 20, "both parts of the video must have been seen");
        // Within a still part only its first frame needs the model (and one more where an I-frame
        // follows a P-frame); a whole loop's still part is ~60 frames.
        QVERIFY2(on.stillReused >= on.stillResults * 8 / 10, "the still part must reuse its result");
        QVERIFY2(on.movingReused <= on.movingResults / 10, "the moving part must run the model");
        QCOMPARE(off.stillReused + off.movingReused, 0);
        QVERIFY(!on.reusedOverlay.isEmpty());
        const QString skipLine = on.reusedOverlay.filter(QStringLiteral("scene unchanged")).value(0);
        QVERIFY2(skipLine.contains(QRegularExpression(QStringLiteral("scene unchanged \u2014 \\d+ % of frames skipped \\(frame #\\d+'s result reused"))),
                 qPrintable(on.reusedOverlay.join('\n')));
        QVERIFY(on.joulesSavedByWorker > 0);
        // Every frame taken still gave a result.
        QTRY_COMPARE(p->stats().resultsReceived, p->stats().framesTaken);  // an in-flight frame lands
        QCOMPARE(p->stats().staleResults, uint64_t(0));
    }

private:
    QTemporaryDir dir_;
    QString video_;
};

QTEST_MAIN(SceneSkipTest)
#include "tst_scene_skip.moc"
