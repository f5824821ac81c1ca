// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared by the GUI tests: where ../shared is (configured at build time, overridable with
// PERCEPT_MODELS_DIR / PERCEPT_IMAGES_DIR), the skip-or-fail rule for missing data, tools or a
// Vulkan device (fail when CI is set), generated test videos, real drag-and-drop events, and
// screenshots into the test output directory.
#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QMimeData>
#include <QPixmap>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>
#include <QWidget>
#include <cstdlib>
#include <string>

#include "percept/backend.h"

namespace percept::guitest {

inline QString envOr(const char* name, const char* fallback) {
    const QByteArray v = qgetenv(name);
    return v.isEmpty() ? QString::fromUtf8(fallback) : QString::fromLocal8Bit(v);
}
inline QString modelsDir() { return envOr("PERCEPT_MODELS_DIR", PERCEPT_TEST_MODELS_DIR); }
inline QString imagesDir() { return envOr("PERCEPT_IMAGES_DIR", PERCEPT_TEST_IMAGES_DIR); }
inline QString image(const char* name) { return QDir(imagesDir()).filePath(QString::fromUtf8(name)); }
inline bool underCi() { return qEnvironmentVariableIsSet("CI"); }

inline QString outputDir() {
    const QString d = envOr("PERCEPT_TEST_OUTPUT_DIR", PERCEPT_TEST_OUTPUT_DIR);
    QDir().mkpath(d);
    return d;
}

// Saves the widget as the user would see it (QWidget::grab) into the test output directory.
inline QString saveScreenshot(QWidget* w, const QString& name) {
    const QString path = QDir(outputDir()).filePath(name);
    const bool ok = w->grab().save(path);
    if (!ok) qWarning("could not save %s", qPrintable(path));
    return path;
}

// Shows `w` at `size` and waits until the platform has exposed it.
inline bool showWindow(QWidget& w, QSize size) {
    w.resize(size);
    w.show();
    return QTest::qWaitForWindowExposed(&w);
}

// A real drag-enter + drop of local files, delivered to `target` through QApplication.
// Returns whether the target accepted the drag.
inline bool dropFiles(QWidget* target, const QStringList& paths) {
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& p : paths) urls << QUrl::fromLocalFile(QFileInfo(p).absoluteFilePath());
    mime.setUrls(urls);
    const QPointF pos(target->width() / 2.0, target->height() / 2.0);
    QDragEnterEvent enter(pos.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    if (!enter.isAccepted()) return false;
    QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
    return drop.isAccepted();
}

// A 320x240 H.264 video of ffmpeg's testsrc pattern (a counter that changes every second), or
// of another lavfi source (`source`: "mandelbrot" ...), at `path`. Returns what went wrong,
// empty when the file was made; `haveFfmpeg` is false when ffmpeg is not installed (see
// PERCEPT_MAKE_TEST_VIDEO).
inline QString makeTestVideo(const QString& path, int fps, int seconds, bool& haveFfmpeg, const QString& source = QStringLiteral("testsrc")) {
    const QString ffmpeg = QStandardPaths::findExecutable("ffmpeg");
    haveFfmpeg = !ffmpeg.isEmpty();
    if (!haveFfmpeg) return "ffmpeg not installed";
    QProcess p;
    p.start(ffmpeg, {"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                     QStringLiteral("%1=size=320x240:rate=%2").arg(source).arg(fps), "-t", QString::number(seconds), "-c:v", "libx264",
                     "-preset", "ultrafast", "-pix_fmt", "yuv420p", path});
    if (!p.waitForFinished(60000)) return "ffmpeg did not finish in 60 s";
    if (p.exitCode() != 0) return "ffmpeg failed: " + QString::fromLocal8Bit(p.readAllStandardError());
    if (QFileInfo(path).size() <= 1000) return "ffmpeg wrote no usable video to " + path;
    return {};
}

}  // namespace percept::guitest

// Skips (developer machine) or fails (CI) when a data file or directory is missing.
#define PERCEPT_REQUIRE_DATA(path)                                                                \
    do {                                                                                          \
        if (!QFileInfo::exists(path)) {                                                           \
            if (::percept::guitest::underCi()) QFAIL(qPrintable("test data missing under CI: " + QString(path))); \
            else QSKIP(qPrintable("test data missing: " + QString(path)));                        \
        }                                                                                         \
    } while (0)

// Makes the test video (guitest::makeTestVideo); without ffmpeg, skips (developer machine) or
// fails (CI installs it).
#define PERCEPT_MAKE_TEST_VIDEO(path, fps, seconds)                                                  \
    do {                                                                                             \
        bool haveFfmpeg_ = true;                                                                     \
        const QString why_ = ::percept::guitest::makeTestVideo(path, fps, seconds, haveFfmpeg_);     \
        if (!haveFfmpeg_) {                                                                          \
            if (::percept::guitest::underCi()) QFAIL("ffmpeg is needed to make the test video");     \
            else QSKIP("ffmpeg not installed");                                                      \
        }                                                                                            \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                  \
    } while (0)

// Skips (developer machine) or fails (CI, which has lavapipe) when no Vulkan device can be used.
#define PERCEPT_REQUIRE_VULKAN()                                                                     \
    do {                                                                                             \
        std::string why_;                                                                            \
        if (!::percept::backendAvailable(::percept::Backend::Vulkan, &why_)) {                       \
            if (::percept::guitest::underCi()) QFAIL(qPrintable("CI has lavapipe, but: " + QString::fromStdString(why_))); \
            else QSKIP(qPrintable("no Vulkan device: " + QString::fromStdString(why_)));            \
        }                                                                                            \
    } while (0)
