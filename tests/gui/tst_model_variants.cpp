// SPDX-License-Identifier: Apache-2.0
// Model variants in the picker, as a person uses them: SqueezeNet's fp32 file and a compressed
// variant written beside it (NAME.6bit.pcz, percept/models/variants.h) are two entries with
// their kind and size; picking the compressed one (arrow key on the picker) shows its name and
// its weights "resident / on disk" in the overlay with the photo still recognised; switching back
// and forth finds each variant warm (no reload), like switching backend.
#include <QComboBox>
#include <QTemporaryDir>

#include "compressed/model_file.h"
#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "percept/percept.h"

using namespace percept;
using percept::guitest::dropFiles;
using percept::guitest::image;
using percept::guitest::saveScreenshot;

class ModelVariantsTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(guitest::imagesDir());
        const QString original = QDir(guitest::modelsDir()).filePath("squeezenet1.1.onnx");
        PERCEPT_REQUIRE_DATA(original);
        QVERIFY(tmp_.isValid());
        // The model directory Percept searches first: the fp32 file and a compressed variant.
        QVERIFY(QFile::link(original, tmp_.filePath("squeezenet1.1.onnx")));
        compressed::CompressOptions o;
        o.codebook.bits = 6;
        o.codebook.sparsity = 0.1;
        const auto bytes = compressed::writeCompressedModel(Model::load(original.toStdString()).graph(), o);
        QFile f(tmp_.filePath("squeezenet1.1.6bit.pcz"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<qint64>(bytes.size()));
        f.close();
        pczBytes_ = f.size();
        qputenv("PERCEPT_MODELS_DIR", tmp_.path().toLocal8Bit());

        window_ = std::make_unique<ui::MainWindow>();
        window_->resize(1000, 720);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        window_->pipeline()->start({});
        QVERIFY(dropFiles(window_.get(), {image("pelican.jpeg")}));
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->hasResult(), 30000);
    }
    void cleanupTestCase() { window_.reset(); }

    void pickerListsTheVariantsWithTheirSizes() {
        QComboBox* box = window_->findChild<QComboBox*>("modelPicker");
        QVERIFY(box);
        const int fp32 = box->findData("squeezenet1.1"), pcz = box->findData(tmp_.filePath("squeezenet1.1.6bit.pcz"));
        QVERIFY(fp32 >= 0);
        QVERIFY2(pcz == fp32 + 1, "the compressed variant follows its model");
        qInfo("picker: '%s' / '%s'", qPrintable(box->itemText(fp32)), qPrintable(box->itemText(pcz)));
        QCOMPARE(box->itemText(fp32), QStringLiteral("SqueezeNet 1.1 \u00b7 fp32 \u00b7 %1").arg(ui::formatBytes(4948881)));
        QCOMPARE(box->itemText(pcz), QStringLiteral("SqueezeNet 1.1 \u00b7 compressed \u00b7 %1").arg(ui::formatBytes(static_cast<size_t>(pczBytes_))));
    }

    void switchingVariantsKeepsThemWarm() {
        QComboBox* box = window_->findChild<QComboBox*>("modelPicker");
        auto* pipeline = window_->pipeline();
        pipeline->setModel("squeezenet1.1");
        QTRY_VERIFY_WITH_TIMEOUT(overlayModel() == "SqueezeNet 1.1", 30000);
        QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
        const QString fp32Memory = memoryLine();
        QVERIFY2(fp32Memory.contains(ui::formatBytes(4948881) + " on disk"), qPrintable(fp32Memory));

        for (int round = 0; round < 2; ++round) {
            // Down: the compressed variant (the next entry), as a person picks it with the keyboard.
            box->setFocus();
            QTest::keyClick(box, Qt::Key_Down);
            QTRY_VERIFY_WITH_TIMEOUT(overlayModel() == "SqueezeNet 1.1 (compressed)", 60000);
            QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
            QCOMPARE(pipeline->activeModel().warm, round > 0);
            const QString mem = memoryLine();
            qInfo("compressed: %s", qPrintable(mem));
            QVERIFY2(mem.contains(ui::formatBytes(static_cast<size_t>(pczBytes_)) + " on disk"), qPrintable(mem));
            if (round == 0) saveScreenshot(window_.get(), "variant_compressed.png");
            QTest::keyClick(box, Qt::Key_Up);
            QTRY_VERIFY_WITH_TIMEOUT(overlayModel() == "SqueezeNet 1.1", 30000);
            QTRY_VERIFY_WITH_TIMEOUT(top1().startsWith("pelican"), 30000);
            QVERIFY2(pipeline->activeModel().warm, "switching back found the fp32 variant warm");
        }
        saveScreenshot(window_.get(), "variant_fp32.png");
    }

private:
    QString overlayModel() const {
        // The first line: "<model> on <backend> ..." (the overlay's header).
        const QString head = window_->overlay()->textLines().value(0);
        for (const QString& sep : {QStringLiteral(" \u00b7 "), QStringLiteral(" on "), QStringLiteral("  ")}) {
            const int at = head.indexOf(sep);
            if (at > 0) return head.left(at);
        }
        return head;
    }
    QString top1() const { return window_->overlay()->textLines().value(1); }
    QString memoryLine() const {
        for (const QString& l : window_->overlay()->textLines())
            if (l.startsWith("weights:")) return l;
        return {};
    }

    QTemporaryDir tmp_;
    qint64 pczBytes_ = 0;
    std::unique_ptr<ui::MainWindow> window_;
};

QTEST_MAIN(ModelVariantsTest)
#include "tst_model_variants.moc"
