// SPDX-License-Identifier: Apache-2.0
// The app's model download (Qt Network: app/pipeline/model_downloader.cpp) against a real HTTP
// server on 127.0.0.1 (tests/common/local_http_server.h): the file arrives, through a redirect,
// and is checked before use; a wrong file, a truncated transfer, a 404 and no network each end
// in a clear message with the manual steps and leave nothing in the cache. Then in the window,
// as a person sees it: choosing a model this machine does not have opens the download window,
// whose progress bar advances, and a failure there shows the reason and what to do by hand
// while the previous model keeps running. PERCEPT_MODELS_URL points the app at the local server.
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <random>

#include "common/local_http_server.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "model_download_dialog.h"
#include "percept/models/model_download.h"
#include "percept/models/model_store.h"
#include "pipeline/model_downloader.h"
#include "pipeline/pipeline.h"

using namespace percept;
using percept::guitest::saveScreenshot;
using percept::testing::LocalHttpServer;
using Route = LocalHttpServer::Route;

class ModelDownloadTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY(server_.ok());
        qputenv("XDG_CACHE_HOME", tmp_.filePath("cache").toLocal8Bit());
        qunsetenv("PERCEPT_MODELS_URL");
        std::mt19937 rng(11);
        body_.resize(600000);
        for (auto& c : body_) c = static_cast<char>(rng());
        manifest_.name = "percept-qt-download-test";
        manifest_.displayName = "Qt download test";
        manifest_.file = "percept-qt-download-test.onnx";
        models::DownloadSource d;
        d.file = manifest_.file;
        d.bytes = static_cast<long long>(body_.size());
        d.sha256 = models::sha256Hex(body_.data(), body_.size());
        manifest_.download = d;
        server_.route("/raw/m.onnx", Route::redirect("/lfs/m.onnx"));
        server_.route("/lfs/m.onnx", Route::slowFile(body_, 150));  // Qt reports progress at most every 100 ms
    }

    void arrivesCheckedThroughARedirect() {
        const QString target = cached(u(manifest_.file));
        QFile::remove(target);
        models::Manifest m = manifest_;
        m.download->url = server_.url("/raw/m.onnx");
        app::ModelDownloader dl;
        QSignalSpy progress(&dl, &app::ModelDownloader::progress), done(&dl, &app::ModelDownloader::finished),
            failed(&dl, &app::ModelDownloader::failed);
        dl.start(m);
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty() || !failed.isEmpty(), 20000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.front().at(1).toString()));
        QCOMPARE(done.front().at(1).toString(), target);
        QFile f(target);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readAll() == QByteArray::fromStdString(body_));
        QVERIFY(!QFile::exists(target + ".part"));
        // Progress reached the whole file, in several steps, against the announced size.
        QVERIFY2(progress.size() >= 2, qPrintable(QString::number(progress.size()) + " progress signals"));
        QCOMPARE(progress.back().at(1).toLongLong(), static_cast<qint64>(body_.size()));
        QCOMPARE(progress.back().at(2).toLongLong(), static_cast<qint64>(body_.size()));
        QCOMPARE(QString::fromStdString(models::findModelFile(m)), target);
    }

    void failuresAreExplained_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("expected");  // a regular expression
        std::string other = body_;
        other[4242] ^= 1;
        server_.route("/other.onnx", Route::file(other));
        server_.route("/cut.onnx", Route::truncated(body_, 250000));
        server_.route("/short.onnx", Route::file(body_.substr(0, 500000)));
        QTest::newRow("wrong sha256") << u(server_.url("/other.onnx")) << QStringLiteral("sha256 is");
        // Qt reports the early close, or hands over what came: either way the file is refused.
        QTest::newRow("truncated") << u(server_.url("/cut.onnx"))
                                   << QStringLiteral("ended before the whole file arrived|truncated: 250,000 of 600,000 bytes");
        QTest::newRow("short file") << u(server_.url("/short.onnx")) << QStringLiteral("truncated: 500,000 of 600,000 bytes");
        QTest::newRow("404") << u(server_.url("/missing.onnx")) << QStringLiteral("HTTP 404");
        QTest::newRow("no network") << u(LocalHttpServer::closedPortUrl("/m.onnx")) << QStringLiteral("no connection to the server");
    }
    void failuresAreExplained() {
        QFETCH(QString, url);
        QFETCH(QString, expected);
        models::Manifest m = manifest_;
        m.name = "percept-qt-download-fail";
        m.download->file = m.file = "percept-qt-download-fail.onnx";
        m.download->url = url.toStdString();
        app::ModelDownloader dl;
        QSignalSpy done(&dl, &app::ModelDownloader::finished), failed(&dl, &app::ModelDownloader::failed);
        dl.start(m);
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty() || !failed.isEmpty(), 20000);
        QVERIFY(done.isEmpty());
        const QString msg = failed.front().at(1).toString();
        QVERIFY2(msg.contains(QRegularExpression(expected)), qPrintable(msg));
        QVERIFY2(msg.contains(url + ": "), qPrintable(msg));
        QVERIFY2(msg.contains("To install it by hand") && msg.contains("sha256sum " + QString::fromStdString(m.file)), qPrintable(msg));
        QVERIFY(!QFile::exists(cached(QString::fromStdString(m.file))));
        QVERIFY(!QFile::exists(cached(QString::fromStdString(m.file)) + ".part"));
    }

    void mirrorAfterAFailedOriginal() {
        models::Manifest m = manifest_;
        m.name = "percept-qt-download-mirror";
        m.download->file = m.file = "percept-qt-download-mirror.onnx";
        m.download->url = server_.url("/gone.onnx");
        m.download->mirrors = {server_.url("/lfs/m.onnx")};
        app::ModelDownloader dl;
        QSignalSpy started(&dl, &app::ModelDownloader::started), done(&dl, &app::ModelDownloader::finished);
        dl.start(m);
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 20000);
        QCOMPARE(started.size(), 2);  // the original, then the mirror
        QCOMPARE(started.back().at(2).toString(), u(server_.url("/lfs/m.onnx")));
    }

    // In the window: a model this machine lacks is downloaded with a progress window; a file
    // that is not the pinned one is refused there, with the steps to do it by hand, and the
    // model that was running keeps running.
    void windowShowsProgressThenTheManualSteps() {
        const models::Manifest* zoo = models::findManifest("mobilenetv2-7");
        QVERIFY(zoo && zoo->download);
        if (!models::findModelFile(*zoo).empty()) QSKIP("mobilenetv2-7.onnx is on this machine: nothing to download");
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        // Not the model (the pinned sha256 refuses it), but its size, sent slowly enough to watch.
        std::string junk(static_cast<size_t>(zoo->download->bytes), '\0');
        std::mt19937 rng(3);
        for (auto& c : junk) c = static_cast<char>(rng());
        server_.route("/mirror/mobilenetv2-7.onnx", Route::slowFile(junk, 15));
        qputenv("PERCEPT_MODELS_URL", u(server_.url("/mirror/")).toLocal8Bit());

        ui::MainWindow w;
        w.resize(900, 640);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.pipeline()->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 1});
        QTRY_COMPARE_WITH_TIMEOUT(w.pipeline()->activeModelKey(), QStringLiteral("mobilenet_v1_0.25_128"), 30000);

        w.pipeline()->setModel(QStringLiteral("mobilenetv2-7"));
        auto* dialog = w.findChild<ui::ModelDownloadDialog*>("modelDownloadDialog");
        QVERIFY(dialog);
        auto* bar = dialog->findChild<QProgressBar*>("modelDownloadProgress");
        auto* text = dialog->findChild<QLabel*>("modelDownloadText");
        auto* button = dialog->findChild<QPushButton*>("modelDownloadButton");
        QVERIFY(bar && text && button);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible(), 5000);
        QVERIFY2(text->text().contains("MobileNetV2 1.0 (ONNX Model Zoo)"), qPrintable(text->text()));
        QCOMPARE(button->text(), QStringLiteral("Cancel"));
        // Part-way: the bar has moved and the status line counts megabytes.
        QTRY_VERIFY_WITH_TIMEOUT(bar->value() > bar->maximum() / 4, 20000);
        QVERIFY(bar->value() < bar->maximum());
        QVERIFY2(w.statusText().contains("Downloading model mobilenetv2-7"), qPrintable(w.statusText()));
        saveScreenshot(dialog, "model_download_progress.png");

        QTRY_VERIFY_WITH_TIMEOUT(!bar->isVisible(), 30000);
        QVERIFY2(text->text().contains("sha256 is") && text->text().contains(QString::fromStdString(zoo->download->sha256)),
                 qPrintable(text->text()));
        QVERIFY2(text->text().contains("To install it by hand") && text->text().contains(QString::fromStdString(zoo->download->url)),
                 qPrintable(text->text()));
        QCOMPARE(button->text(), QStringLiteral("Close"));
        QVERIFY(w.statusIsError());
        QCOMPARE(w.pipeline()->activeModelKey(), QStringLiteral("mobilenet_v1_0.25_128"));  // still running
        QVERIFY(!QFile::exists(cached("mobilenetv2-7.onnx")));
        QVERIFY(!QFile::exists(cached("mobilenetv2-7.onnx.part")));
        saveScreenshot(dialog, "model_download_failed.png");
        QTest::mouseClick(button, Qt::LeftButton);
        QVERIFY(!dialog->isVisible());

        // Cancel part-way: the partial file goes, the reason says so.
        w.pipeline()->setModel(QStringLiteral("mobilenetv2-7"));
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible() && bar->value() > 0, 20000);
        QCOMPARE(button->text(), QStringLiteral("Cancel"));
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!bar->isVisible(), 10000);
        QVERIFY2(text->text().contains("was cancelled") && text->text().contains("To install it by hand"), qPrintable(text->text()));
        QVERIFY(!QFile::exists(cached("mobilenetv2-7.onnx.part")));
        QTest::mouseClick(button, Qt::LeftButton);

        // Without network the same window says so.
        qputenv("PERCEPT_MODELS_URL", u(LocalHttpServer::closedPortUrl("/")).toLocal8Bit());
        w.pipeline()->setModel(QStringLiteral("mobilenetv2-7"));
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible() && !bar->isVisible(), 20000);
        QVERIFY2(text->text().contains("no connection to the server (no network?)"), qPrintable(text->text()));
        QVERIFY2(text->text().contains("put mobilenetv2-7.onnx in " + cached("")), qPrintable(text->text()));
        saveScreenshot(&w, "model_download_offline_window.png");
        qunsetenv("PERCEPT_MODELS_URL");
    }

private:
    static QString u(const std::string& s) { return QString::fromStdString(s); }
    QString cached(const QString& file) const { return tmp_.filePath("cache/percept/models/") + file; }

    QTemporaryDir tmp_;
    LocalHttpServer server_;
    std::string body_;
    models::Manifest manifest_;
};

QTEST_MAIN(ModelDownloadTest)
#include "tst_model_download.moc"
