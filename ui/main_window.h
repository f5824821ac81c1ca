// SPDX-License-Identifier: Apache-2.0
#pragma once
// The main window: the video view with its overlay, the controls, menus, drag-and-drop and the
// status line. It owns the frame pipeline and only forwards user intent to it; every heavy
// step runs on the pipeline's worker thread.
#include <QElapsedTimer>
#include <QMainWindow>
#include <QStringList>
#include <QTimer>

#include "pipeline/pipeline.h"

class QLabel;

namespace percept::ui {

class ControlBar;
class OverlayWidget;
class VideoView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    percept::app::Pipeline* pipeline() const { return pipeline_; }
    VideoView* videoView() const { return view_; }
    OverlayWidget* overlay() const;
    ControlBar* controls() const { return controls_; }

    // The status line and every message it has shown (for tests and --screenshot).
    QString statusText() const;
    bool statusIsError() const { return statusIsError_; }
    const QStringList& messageLog() const { return log_; }

    void setOverlayVisible(bool on);
    bool overlayVisible() const;

public slots:
    void toggleBackend();
    void openFileDialog();
    void openFolderDialog();
    void paste();
    void saveScreenshotDialog();
    void modelSettingsDialog();
    void showStatus(const QString& message, bool isError);

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dragMoveEvent(QDragMoveEvent* e) override;
    void dragLeaveEvent(QDragLeaveEvent* e) override;
    void dropEvent(QDropEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;

private:
    void buildMenus();
    void populateModels();
    void refreshCameraMenu();
    void setStatusNow(const QString& message, bool isError);
    void updateSourceLabel();

    percept::app::Pipeline* pipeline_;
    VideoView* view_;
    ControlBar* controls_;
    QLabel* status_;
    QLabel* sourceLabel_;
    QString sourceText_;
    QMenu* cameraMenu_ = nullptr;
    QAction* overlayAction_ = nullptr;
    bool statusIsError_ = false;
    QElapsedTimer errorShown_;
    QString deferredInfo_;
    QTimer deferTimer_;
    QStringList log_;
};

}  // namespace percept::ui
