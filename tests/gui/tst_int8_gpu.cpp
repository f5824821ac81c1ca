// SPDX-License-Identifier: Apache-2.0
// An int8 model on the GPU, as a person uses it: SqueezeNet's int8 variant (NAME.int8.onnx
// beside the model, made by the int8_models CTest fixture with percept-quantize) picked in the
// model picker, then the backend switched to the GPU with its keyboard shortcut: the overlay
// says GPU (Vulkan) and the int8 variant, and the photo is still recognised (Vulkan's int8
// kernels, inference/INT8.md). Where the machine has no Vulkan device, the switch is refused
// with the reason and the int8 model keeps running on the CPU.
#include <QComboBox>
#include <QPushButton>
#include <QTemporaryDir>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "percept/percept.h"

using namespace percept;

class Int8GpuTest : public QObject {
    Q_OBJECT
private slots:
    void int8VariantRunsOnTheGpu() {
        PERCEPT_REQUIRE_DATA(guitest::imagesDir());
        const QString original = QDir(guitest::modelsDir()).filePath("squeezenet1.1.onnx");
        const QString int8 = QStringLiteral(PERCEPT_TEST_INT8_DIR "/models/squeezenet1.1.int8.onnx");
        PERCEPT_REQUIRE_DATA(original);
        PERCEPT_REQUIRE_DATA(int8);
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QVERIFY(QFile::link(original, tmp.filePath("squeezenet1.1.onnx")));
        QVERIFY(QFile::link(int8, tmp.filePath("squeezenet1.1.int8.onnx")));
        qputenv("PERCEPT_MODELS_DIR", tmp.path().toLocal8Bit());

        ui::MainWindow w;
        current_ = &w;
        w.resize(1000, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.pipeline()->start({});
        QVERIFY(guitest::dropFiles(&w, {guitest::image("pelican.jpeg")}));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->hasResult(), 30000);

        // SqueezeNet, then its int8 variant (the next entry), picked with the keyboard.
        QComboBox* box = w.findChild<QComboBox*>("modelPicker");
        QVERIFY(box);
        w.pipeline()->setModel("squeezenet1.1");
        QTRY_VERIFY_WITH_TIMEOUT(header().startsWith(QStringLiteral("SqueezeNet 1.1")), 30000);
        const int at = box->findData(tmp.filePath("squeezenet1.1.int8.onnx"));
        QVERIFY2(at >= 0, "the picker lists the int8 variant");
        QCOMPARE(at, box->findData("squeezenet1.1") + 1);
        QVERIFY2(box->itemText(at).contains(QStringLiteral("int8")), qPrintable(box->itemText(at)));
        box->setFocus();
        QTest::keyClick(box, Qt::Key_Down);
        QCOMPARE(box->currentIndex(), at);
        QTRY_VERIFY_WITH_TIMEOUT(header().contains(QStringLiteral("int8")), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
        QVERIFY(w.overlay()->backendText().startsWith("CPU"));

        // -> GPU, through the keyboard shortcut.
        std::string why;
        const bool gpu = backendAvailable(Backend::Vulkan, &why);
        QTest::keyClick(&w, Qt::Key_G);
        if (!gpu) {
            QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(QStringLiteral("GPU (Vulkan) unavailable")), 10000);
            QVERIFY(w.overlay()->backendText().startsWith("CPU"));
            QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
            guitest::saveScreenshot(&w, "int8_gpu_unavailable.png");
            current_ = nullptr;
            return;
        }
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->backendText().startsWith("GPU (Vulkan)"), 60000);
        QVERIFY(w.controls()->gpuButton()->isChecked());
        QTRY_VERIFY_WITH_TIMEOUT(header().contains(QStringLiteral("int8")), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
        QVERIFY2(!w.statusText().contains(QStringLiteral("unavailable")), qPrintable(w.statusText()));
        qInfo("overlay on the GPU: %s", qPrintable(w.overlay()->textLines().join(" | ")));
        guitest::saveScreenshot(&w, "int8_gpu.png");
        current_ = nullptr;
    }

private:
    QString header() const { return current_ ? current_->overlay()->textLines().value(0) : QString(); }
    QString top1() const { return current_ ? current_->overlay()->textLines().value(1) : QString(); }
    ui::MainWindow* current_ = nullptr;
};

QTEST_MAIN(Int8GpuTest)
#include "tst_int8_gpu.moc"
