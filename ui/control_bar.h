// SPDX-License-Identifier: Apache-2.0
#pragma once
// The controls under the video: CPU / GPU toggle, model picker, CPU thread count. An
// unavailable GPU backend is shown (disabled, with the reason), not hidden, and becomes live by
// itself in a build where the backend exists. On a narrow (portrait) window the controls stack.
#include <QWidget>

#include "percept/backend.h"

class QBoxLayout;
class QComboBox;
class QLabel;
class QMenu;
class QPushButton;
class QSpinBox;
class QToolButton;

namespace percept::ui {

class ControlBar : public QWidget {
    Q_OBJECT
public:
    explicit ControlBar(QWidget* parent = nullptr);

    void setGpuAvailability(bool available, const QString& reason);
    // The GPU failed mid-stream and the app went on with the CPU: the GPU button stays
    // enabled (asking again opens the device afresh) with a note saying what happened; it
    // clears when the GPU is running again.
    void setGpuLost(const QString& what);
    bool gpuLost() const { return gpuLost_; }
    bool gpuAvailable() const { return gpuAvailable_; }
    QString gpuNote() const;
    void setActiveBackend(percept::Backend b);
    percept::Backend activeBackend() const { return active_; }

    // Adds a model entry (key = manifest name or file path) unless present.
    void addModel(const QString& key, const QString& displayName, bool available = true);
    void setActiveModel(const QString& key);
    QString activeModel() const;
    QComboBox* modelBox() const { return model_; }

    void setThreads(int threads);
    int threads() const;

    QPushButton* cpuButton() const { return cpu_; }
    QPushButton* gpuButton() const { return gpu_; }

    // ---- Auto backend and compare mode ----
    QPushButton* autoButton() const { return auto_; }
    QPushButton* compareButton() const { return compare_; }
    // Auto is on: its button stays checked whatever backend it runs; the button names it.
    void setAutoActive(bool on);
    bool autoActive() const { return autoActive_; }
    void setCompareActive(bool on);
    // ---- phone-sized window ----
    // Touch mode: hit targets at least 48 px, the ⋮ button (the window's menus) shown.
    void setTouchMode(bool on);
    bool touchMode() const { return touch_; }
    void setMoreMenu(QMenu* menu);
    QToolButton* moreButton() const { return more_; }

    // As narrow as the stacked (portrait) arrangement allows, so a window can be made that
    // narrow and the bar then stacks itself.
    QSize minimumSizeHint() const override;

signals:
    void backendRequested(percept::Backend b);
    void modelRequested(const QString& key);
    void threadsChanged(int threads);
    void autoRequested();
    void compareRequested(bool on);

protected:
    void resizeEvent(QResizeEvent*) override;

private:
    QPushButton* cpu_;
    QPushButton* gpu_;
    QLabel* gpuNote_;
    QComboBox* model_;
    QSpinBox* threads_;
    QBoxLayout* row_;
    QWidget* backendBox_;
    QWidget* settingsBox_;
    bool gpuAvailable_ = false;
    bool gpuLost_ = false;
    percept::Backend active_ = percept::Backend::Cpu;
    QString shownModel_;
    // ---- issues 13, 14 ----
    QPushButton* auto_;
    QPushButton* compare_;
    QToolButton* more_;
    bool autoActive_ = false;
    bool touch_ = false;
    void updateAutoText();
};

}  // namespace percept::ui
