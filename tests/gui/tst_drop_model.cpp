// SPDX-License-Identifier: Apache-2.0
// Dropping a classifier no manifest names gives the right answer, as a user would see it: each
// shared model copied under another name and dropped on the window is calibrated to its input
// convention (the status line says so) and shows the same top-5 as the model picked by its
// manifest; a model that ends in Softmax shows its own probabilities (not softmaxed twice).
#include <QStatusBar>
#include <QTemporaryDir>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "model_file_edit.h"
#include "overlay_widget.h"
#include "common/test_manifests.h"
#include "percept/models/manifest.h"

using namespace percept;
using percept::guitest::dropFiles;
using percept::guitest::image;
using percept::guitest::saveScreenshot;

class DropModelTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(guitest::imagesDir());
        QVERIFY(tmp_.isValid());
        window_ = std::make_unique<ui::MainWindow>();
        window_->resize(1000, 720);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        window_->pipeline()->start({});
        // One photo for the whole test: chelsea (three cat classes share the probability, so
        // the probabilities, not only the top-1, show whether the input is prepared right).
        QVERIFY(dropFiles(window_.get(), {image("chelsea.png")}));
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->hasResult(), 30000);
    }
    void cleanupTestCase() { window_.reset(); }

    void renamedModelShowsTheManifestsTop5_data() {
        QTest::addColumn<QString>("manifest");
        for (const auto* m : percept::testing::testDataManifests()) QTest::newRow(m->name.c_str()) << QString::fromStdString(m->name);
    }
    void renamedModelShowsTheManifestsTop5() {
        QFETCH(QString, manifest);
        const models::Manifest* m = models::findManifest(manifest.toStdString());
        QVERIFY(m);
        const QString original = QDir(guitest::modelsDir()).filePath(QString::fromStdString(m->file));
        PERCEPT_REQUIRE_DATA(original);

        window_->pipeline()->setModel(manifest);
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->hasResult() && window_->overlay()->textLines().value(0).startsWith(QString::fromStdString(m->displayName)), 30000);
        const QStringList want = top5(window_->overlay()->textLines());

        const QString dropped = tmp_.filePath("my_classifier_" + manifest + ".onnx");
        QVERIFY(QFile::copy(original, dropped));
        QVERIFY2(dropFiles(window_.get(), {dropped}), "the window refused the model");
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->textLines().value(0).startsWith(QFileInfo(dropped).fileName()), 60000);
        const QStringList got = top5(window_->overlay()->textLines());
        qInfo("%s: %s | status: %s", qPrintable(manifest), qPrintable(got.join(", ")), qPrintable(window_->statusText()));
        QCOMPARE(got, want);
        QVERIFY2(window_->statusText().contains("calibrated"), qPrintable(window_->statusText()));
        saveScreenshot(window_.get(), QStringLiteral("dropped_model_%1.png").arg(manifest));
    }

    void modelEndingInSoftmaxShowsItsProbabilities() {
        const models::Manifest* m = models::findManifest("squeezenet1.1");
        const QString original = QDir(guitest::modelsDir()).filePath(QString::fromStdString(m->file));
        PERCEPT_REQUIRE_DATA(original);
        window_->pipeline()->setModel("squeezenet1.1");
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->textLines().value(0).startsWith(QString::fromStdString(m->displayName)), 30000);
        const QStringList want = top5(window_->overlay()->textLines());
        const QString withSoftmax = tmp_.filePath("squeezenet_with_softmax.onnx");
        tools::writeWithSoftmaxOutput(original.toStdString(), withSoftmax.toStdString());
        QVERIFY(dropFiles(window_.get(), {withSoftmax}));
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->textLines().value(0).startsWith("squeezenet_with_softmax.onnx"), 60000);
        const QStringList got = top5(window_->overlay()->textLines());
        qInfo("with Softmax: %s", qPrintable(got.join(", ")));
        QCOMPARE(got, want);  // "Egyptian cat  49.1%", not 0.2 %
        saveScreenshot(window_.get(), "dropped_model_softmax.png");
    }

private:
    // The overlay's five label lines ("tabby  27.8%").
    static QStringList top5(const QStringList& lines) { return lines.mid(1, 5); }

    QTemporaryDir tmp_;
    std::unique_ptr<ui::MainWindow> window_;
};

QTEST_MAIN(DropModelTest)
#include "tst_drop_model.moc"
