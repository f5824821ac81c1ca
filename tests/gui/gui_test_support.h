#pragma once
// Shared by the GUI tests: where ../shared is (configured at build time, overridable with
// PERCEPT_MODELS_DIR / PERCEPT_IMAGES_DIR), the skip-or-fail rule for missing data (fail when CI
// is set), real drag-and-drop events, and screenshots into the test output directory.
#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QMimeData>
#include <QPixmap>
#include <QSignalSpy>
#include <QTest>
#include <QUrl>
#include <QWidget>
#include <cstdlib>

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

}  // namespace percept::guitest

// Skips (developer machine) or fails (CI) when a data file or directory is missing.
#define PERCEPT_REQUIRE_DATA(path)                                                                \
    do {                                                                                          \
        if (!QFileInfo::exists(path)) {                                                           \
            if (::percept::guitest::underCi()) QFAIL(qPrintable("test data missing under CI: " + QString(path))); \
            else QSKIP(qPrintable("test data missing: " + QString(path)));                        \
        }                                                                                         \
    } while (0)
