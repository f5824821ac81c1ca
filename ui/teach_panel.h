// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Teach panel (a dock beside the video; Teach ▸ Teach a New Object, Ctrl+T): name an
// object, capture it from what the window shows or add pictures of it, choose "new head on
// frozen features" (seconds) or "fine-tune the last block" (longer, better) with each mode's
// last figures, train (progress, loss and held-back accuracy plotted live), remove an object
// or reset. The logic is app::TeachController's.
#include <QDockWidget>

#include "teach/teach_controller.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;

namespace percept::ui {

class TeachPlot;

class TeachPanel : public QDockWidget {
    Q_OBJECT
public:
    TeachPanel(percept::app::TeachController* controller, QWidget* parent = nullptr);
    percept::app::TeachController* controller() const { return controller_; }
    TeachPlot* plot() const { return plot_; }

private:
    void refresh();
    void showFigures();
    percept::train::Mode mode() const;

    percept::app::TeachController* controller_;
    QLineEdit* name_;
    QPushButton* capture_;
    QPushButton* add_;
    QLabel* captureNote_;
    QListWidget* objects_;
    QPushButton* remove_;
    QPushButton* reset_;
    QComboBox* mode_;
    QLabel* figures_;
    QPushButton* train_;
    QProgressBar* progress_;
    TeachPlot* plot_;
    QLabel* result_;
};

}  // namespace percept::ui
