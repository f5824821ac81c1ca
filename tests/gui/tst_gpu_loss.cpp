// SPDX-License-Identifier: Apache-2.0
// The GPU is lost in the middle of a video (PERCEPT_VULKAN_FAIL_AFTER, set by CMakeLists.txt,
// makes a Vulkan session's N-th run fail exactly as a real VK_ERROR_DEVICE_LOST from its fence
// wait does): the app must fall back to the CPU with a message saying so, run the frame that
// failed again on the CPU (no result lost), keep the video going, name the CPU in the overlay,
// and leave the GPU button usable: asking for the GPU again opens the device afresh, and a
// second loss is handled the same way.
#include <QElapsedTimer>
#include <QPushButton>
#include <QTemporaryDir>
#include <vector>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "percept/backend.h"
#include "video_view.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;

class GpuLossTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        bool ok = false;
        failAfter_ = qEnvironmentVariableIntValue("PERCEPT_VULKAN_FAIL_AFTER", &ok);
        QVERIFY2(ok && failAfter_ >= 3, "run with PERCEPT_VULKAN_FAIL_AFTER=N (N >= 3), as CMakeLists.txt does");
        PERCEPT_REQUIRE_VULKAN();
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("testsrc.mp4");
        PERCEPT_MAKE_TEST_VIDEO(video_, 30, 6);
    }

    void gpuLostMidStreamFallsBackToCpu() {
        ui::MainWindow w;
        w.resize(960, 680);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        app::Pipeline* p = w.pipeline();
        std::vector<InferenceResult> seen;
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats&) { seen.push_back(r); });
        QSignalSpy lost(p, &app::Pipeline::backendLost);
        auto resultsOn = [&](Backend b) {
            return std::count_if(seen.begin(), seen.end(), [b](const InferenceResult& r) { return r.backend == b; });
        };

        // Straight onto the GPU, as `percept --video ... --backend vulkan` does.
        p->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Vulkan, 1});
        QVERIFY(p->openVideo(video_));
        QTRY_VERIFY_WITH_TIMEOUT(resultsOn(Backend::Vulkan) >= 1, 60000);
        QVERIFY(w.overlay()->backendText().startsWith("GPU (Vulkan)"));
        QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 1, 60000);

        // The session's first run was its warm-up, runs 2 .. N-1 were frames, run N failed: the
        // GPU produced exactly N-2 results, and the frame of run N was run again on the CPU.
        QCOMPARE(resultsOn(Backend::Vulkan), failAfter_ - 2);
        QVERIFY(lost.at(0).at(2).toBool());  // reported as a device loss, not another error
        const QString message = lost.at(0).at(1).toString();
        qInfo("status after the loss: %s", qPrintable(message));
        QVERIFY(message.startsWith("GPU lost \u2014 continuing on the CPU: "));
        QVERIFY(message.contains("VK_ERROR_DEVICE_LOST"));
        QTRY_VERIFY_WITH_TIMEOUT(resultsOn(Backend::Cpu) >= 1, 10000);
        const InferenceResult firstCpu = *std::find_if(seen.begin(), seen.end(), [](const InferenceResult& r) { return r.backend == Backend::Cpu; });
        const InferenceResult lastGpu = *std::find_if(seen.rbegin(), seen.rend(), [](const InferenceResult& r) { return r.backend == Backend::Vulkan; });
        QVERIFY(firstCpu.frameSeq > lastGpu.frameSeq);

        // What the user sees: the message, the CPU named in the overlay and checked in the bar,
        // the GPU button still usable with a note.
        QCOMPARE(w.statusText(), "\u26a0 " + message);
        QVERIFY(w.statusIsError());
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->backendText().startsWith("CPU"), 5000);
        QVERIFY(w.controls()->cpuButton()->isChecked());
        QVERIFY(w.controls()->gpuButton()->isEnabled());
        QVERIFY(w.controls()->gpuLost());
        QVERIFY(w.controls()->gpuNote().startsWith("GPU (Vulkan) lost"));
        QCOMPARE(p->activeBackend(), Backend::Cpu);

        // Frames keep arriving and keep being recognised on the CPU.
        const uint64_t frames0 = p->stats().framesArrived;
        const auto cpu0 = resultsOn(Backend::Cpu);
        QElapsedTimer t;
        t.start();
        QTest::qWait(2000);
        const double secs = t.elapsed() / 1000.0;
        const uint64_t frames = p->stats().framesArrived - frames0;
        const auto cpuResults = resultsOn(Backend::Cpu) - cpu0;
        qInfo("after the loss: %.1f frames/s arrived, %.1f results/s on the CPU", frames / secs, cpuResults / secs);
        QVERIFY2(frames >= 20, "the video must keep playing");
        QVERIFY2(cpuResults >= 10, "results must keep coming on the CPU");
        QVERIFY(w.overlay()->backendText().startsWith("CPU"));
        QVERIFY(!w.overlay()->topLabelText().isEmpty());
        const QString shot = guitest::saveScreenshot(&w, "gpu_lost.png");
        qInfo("screenshot: %s", qPrintable(shot));

        // The GPU again (the G key): a fresh device, results on it, the note gone ...
        const auto gpu0 = resultsOn(Backend::Vulkan);
        QTest::keyClick(&w, Qt::Key_G);
        QTRY_VERIFY_WITH_TIMEOUT(resultsOn(Backend::Vulkan) > gpu0, 30000);
        QVERIFY(w.controls()->gpuButton()->isChecked());
        QVERIFY(!w.controls()->gpuLost());
        QVERIFY(w.controls()->gpuNote().isEmpty());
        // ... and this session's N-th run fails too: the same fallback, once more.
        QTRY_COMPARE_WITH_TIMEOUT(lost.count(), 2, 60000);
        QCOMPARE(resultsOn(Backend::Vulkan), gpu0 + failAfter_ - 2);
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->backendText().startsWith("CPU"), 5000);
        const auto cpu1 = resultsOn(Backend::Cpu);
        QTRY_VERIFY_WITH_TIMEOUT(resultsOn(Backend::Cpu) >= cpu1 + 5, 10000);

        // Nothing lost, nothing stale: every frame the worker took gave a result, including the
        // two that were on the GPU when it failed.
        p->stopSource();
        QTRY_VERIFY_WITH_TIMEOUT(p->stats().framesTaken == p->stats().resultsReceived, 5000);
        const PipelineStats st = p->stats();
        qInfo("%llu frames arrived = %llu dropped by the mailbox + %llu taken; %llu results (%lld GPU, %lld CPU)",
              static_cast<unsigned long long>(st.framesArrived), static_cast<unsigned long long>(st.framesDropped),
              static_cast<unsigned long long>(st.framesTaken), static_cast<unsigned long long>(st.resultsReceived),
              static_cast<long long>(resultsOn(Backend::Vulkan)), static_cast<long long>(resultsOn(Backend::Cpu)));
        QCOMPARE(st.framesArrived, st.framesDropped + st.framesTaken);
        QCOMPARE(st.resultsReceived, uint64_t(seen.size()));
        QCOMPARE(st.staleResults, uint64_t(0));
        for (size_t i = 1; i < seen.size(); ++i) QVERIFY2(seen[i].frameSeq > seen[i - 1].frameSeq, "results must come in frame order");
    }

private:
    QTemporaryDir dir_;
    QString video_;
    int failAfter_ = 0;
};

QTEST_MAIN(GpuLossTest)
#include "tst_gpu_loss.moc"
