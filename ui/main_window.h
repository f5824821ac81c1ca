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
class TeachPanel;
class VideoView;
class CompareView;
class LiveCharts;
class TouchGestures;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    percept::app::Pipeline* pipeline() const { return pipeline_; }
    VideoView* videoView() const { return view_; }
    OverlayWidget* overlay() const;
    ControlBar* controls() const { return controls_; }
    TeachPanel* teachPanel() const { return teach_; }  // Teach (app/teach, ui/teach_panel.*)

    // The status line and every message it has shown (for tests and --screenshot).
    QString statusText() const;
    bool statusIsError() const { return statusIsError_; }
    const QStringList& messageLog() const { return log_; }

    void setOverlayVisible(bool on);
    bool overlayVisible() const;

    // ---- compare mode, live charts, settings; phone-sized window ----
    CompareView* compareView() const { return compare_; }
    LiveCharts* charts() const { return charts_; }
    void setChartsVisible(bool on);
    bool chartsVisible() const;
    // Phone-sized (narrower than 560 or lower than 480 px): no menu bar (the ⋮ button has the
    // menus), touch-sized controls, the compact overlay.
    bool compactLayout() const { return compact_; }
    QMenu* moreMenu() const { return moreMenu_; }
    // Lays the window out for its size before it is first shown, so a window opened at phone
    // size is not first widened to the desktop controls' minimum.
    void setVisible(bool visible) override;

public slots:
    void toggleBackend();
    void openFileDialog();
    void openFolderDialog();
    void paste();
    void saveScreenshotDialog();
    void modelSettingsDialog();
    void showStatus(const QString& message, bool isError);
    void settingsDialog();

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
    // ---- issues 13, 14 ----
    void buildIssue13Menus(QMenu* file, QMenu* view);
    void connectIssue13();
    void applyCompactLayout();

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
    // ---- compare mode, live charts, phone-sized window ----
    CompareView* compare_ = nullptr;
    LiveCharts* charts_ = nullptr;
    TouchGestures* gestures_ = nullptr;
    QAction* compareAction_ = nullptr;
    QAction* chartsAction_ = nullptr;
    QMenu* moreMenu_ = nullptr;
    bool compact_ = false;
    TeachPanel* teach_ = nullptr;
};

}  // namespace percept::ui
