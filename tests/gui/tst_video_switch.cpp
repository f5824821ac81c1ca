// SPDX-License-Identifier: Apache-2.0
// A generated video (ffmpeg testsrc, made here) plays as the source while the backend is
// switched CPU -> GPU -> CPU. Frames must keep arriving throughout, every result must be shown
// (none lost, none stale: frame sequence numbers strictly increase and the overlay always shows
// the newest processed frame), and the overlay must name the active backend. Without a usable
// GPU the window must say "GPU (Vulkan) unavailable: ..." and carry on with the CPU.
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

namespace {
struct Seen {
    uint64_t seq;
    percept::Backend backend;
    uint64_t overlaySeqAfter;  // what the overlay showed right after this result was delivered
    uint64_t framesArrived;    // frames that had arrived by then
};
}  // namespace

class VideoSwitchTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("testsrc.mp4");
        PERCEPT_MAKE_TEST_VIDEO(video_, 30, 6);
    }

    void switchBackendsWhilePlaying() {
        ui::MainWindow w;
        w.resize(960, 680);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        app::Pipeline* p = w.pipeline();
        std::vector<Seen> seen;
        // Connected after the window's own connection, so the overlay has been updated already.
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult& r, const PipelineStats& s) {
            seen.push_back({r.frameSeq, r.backend, w.overlay()->shownFrameSeq(), s.framesArrived});
        });
        p->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 1});
        QVERIFY(p->openVideo(video_));

        auto resultsOn = [&](Backend b) {
            return std::count_if(seen.begin(), seen.end(), [b](const Seen& s) { return s.backend == b; });
        };
        auto phase = [&](const char* name, Backend expect, int ms) {
            const uint64_t frames0 = p->stats().framesArrived;
            const size_t results0 = seen.size();
            QElapsedTimer t;
            t.start();
            QTest::qWait(ms);
            const double secs = t.elapsed() / 1000.0;
            const uint64_t frames = p->stats().framesArrived - frames0;
            const size_t results = seen.size() - results0;
            qInfo("%s: %.1f frames/s arrived, %.1f results/s shown (%s), end-to-end median %.1f ms", name, frames / secs,
                  results / secs, backendName(expect), p->stats().endToEndMedianMs);
            return std::make_pair(frames, results);
        };

        // CPU first.
        QTRY_VERIFY_WITH_TIMEOUT(resultsOn(Backend::Cpu) >= 3, 30000);
        auto [f1, r1] = phase("cpu", Backend::Cpu, 1500);
        QVERIFY2(f1 >= 10, "the video must keep playing");
        QVERIFY2(r1 >= 3, "results must keep coming on the CPU");
        QVERIFY(w.overlay()->backendText().startsWith("CPU"));
        guitest::saveScreenshot(&w, "video_cpu.png");

        // -> GPU, through the keyboard shortcut the user has.
        std::string why;
        const bool gpu = backendAvailable(Backend::Vulkan, &why);
        QTest::keyClick(&w, Qt::Key_G);
        if (gpu) {
            QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->backendText().startsWith("GPU (Vulkan)"), 60000);
            QVERIFY(w.controls()->gpuButton()->isChecked());
            auto [f2, r2] = phase("gpu", Backend::Vulkan, 2000);
            QVERIFY(f2 >= 10);
            QVERIFY(r2 >= 1);
            guitest::saveScreenshot(&w, "video_gpu.png");
        } else {
            const QString expected = QStringLiteral("GPU (Vulkan) unavailable: %1").arg(QString::fromStdString(why));
            QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(expected), 10000);
            QVERIFY(!w.controls()->gpuButton()->isEnabled());
            QVERIFY(w.controls()->gpuButton()->isVisible());
            QCOMPARE(w.controls()->gpuNote(), expected);
            QVERIFY(w.controls()->cpuButton()->isChecked());
            const auto cpuBefore = resultsOn(Backend::Cpu);
            auto [f2, r2] = phase("gpu unavailable -> cpu", Backend::Cpu, 1500);
            QVERIFY2(f2 >= 10, "the video must keep playing");
            QVERIFY2(resultsOn(Backend::Cpu) >= cpuBefore + 3, "frames must keep arriving on the CPU");
            QCOMPARE(resultsOn(Backend::Vulkan), 0);
            guitest::saveScreenshot(&w, "video_gpu_unavailable.png");
        }

        // -> CPU again: the warm session makes it immediate.
        QElapsedTimer back;
        back.start();
        const size_t n0 = seen.size();
        w.controls()->cpuButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(seen.size() > n0 && seen.back().backend == Backend::Cpu && w.overlay()->backendText().startsWith("CPU"),
                                 10000);
        qInfo("back on the CPU after %lld ms", back.elapsed());
        auto [f3, r3] = phase("cpu again", Backend::Cpu, 1500);
        QVERIFY(f3 >= 10);
        QVERIFY(r3 >= 3);

        // Nothing lost, nothing stale.
        p->stopSource();
        QTest::qWait(300);  // let an in-flight result land
        const PipelineStats& st = p->stats();
        QCOMPARE(st.staleResults, uint64_t(0));
        QCOMPARE(st.resultsShown, st.resultsReceived);
        QCOMPARE(st.resultsShown, uint64_t(seen.size()));
        std::vector<uint64_t> lags;
        for (size_t i = 0; i < seen.size(); ++i) {
            if (i) QVERIFY2(seen[i].seq > seen[i - 1].seq, "results must come in frame order");
            QCOMPARE(seen[i].overlaySeqAfter, seen[i].seq);  // the overlay shows the newest processed frame
            QVERIFY(seen[i].seq <= seen[i].framesArrived);
            lags.push_back(seen[i].framesArrived - seen[i].seq);
        }
        QCOMPARE(w.overlay()->shownFrameSeq(), seen.back().seq);
        std::sort(lags.begin(), lags.end());
        qInfo("%zu results over %llu frames (%llu dropped by the mailbox); median lag %llu frames; end-to-end median %.1f ms",
              seen.size(), static_cast<unsigned long long>(st.framesArrived), static_cast<unsigned long long>(st.framesDropped),
              static_cast<unsigned long long>(lags[lags.size() / 2]), st.endToEndMedianMs);
        // A latest-frame mailbox never builds a queue: results are for (nearly) the newest frame.
        QVERIFY2(lags[lags.size() / 2] <= 3, "results lag behind the video: frames are queueing");
    }

private:
    QTemporaryDir dir_;
    QString video_;
};

QTEST_MAIN(VideoSwitchTest)
#include "tst_video_switch.moc"
