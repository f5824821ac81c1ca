// SPDX-License-Identifier: Apache-2.0
#pragma once
// The window a model download shows (Pipeline::modelDownload*): which model, from where, a
// progress bar in MB and Cancel; when it fails, the reason and the manual steps (selectable,
// to copy the URL) with Close. Non-modal: the main window stays usable meanwhile.
#include <QDialog>

class QLabel;
class QProgressBar;
class QPushButton;

namespace percept::app {
class Pipeline;
}

namespace percept::ui {

class ModelDownloadDialog : public QDialog {
    Q_OBJECT
public:
    ModelDownloadDialog(percept::app::Pipeline* pipeline, QWidget* parent);

private:
    void onStarted(const QString& key, const QString& displayName, const QString& url, qint64 bytes);
    void onProgress(qint64 received, qint64 total);
    void onFinished(bool ok, const QString& message);

    percept::app::Pipeline* pipeline_;
    QLabel* text_;
    QProgressBar* bar_;
    QPushButton* button_;
    bool failed_ = false;
};

}  // namespace percept::ui
