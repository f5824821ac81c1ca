// SPDX-License-Identifier: Apache-2.0
#pragma once
// --screenshot mode: waits until N results have been drawn (re-running a still photo as needed),
// saves the window with QWidget::grab, prints what the overlay showed and ends the program.
// A source or model that cannot be opened ends it early (exit code 1) with the window as it is.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>

#include "pipeline/inference_result.h"

namespace percept::ui { class MainWindow; }

namespace percept::app {

class ScreenshotRunner : public QObject {
    Q_OBJECT
public:
    ScreenshotRunner(percept::ui::MainWindow* window, QString outPath, int frames, int timeoutS, QObject* parent = nullptr);
    // Ends early (after a short grace period for the window to paint the message).
    void failSoon(const QString& why);

private:
    void onResult(const InferenceResult& r);
    void finish(int exitCode, const QString& why = {});
    static QString modesReport(const InferenceResult& r);

    percept::ui::MainWindow* window_;
    QString out_;
    int frames_;
    int shown_ = 0;
    bool done_ = false;
    QTimer timeout_;
    QElapsedTimer clock_;
    QStringList perResult_;
};

}  // namespace percept::app
