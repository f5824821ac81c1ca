// SPDX-License-Identifier: Apache-2.0
// What goes wrong must be said in the window, and the app must keep working: no camera (the
// empty state invites a drop), a corrupt photo, a corrupt model, a video that cannot play, an
// unavailable GPU backend. Runs with VK_DRIVER_FILES pointing nowhere (see CMakeLists.txt), so
// the unavailable-GPU path is exercised even on a machine with a Vulkan device.
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QMediaDevices>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>

#include "compare_view.h"
#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "model_settings_dialog.h"
#include "overlay_widget.h"
#include "percept/backend.h"
#include "video_view.h"

using namespace percept;
using percept::guitest::dropFiles;
using percept::guitest::saveScreenshot;

class ErrorsTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        PERCEPT_REQUIRE_DATA(guitest::image("chelsea.png"));
        PERCEPT_REQUIRE_DATA(guitest::image("coffee.png"));
        QVERIFY(tmp_.isValid());
        w_ = std::make_unique<ui::MainWindow>();
        w_->resize(900, 640);
        w_->show();
        QVERIFY(QTest::qWaitForWindowExposed(w_.get()));
        w_->pipeline()->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 1});
        QTRY_COMPARE_WITH_TIMEOUT(w_->pipeline()->activeModelKey(), QStringLiteral("mobilenet_v1_0.25_128"), 30000);
    }
    void cleanupTestCase() { w_.reset(); }

    void noCameraShowsFriendlyEmptyState() {
        if (!QMediaDevices::videoInputs().isEmpty()) QSKIP("this machine has a camera");
        QVERIFY(!w_->pipeline()->openDefaultCamera());
        QVERIFY(!w_->videoView()->hasFrame());
        QVERIFY(w_->videoView()->emptyStateText().contains("No camera found"));
        QVERIFY(w_->videoView()->emptyStateText().contains("Drop"));
        QVERIFY(w_->statusText().contains("No camera"));
        QVERIFY(!w_->statusIsError());  // an invitation, not an error
        QVERIFY(QApplication::activeModalWidget() == nullptr);
        saveScreenshot(w_.get(), "no_camera.png");
        stillWorks();
    }

    void corruptImageIsReported() {
        stillWorks("chelsea.png");
        const QString bad = tmp_.filePath("broken.png");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("\x89PNG\r\n\x1a\n this is not really a PNG file");
        f.close();
        QVERIFY(dropFiles(w_.get(), {bad}));
        QTRY_VERIFY_WITH_TIMEOUT(w_->statusText().contains("Cannot open image"), 5000);
        QVERIFY(w_->statusText().contains("broken.png"));
        QVERIFY(w_->statusIsError());
        QVERIFY(w_->videoView()->hasFrame());  // the previous photo stays
        QVERIFY(QApplication::activeModalWidget() == nullptr);
        saveScreenshot(w_.get(), "corrupt_image.png");
        stillWorks();
    }

    void corruptModelIsReported() {
        const QString bad = tmp_.filePath("broken.onnx");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, '\x5a'));
        f.close();
        const int modelsBefore = w_->controls()->modelBox()->count();
        QVERIFY(dropFiles(w_.get(), {bad}));
        QTRY_VERIFY_WITH_TIMEOUT(w_->statusText().contains("Could not load model"), 10000);
        QVERIFY(w_->statusText().contains("broken.onnx"));
        QVERIFY(w_->statusIsError());
        QCOMPARE(w_->controls()->modelBox()->count(), modelsBefore);  // not added to the picker
        QCOMPARE(w_->pipeline()->activeModelKey(), QStringLiteral("mobilenet_v1_0.25_128"));
        saveScreenshot(w_.get(), "corrupt_model.png");
        stillWorks();
        QVERIFY(w_->overlay()->textLines().value(0).contains("MobileNetV1 0.25"));
    }

    void droppedModelJoinsPicker() {
        // A copy of a known model under another name: no manifest matches it, so the input size
        // comes from the model, the input convention from a calibration on the reference photos
        // and the labels from the ImageNet convention.
        const QString copy = tmp_.filePath("my_tiny_net.onnx");
        QVERIFY(QFile::copy(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"), copy));
        QVERIFY(dropFiles(w_.get(), {copy}));
        QTRY_COMPARE_WITH_TIMEOUT(w_->pipeline()->activeModelKey(), copy, 20000);
        QVERIFY(w_->controls()->modelBox()->findData(copy) >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(w_->overlay()->textLines().value(0).contains("my_tiny_net.onnx"), 20000);
        QVERIFY(!w_->overlay()->topLabelText().startsWith("class "));  // labels were found
        // (shown once the earlier error has been up long enough: look in the message log)
        QVERIFY(!w_->messageLog().filter("no manifest").isEmpty());
        QVERIFY(!w_->messageLog().filter("calibrated").isEmpty());
        QVERIFY(!w_->pipeline()->activeModel().hasManifest);

        // The user tells the app how this model wants its input (Model > Input and Labels...),
        // starting from what the calibration found: MobileNet's [-1, 1] scaling. With it, the
        // tiny model sees chelsea.png as the README says.
        ui::ModelSettingsDialog dlg(w_->pipeline()->activeModel(), w_.get());
        QCOMPARE(dlg.normalization()->currentIndex(), 1);  // calibrated: ±1
        QCOMPARE(dlg.labelOffset()->value(), 1);          // 1001 outputs: background first
        dlg.normalization()->setCurrentIndex(1);
        app::ModelSettings s;
        QString err;
        QVERIFY2(dlg.settings(&s, &err), qPrintable(err));
        QCOMPARE(int(s.input.normalization), int(models::Normalization::MinusOneOne));
        QVERIFY(dropFiles(w_.get(), {guitest::image("chelsea.png")}));
        w_->pipeline()->setModelSettings(copy, s);
        QTRY_VERIFY_WITH_TIMEOUT(w_->pipeline()->activeModel().userSettings, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(w_->overlay()->topLabelText(), QStringLiteral("Egyptian cat"), 20000);
        saveScreenshot(w_.get(), "dropped_model.png");
        // Back to the built-in model through the picker.
        QComboBox* box = w_->controls()->modelBox();
        const int i = box->findData(QStringLiteral("mobilenet_v1_0.25_128"));
        QVERIFY(i >= 0);
        box->setCurrentIndex(i);
        emit box->activated(i);
        QTRY_COMPARE_WITH_TIMEOUT(w_->pipeline()->activeModelKey(), QStringLiteral("mobilenet_v1_0.25_128"), 20000);
    }

    void unplayableVideoIsReported() {
        const QString bad = tmp_.filePath("broken.mp4");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(20000, '\x11'));
        f.close();
        QVERIFY(dropFiles(w_.get(), {bad}));
        QTRY_VERIFY_WITH_TIMEOUT(w_->statusText().contains("Cannot play"), 20000);
        QVERIFY(w_->statusIsError());
        QVERIFY(w_->videoView()->emptyStateText().contains("broken.mp4"));
        saveScreenshot(w_.get(), "broken_video.png");
        stillWorks();
    }

    void unavailableGpuIsShownNotHidden() {
        std::string why;
        if (backendAvailable(Backend::Vulkan, &why)) QSKIP("a Vulkan device is visible despite VK_DRIVER_FILES");
        const QString expected = QStringLiteral("GPU (Vulkan) unavailable: %1").arg(QString::fromStdString(why));
        QPushButton* gpu = w_->controls()->gpuButton();
        QVERIFY(gpu->isVisible());
        QVERIFY(!gpu->isEnabled());
        QCOMPARE(w_->controls()->gpuNote(), expected);
        // The shortcut still asks; the answer is a message and the CPU carries on.
        w_->pipeline()->setBackend(Backend::Vulkan);
        QTRY_VERIFY_WITH_TIMEOUT(w_->statusText().contains(expected), 5000);
        QVERIFY(w_->statusIsError());
        QCOMPARE(w_->pipeline()->activeBackend(), Backend::Cpu);
        stillWorks("chelsea.png");
        QVERIFY(w_->overlay()->backendText().startsWith("CPU"));
        saveScreenshot(w_.get(), "gpu_unavailable.png");
    }

    // ---- compare mode without a GPU shows the CPU alone and says why; Auto
    // picks the only backend.
    void compareWithoutGpuDegradesToOneSide() {
        std::string why;
        if (backendAvailable(Backend::Vulkan, &why)) QSKIP("a Vulkan device is visible despite VK_DRIVER_FILES");
        QTest::mouseClick(w_->controls()->compareButton(), Qt::LeftButton);
        QTRY_VERIFY(w_->compareView()->isVisible());
        const uint64_t before = w_->compareView()->overlay(0)->shownFrameSeq();
        QVERIFY(dropFiles(w_.get(), {guitest::image("chelsea.png")}));
        QTRY_VERIFY_WITH_TIMEOUT(w_->compareView()->overlay(0)->shownFrameSeq() > before, 20000);
        QVERIFY(!w_->compareView()->secondSideShown());
        QVERIFY(w_->compareView()->overlay(0)->backendText().startsWith("CPU"));
        const QString note = w_->compareView()->agreementText();
        QVERIFY2(note.contains(QStringLiteral("GPU (Vulkan) unavailable: %1").arg(QString::fromStdString(why))) &&
                     note.contains("showing the CPU only"),
                 qPrintable(note));
        QVERIFY(!w_->compareView()->overlay(0)->topLabelText().isEmpty());
        QTest::qWait(100);  // the layout settles without the second side
        saveScreenshot(w_.get(), "compare_without_gpu.png");
        QTest::mouseClick(w_->controls()->compareButton(), Qt::LeftButton);
        QTRY_VERIFY(!w_->compareView()->isVisible() && w_->videoView()->isVisible());

        QTest::mouseClick(w_->controls()->autoButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w_->overlay()->textLines().filter("Auto \u2192 CPU: the only backend").size() == 1, 20000);
        QVERIFY(w_->overlay()->textLines().filter(QString::fromStdString(why)).size() == 1);
        QTest::mouseClick(w_->controls()->cpuButton(), Qt::LeftButton);
        QTRY_VERIFY(!w_->pipeline()->autoBackend());
    }

private:
    // Drops a good photo and waits for a result on it: "the app keeps working".
    void stillWorks(const char* photo = "coffee.png") {
        const uint64_t before = w_->overlay()->shownFrameSeq();
        QVERIFY(dropFiles(w_.get(), {guitest::image(photo)}));
        QTRY_VERIFY_WITH_TIMEOUT(w_->overlay()->shownFrameSeq() > before && !w_->overlay()->topLabelText().isEmpty(), 20000);
        QVERIFY(w_->videoView()->hasFrame());
    }

    QTemporaryDir tmp_;
    std::unique_ptr<ui::MainWindow> w_;
};

QTEST_MAIN(ErrorsTest)
#include "tst_errors.moc"
