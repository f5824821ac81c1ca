// SPDX-License-Identifier: Apache-2.0
// Dropping photos on the window (real QDragEnter/QDrop events) shows the model's top-1 in the
// overlay within a time bound; a folder becomes a slideshow; the window also works at a phone's
// portrait size. Uses the default model, whose labels for these photos are certain (README of
// ../shared/models: pelican 1.000, macaw 0.998).
#include <QClipboard>
#include <QElapsedTimer>
#include <QMenuBar>
#include <QStatusBar>

#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "percept/models/manifest.h"
#include "video_view.h"

using namespace percept;
using percept::guitest::dropFiles;
using percept::guitest::image;
using percept::guitest::saveScreenshot;

class DropPhotoTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(guitest::imagesDir());
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath(QString::fromStdString(models::defaultManifest().file)));
        window_ = std::make_unique<ui::MainWindow>();
        window_->resize(1000, 720);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        window_->pipeline()->start({});  // the default model, all threads, CPU
    }
    void cleanupTestCase() { window_.reset(); }

    void dropPhotoShowsExpectedTop1_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("label");
        QTest::newRow("pelican") << "pelican.jpeg" << "pelican";
        QTest::newRow("parrot") << "parrot.jpg" << "macaw";
    }
    void dropPhotoShowsExpectedTop1() {
        QFETCH(QString, file);
        QFETCH(QString, label);
        const QString path = image(file.toUtf8().constData());
        PERCEPT_REQUIRE_DATA(path);
        QElapsedTimer t;
        t.start();
        QVERIFY2(dropFiles(window_.get(), {path}), "the window refused the drop");
        QTRY_COMPARE_WITH_TIMEOUT(window_->overlay()->topLabelText(), label, 30000);
        qInfo("%s -> %s in %lld ms %s", qPrintable(file), qPrintable(label), t.elapsed(),
              file.startsWith("pelican") ? " (includes loading the model)" : "");
        QVERIFY(window_->videoView()->hasFrame());
        QVERIFY(window_->overlay()->backendText().startsWith("CPU"));
        QVERIFY(window_->statusText().contains(file) || !window_->statusIsError());
        // Let the end-to-end figure appear, then look at it.
        window_->pipeline()->rerunStill();
        QTRY_VERIFY_WITH_TIMEOUT(window_->pipeline()->stats().endToEndSamples > 0, 10000);
        saveScreenshot(window_.get(), QStringLiteral("drop_%1.png").arg(QFileInfo(file).baseName()));
    }

    void dropFolderStartsSlideshow() {
        const quint64 before = window_->overlay()->shownFrameSeq();
        QVERIFY(dropFiles(window_.get(), {guitest::imagesDir()}));
        QTRY_VERIFY_WITH_TIMEOUT(window_->pipeline()->sourceDescription().startsWith("slideshow"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(window_->overlay()->shownFrameSeq() > before, 20000);
        QVERIFY(!window_->overlay()->topLabelText().isEmpty());
    }

    void dropSeveralPhotosMakesSlideshow() {
        QVERIFY(dropFiles(window_.get(), {image("coffee.png"), image("pelican.jpeg")}));
        QTRY_VERIFY_WITH_TIMEOUT(window_->pipeline()->sourceDescription().contains("(1/2: coffee.png)"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(window_->overlay()->topLabelText(), QStringLiteral("espresso"), 20000);
    }

    void pasteFromClipboardWithShortcut() {
        const QString path = image("bird.png");
        PERCEPT_REQUIRE_DATA(path);
        QImage img(path);
        QVERIFY(!img.isNull());
        QGuiApplication::clipboard()->setImage(img);
        QVERIFY(QTest::qWaitForWindowActive(window_.get()));
        QTest::keyClick(window_.get(), Qt::Key_V, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(window_->pipeline()->sourceDescription(), QStringLiteral("pasted picture"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(window_->overlay()->topLabelText(), QStringLiteral("chickadee"), 20000);
    }

    void overlayToggleKeepsResultsFlowing() {
        QVERIFY(window_->overlay()->isVisible());
        QTest::keyClick(window_.get(), Qt::Key_O);
        QVERIFY(!window_->overlay()->isVisible());
        const uint64_t before = window_->pipeline()->stats().resultsShown;
        window_->pipeline()->rerunStill();
        QTRY_VERIFY_WITH_TIMEOUT(window_->pipeline()->stats().resultsShown > before, 10000);
        saveScreenshot(window_.get(), "overlay_hidden.png");
        QTest::keyClick(window_.get(), Qt::Key_O);
        QVERIFY(window_->overlay()->isVisible());
    }

    void portraitPhoneLayout() {
        const QString path = image("hot_dog.jpg");
        PERCEPT_REQUIRE_DATA(path);
        window_->resize(400, 760);
        QVERIFY(dropFiles(window_.get(), {path}));
        QTRY_COMPARE_WITH_TIMEOUT(window_->overlay()->topLabelText(), QStringLiteral("hotdog"), 20000);
        qInfo("window min %d, width %d, controls %d (min %d), statusbar min %d, menubar min %d", window_->minimumSizeHint().width(), window_->width(),
              window_->controls()->width(), window_->controls()->minimumSizeHint().width(), window_->statusBar()->minimumSizeHint().width(),
              window_->menuBar()->minimumSizeHint().width());
        QTRY_VERIFY_WITH_TIMEOUT(window_->controls()->width() <= 400, 2000);
        QCoreApplication::processEvents();
        saveScreenshot(window_.get(), QStringLiteral("portrait_hot_dog.png"));
        window_->resize(1000, 720);
    }

private:
    std::unique_ptr<ui::MainWindow> window_;
};

QTEST_MAIN(DropPhotoTest)
#include "tst_drop_photo.moc"
