// SPDX-License-Identifier: Apache-2.0
// Teach, driven as a person would: a generated video plays (ffmpeg's testsrc pattern), Ctrl+T
// opens the Teach panel, the object is named "pattern" and captured with the Capture button; a
// second video (mandelbrot) becomes "fractal" the same way; Teach trains in the background
// while the video keeps playing (frames keep arriving, the UI thread never stalls long), the
// loss and held-back accuracy are plotted per epoch, and then the overlay names "pattern" when
// its video plays. A new window (a restart) loads the taught model at once; removing "fractal"
// retrains on "pattern" alone; Reset brings the model's own labels back. Screenshots:
// teach_trained.png, teach_restart.png. The user's data directory is a temporary one.
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTimer>

#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "teach_panel.h"
#include "teach_plot.h"

using namespace percept;

class TeachTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        QVERIFY(data_.isValid() && videos_.isValid());
        qputenv("XDG_DATA_HOME", data_.path().toLocal8Bit());  // the taught objects go here
        pattern_ = videos_.filePath("pattern.mp4");
        fractal_ = videos_.filePath("fractal.mp4");
        PERCEPT_MAKE_TEST_VIDEO(pattern_, 10, 8);
        bool ffmpeg = true;
        const QString why = guitest::makeTestVideo(fractal_, 10, 8, ffmpeg, QStringLiteral("mandelbrot"));
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void teachTwoObjectsAndSeeTheLabel() {
        ui::MainWindow w;
        app::Pipeline* p = start(w);
        QVERIFY(p->openVideo(pattern_));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->hasResult(), 30000);
        const QString before = w.overlay()->topLabelText();

        QTest::keyClick(&w, Qt::Key_T, Qt::ControlModifier);
        ui::TeachPanel* panel = w.teachPanel();
        QTRY_VERIFY(panel->isVisible());
        capture(panel, QStringLiteral("pattern"));
        QVERIFY(p->openVideo(fractal_));
        capture(panel, QStringLiteral("fractal"));
        QCOMPARE(panel->findChild<QListWidget*>("teachObjects")->count(), 2);

        // Train; meanwhile the video must keep playing and the UI thread stay responsive.
        QVERIFY(p->openVideo(pattern_));
        QTest::qWait(500);
        int longestGapMs = 0;
        QElapsedTimer tick;
        tick.start();
        QTimer probe;
        connect(&probe, &QTimer::timeout, this, [&] {
            longestGapMs = std::max(longestGapMs, static_cast<int>(tick.restart()));
        });
        const uint64_t framesBefore = p->stats().framesArrived;
        QElapsedTimer trainTime;
        trainTime.start();
        auto* controller = panel->controller();
        QSignalSpy finished(controller, &app::TeachController::trainingFinished);
        QTest::mouseClick(panel->findChild<QPushButton*>("teachTrain"), Qt::LeftButton);
        probe.start(10);
        tick.restart();
        QVERIFY(controller->training());
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
        probe.stop();
        const double secs = trainTime.elapsed() / 1000.0;
        const double fps = (p->stats().framesArrived - framesBefore) / secs;
        qInfo("training took %.1f s; the video meanwhile: %.1f frames/s arrived; the UI thread's longest gap %d ms", secs, fps, longestGapMs);
        QVERIFY2(fps >= 4.0, "the video must keep playing while the model is taught");
        QVERIFY2(longestGapMs < 500, "the UI thread must not stall while the model is taught");
        const auto outcome = finished.takeFirst().at(0).value<app::TeachOutcome>();
        QVERIFY2(!outcome.path.isEmpty(), qPrintable(w.statusText()));
        QVERIFY(outcome.heldBackAccuracy >= 0.9);
        QCOMPARE(panel->plot()->points(), outcome.epochs);
        QVERIFY(panel->findChild<QLabel*>("teachFigures")->text().contains(QStringLiteral("New head: ")));
        QVERIFY(panel->findChild<QLabel*>("teachResult")->text().contains(QStringLiteral("Held-back pictures recognised: ")));

        // The taught model runs in place of the base one: "pattern" on the pattern video.
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->topLabelText().contains(QStringLiteral("pattern")), 30000);
        QVERIFY2(w.overlay()->textLines().join('\n').contains(QStringLiteral("MobileNet")), qPrintable(w.overlay()->textLines().join('\n')));
        guitest::saveScreenshot(&w, QStringLiteral("teach_trained.png"));
        QVERIFY(p->openVideo(fractal_));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->topLabelText().contains(QStringLiteral("fractal")), 30000);
        qInfo("before teaching the pattern video read \"%s\"", qPrintable(before));
    }

    void loadsTheTaughtModelAtStart() {
        ui::MainWindow w;
        app::Pipeline* p = start(w);
        QVERIFY(p->openVideo(pattern_));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->topLabelText().contains(QStringLiteral("pattern")), 30000);
        QTest::keyClick(&w, Qt::Key_T, Qt::ControlModifier);
        QTRY_COMPARE(w.teachPanel()->findChild<QListWidget*>("teachObjects")->count(), 2);
        guitest::saveScreenshot(&w, QStringLiteral("teach_restart.png"));

        // Remove "fractal": retrained on "pattern" alone.
        ui::TeachPanel* panel = w.teachPanel();
        auto* list = panel->findChild<QListWidget*>("teachObjects");
        list->setCurrentRow(1);
        QSignalSpy finished(panel->controller(), &app::TeachController::trainingFinished);
        QTest::mouseClick(panel->findChild<QPushButton*>("teachRemove"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
        QCOMPARE(list->count(), 1);
        QVERIFY(p->openVideo(fractal_));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->hasResult() && !w.overlay()->topLabelText().contains(QStringLiteral("fractal")), 30000);

        // Reset: the model's own labels again, nothing left on disk.
        QTest::mouseClick(panel->findChild<QPushButton*>("teachReset"), Qt::LeftButton);
        QCOMPARE(list->count(), 0);
        QVERIFY(p->openVideo(pattern_));
        QTest::qWait(1500);
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->hasResult() && !w.overlay()->topLabelText().contains(QStringLiteral("pattern")), 30000);
        QVERIFY(panel->controller()->store().taughtModels().isEmpty());
    }

private:
    // The window shown, its pipeline started on the small MobileNet (CPU, one thread).
    static app::Pipeline* start(ui::MainWindow& w) {
        w.resize(1200, 760);
        w.show();
        if (!QTest::qWaitForWindowExposed(&w)) qWarning("the window was not exposed");
        w.pipeline()->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 1});
        return w.pipeline();
    }

    // Names the object and captures it with the panel's button, as a person would.
    void capture(ui::TeachPanel* panel, const QString& name) {
        auto* edit = panel->findChild<QLineEdit*>("teachName");
        edit->selectAll();
        QTest::keyClicks(edit, name);
        QTest::mouseClick(panel->findChild<QPushButton*>("teachCapture"), Qt::LeftButton);
        QVERIFY(panel->controller()->capturing());
        QTRY_VERIFY_WITH_TIMEOUT(!panel->controller()->capturing(), 30000);
        QCOMPARE(panel->controller()->captured(), app::TeachController::kCaptureFrames);
    }

    QTemporaryDir data_, videos_;
    QString pattern_, fractal_;
};

QTEST_MAIN(TeachTest)
#include "tst_teach.moc"
