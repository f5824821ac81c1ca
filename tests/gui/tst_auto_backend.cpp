// The Auto backend (issue 13) on a generated 30 fps video with the CPU and lavapipe. One
// backend is made slow for real through the worker's test hook (a sleep inside each of its
// timed runs), and Auto must pick the other: on battery because only the other keeps up with
// the video, plugged in because it has the lower latency. With no backend slowed and on
// battery, Auto must pick the lower energy per inference. A power-state or model change makes
// it measure again; the overlay and the Auto button say what it chose and why.
#include <QPushButton>
#include <QTemporaryDir>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "pipeline/inference_worker.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;
using percept::app::PowerState;

class AutoBackendTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        PERCEPT_REQUIRE_VULKAN();
        QVERIFY(dir_.isValid());
        video_ = dir_.filePath("testsrc.mp4");
        PERCEPT_MAKE_TEST_VIDEO(video_, 30, 6);
    }

    void choosesTheBetterBackend() {
        ui::MainWindow w;
        w.resize(1000, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
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
        expectDecision(1, Backend::Cpu, QStringLiteral("only CPU keeps up with 30 fps"));
        guitest::saveScreenshot(&w, "auto_cpu.png");

        // 2. Now the CPU is the slow one; plugging in makes Auto measure again: lowest latency.
        p->setTestDelay(Backend::Vulkan, 0);
        p->setTestDelay(Backend::Cpu, 120);
        p->setPowerState(PowerState::Ac);
        expectDecision(2, Backend::Vulkan, QStringLiteral("plugged in: lowest latency"));
        guitest::saveScreenshot(&w, "auto_gpu.png");

        // 3. Unplugged again, the CPU still slow: only the GPU keeps up.
        p->setPowerState(PowerState::Battery);
        expectDecision(3, Backend::Vulkan, QStringLiteral("only GPU (Vulkan) keeps up"));

        // 4. Nothing slowed, a model change: both keep up, so the lower energy per inference.
        p->setTestDelay(Backend::Cpu, 0);
        p->setModel(QStringLiteral("mobilenet_v1_0.5_160"));
        QTRY_VERIFY_WITH_TIMEOUT(decisions.size() >= 4, 60000);
        const Decision d = decisions[3];
        qInfo("decision 4: %s: %s", backendName(d.backend), qPrintable(d.reason));
        const QRegularExpression mj(QStringLiteral("lowest energy per inference \\(([0-9.]+) vs ([0-9.]+) mJ"));
        const auto m = mj.match(d.reason);
        QVERIFY2(m.hasMatch(), qPrintable(d.reason));
        QVERIFY(m.captured(1).toDouble() <= m.captured(2).toDouble());
        QVERIFY(d.reason.contains("both keep up"));

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

QTEST_MAIN(AutoBackendTest)
#include "tst_auto_backend.moc"
