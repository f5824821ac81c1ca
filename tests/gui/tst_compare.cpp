// SPDX-License-Identifier: Apache-2.0
// Compare mode on a generated video with the CPU and lavapipe: the Compare button
// splits the view, both overlays show their backend's result for the same frame, the agreement
// line says the backends agree on every shared model (same top-1, max |Δprob| small), the
// mailbox still drops frames rather than queueing them while a slow model runs twice, and the
// live charts hold points of both backends and are drawn in the screenshot. Then the Auto
// backend on the same video (autoChoosesTheBetterBackend).
#include <QComboBox>
#include <QPushButton>
#include <QTemporaryDir>
#include <vector>

#include "compare_view.h"
#include "control_bar.h"
#include "gui_test_support.h"
#include "live_charts.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "pipeline/inference_worker.h"
#include "video_view.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;
using percept::app::PowerState;

namespace {
// Pixels of `img` within `tolerance` of `c` (the charts' series colours).
int pixelsNear(const QImage& img, QColor c, int tolerance = 40) {
    int n = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const QColor p = img.pixelColor(x, y);
            if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue()) < tolerance) ++n;
        }
    return n;
}
}  // namespace

class CompareTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        PERCEPT_REQUIRE_DATA(guitest::image("pelican.jpeg"));
        PERCEPT_REQUIRE_VULKAN();
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("testsrc.mp4");
        PERCEPT_MAKE_TEST_VIDEO(video_, 30, 6);
    }

    void bothBackendsOnEveryFrame() {
        ui::MainWindow w;
        QVERIFY(guitest::showWindow(w, QSize(1100, 760)));
        app::Pipeline* p = w.pipeline();
        std::vector<InferenceResult> seen;
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats&) { seen.push_back(r); });
        p->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 0});
        QVERIFY(p->openVideo(video_));
        QTRY_VERIFY_WITH_TIMEOUT(seen.size() >= 3, 60000);

        // The Compare button, as a user presses it.
        QTest::mouseClick(w.controls()->compareButton(), Qt::LeftButton);
        QVERIFY(p->compareMode());
        QTRY_VERIFY(w.compareView()->isVisible());
        QVERIFY(!w.videoView()->isVisible());
        QVERIFY(w.chartsVisible());

        // The shared models, each picked in the model list while the video plays.
        const QStringList models = {"mobilenet_v1_0.25_128", "mobilenet_v1_0.5_160", "squeezenet1.1", "mobilenet_v2_1.0_224"};
        for (const QString& m : models) {
            const QString file = m.startsWith("squeezenet") ? m + ".onnx" : m + ".dequant.onnx";
            if (!QFileInfo::exists(QDir(guitest::modelsDir()).filePath(file))) {
                if (guitest::underCi()) QFAIL(qPrintable("missing " + file));
                continue;
            }
            if (p->activeModelKey() != m) {
                const int i = w.controls()->modelBox()->findData(m);
                QVERIFY(i >= 0);
                w.controls()->modelBox()->setCurrentIndex(i);
                emit w.controls()->modelBox()->activated(i);
            }
            const size_t from = seen.size();
            auto comparedWith = [&] {
                int n = 0;
                for (size_t k = from; k < seen.size(); ++k) n += seen[k].modelKey == m && seen[k].compared != nullptr;
                return n;
            };
            QTRY_VERIFY_WITH_TIMEOUT(comparedWith() >= 6, 90000);
            const InferenceResult& r = seen.back();
            QVERIFY(r.compareMode && r.compared);
            QCOMPARE(r.backend, Backend::Cpu);
            QCOMPARE(r.compared->backend, Backend::Vulkan);
            QCOMPARE(r.compared->frameSeq, r.frameSeq);  // the same frame on both
            // Both overlays, each naming its backend, the same frame.
            QTRY_VERIFY(w.compareView()->overlay(0)->hasResult() && w.compareView()->overlay(1)->hasResult());
            QVERIFY(w.compareView()->secondSideShown());
            QVERIFY(w.compareView()->overlay(0)->backendText().startsWith("CPU"));
            QVERIFY(w.compareView()->overlay(1)->backendText().startsWith("GPU (Vulkan)"));
            QCOMPARE(w.compareView()->overlay(0)->shownFrameSeq(), w.compareView()->overlay(1)->shownFrameSeq());
            // fp32 on both: the same answer to within rounding, on every compared frame.
            double worst = 0;
            for (size_t k = from; k < seen.size(); ++k) {
                if (seen[k].modelKey != m || !seen[k].compared) continue;
                QVERIFY2(seen[k].agreement.valid && seen[k].agreement.sameTop1, qPrintable(m));
                worst = std::max(worst, seen[k].agreement.maxProbDiff);
            }
            QVERIFY2(worst < 1e-3, qPrintable(QStringLiteral("%1: max |dprob| %2").arg(m).arg(worst)));
            const QString line = w.compareView()->agreementText();
            QVERIFY2(line.startsWith(QStringLiteral("\u2714 agree: same top-1")), qPrintable(line));
            const QStringList gpuLines = w.compareView()->overlay(1)->textLines();
            QVERIFY(!gpuLines.filter("process CPU time").isEmpty());
            QVERIFY(!gpuLines.filter("energy:").isEmpty());
            qInfo("%s: CPU %.2f ms, GPU %.2f ms inference (medians); energy CPU %.2f mJ, GPU %.2f mJ (%s); CPU time CPU %.2f, GPU %.2f ms; "
                  "max |dprob| %.2g; %s",
                  qPrintable(m), r.medianInferenceMs, r.compared->medianInferenceMs, r.energy.joulesPerInference * 1e3,
                  r.compared->energy.joulesPerInference * 1e3, r.energy.measured ? "measured" : "estimated", r.medianCpuMs,
                  r.compared->medianCpuMs, worst, qPrintable(line));
            guitest::saveScreenshot(&w, QStringLiteral("compare_%1.png").arg(m));
        }

        // Two inferences per frame at 30 fps: the mailbox drops frames rather than queueing them.
        const PipelineStats st = p->stats();
        QVERIFY2(st.framesDropped > 0, "a frame that cannot be run in time is dropped");
        std::vector<uint64_t> lags;
        for (size_t k = 1; k < seen.size(); ++k) QVERIFY(seen[k].frameSeq > seen[k - 1].frameSeq);
        QCOMPARE(st.staleResults, uint64_t(0));

        // The live charts: both backends' lines, drawn.
        QVERIFY(w.charts()->isVisible());
        QVERIFY(w.charts()->pointCount(Backend::Cpu) > 3);
        QVERIFY(w.charts()->pointCount(Backend::Vulkan) > 3);
        QVERIFY(w.charts()->energyTitle().contains("estimated") || w.charts()->energyTitle().contains("measured"));
        const QImage charts = w.charts()->grab().toImage();
        const int cpuPx = pixelsNear(charts, QColor(52, 120, 220)), gpuPx = pixelsNear(charts, QColor(46, 160, 90));
        qInfo("chart pixels: CPU line %d, GPU line %d", cpuPx, gpuPx);
        QVERIFY2(cpuPx > 50 && gpuPx > 50, "both lines are drawn");
        guitest::saveScreenshot(&w, "compare_charts.png");

        // Compare off: one view again.
        QTest::keyClick(&w, Qt::Key_C);
        QTRY_VERIFY(!p->compareMode() && w.videoView()->isVisible() && !w.compareView()->isVisible());
        const size_t n0 = seen.size();
        QTRY_VERIFY_WITH_TIMEOUT(seen.size() > n0 + 2, 30000);
        QVERIFY(!seen.back().compareMode && !seen.back().compared);
        p->stopSource();
    }

    // The Auto backend on the same video. One backend is made slow for real through
    // the worker's test hook (a sleep inside each of its timed runs), and Auto must pick the
    // other: on battery because only the other keeps up with the video, plugged in because it
    // has the lower latency. With no backend slowed, on battery, on a still photo, Auto must pick
    // the lower energy per inference. A power-state, source or model change makes it measure
    // again; the overlay and the Auto button say what it chose and why.
    void autoChoosesTheBetterBackend() {
        ui::MainWindow w;
        QVERIFY(guitest::showWindow(w, QSize(1000, 700)));
        app::Pipeline* p = w.pipeline();
        struct Decision {
            Backend backend;
            QString reason;
        };
        std::vector<Decision> decisions;
        connect(p, &app::Pipeline::autoDecided, this, [&](int b, const QString& why) { decisions.push_back({static_cast<Backend>(b), why}); });
        InferenceResult last;
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats&) { last = r; });
        p->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 0});
        p->setPowerState(PowerState::Battery);
        QVERIFY(p->openVideo(video_));
        QTRY_VERIFY_WITH_TIMEOUT(last.frameSeq >= 5, 60000);

        auto expectDecision = [&](size_t n, Backend b, const QString& because) {
            QTRY_VERIFY_WITH_TIMEOUT(decisions.size() >= n, 30000);
            const Decision& d = decisions[n - 1];
            qInfo("decision %zu: %s: %s", n, backendName(d.backend), qPrintable(d.reason));
            QVERIFY2(d.backend == b, qPrintable(d.reason));
            QVERIFY2(d.reason.contains(because), qPrintable(d.reason));
            // Results come from the chosen backend and the overlay says why.
            QTRY_VERIFY_WITH_TIMEOUT(last.backend == b && last.autoNote.startsWith(QStringLiteral("Auto \u2192")), 10000);
            QTRY_VERIFY(!w.overlay()->textLines().filter(QStringLiteral("Auto \u2192 %1").arg(app::backendLabel(b))).isEmpty());
            QVERIFY(w.controls()->autoButton()->isChecked());
            QCOMPARE(w.controls()->autoButton()->text(), b == Backend::Cpu ? QStringLiteral("Auto: CPU") : QStringLiteral("Auto: GPU"));
        };

        // 1. On battery, the GPU slowed by 120 ms a run: only the CPU keeps up with 30 fps.
        p->setTestDelay(Backend::Vulkan, 120);
        QTest::mouseClick(w.controls()->autoButton(), Qt::LeftButton);
        QVERIFY(p->autoBackend());
        QTRY_VERIFY(!w.overlay()->textLines().filter("Auto: measuring").isEmpty() || !decisions.empty());
        // (The video's rate as measured: 30 fps, less on a loaded machine whose decoder falls behind.)
        expectDecision(1, Backend::Cpu, QStringLiteral("only CPU keeps up with"));
        if (QTest::currentTestFailed()) return;
        QVERIFY2(decisions[0].reason.contains(QRegularExpression(QStringLiteral("keeps up with \\d+ fps \\([0-9.]+ vs \\d+ ms per frame\\)"))),
                 qPrintable(decisions[0].reason));
        guitest::saveScreenshot(&w, "auto_cpu.png");

        // 2. Now the CPU is the slow one; plugging in makes Auto measure again: lowest latency.
        p->setTestDelay(Backend::Vulkan, 0);
        p->setTestDelay(Backend::Cpu, 120);
        p->setPowerState(PowerState::Ac);
        expectDecision(2, Backend::Vulkan, QStringLiteral("plugged in: lowest latency"));
        if (QTest::currentTestFailed()) return;
        guitest::saveScreenshot(&w, "auto_gpu.png");

        // 3. Unplugged again, the CPU still slow: only the GPU keeps up.
        p->setPowerState(PowerState::Battery);
        expectDecision(3, Backend::Vulkan, QStringLiteral("only GPU (Vulkan) keeps up"));
        if (QTest::currentTestFailed()) return;

        // 4. Nothing slowed, a new source: a still photo, which anything keeps up with, so the
        //    lower energy per inference decides. 5. A model change decides again, the same way.
        p->setTestDelay(Backend::Cpu, 0);
        QVERIFY(p->openImageFile(guitest::image("pelican.jpeg")));
        QTRY_VERIFY_WITH_TIMEOUT(decisions.size() >= 4, 60000);
        p->setModel(QStringLiteral("mobilenet_v1_0.5_160"));
        QTRY_VERIFY_WITH_TIMEOUT(decisions.size() >= 5, 60000);
        const QRegularExpression mj(QStringLiteral("^on battery: lowest energy per inference \\(([0-9.]+) vs ([0-9.]+) mJ, estimated\\)$"));
        for (size_t k : {3, 4}) {
            const Decision& d = decisions[k];
            qInfo("decision %zu: %s: %s", k + 1, backendName(d.backend), qPrintable(d.reason));
            const auto m = mj.match(d.reason);
            QVERIFY2(m.hasMatch(), qPrintable(d.reason));
            QVERIFY(m.captured(1).toDouble() <= m.captured(2).toDouble());
        }
        QTRY_VERIFY_WITH_TIMEOUT(last.modelKey == "mobilenet_v1_0.5_160" && last.backend == decisions[4].backend, 20000);

        // Choosing a backend by hand ends Auto.
        QTest::mouseClick(w.controls()->cpuButton(), Qt::LeftButton);
        QTRY_VERIFY(!p->autoBackend() && !w.controls()->autoButton()->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(last.backend == Backend::Cpu && last.autoNote.isEmpty(), 10000);
        p->stopSource();
    }

private:
    QTemporaryDir dir_;
    QString video_;
};

QTEST_MAIN(CompareTest)
#include "tst_compare.moc"
