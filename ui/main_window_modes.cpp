// SPDX-License-Identifier: Apache-2.0
// The main window's parts for compare mode, the live charts, the Auto backend and the settings
//, and the phone-sized layout: the ⋮ menu, touch-sized controls, the
// compact overlay, double-tap and pinch on the picture. The rest of the window is in
// main_window.cpp.
#include <QAction>
#include <QMenu>
#include <QMenuBar>

#include "compare_view.h"
#include "control_bar.h"
#include "live_charts.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "pipeline/inference_worker.h"
#include "settings_dialog.h"
#include "touch_gestures.h"
#include "video_view.h"

namespace percept::ui {

using percept::app::Pipeline;

void MainWindow::buildIssue13Menus(QMenu* file, QMenu* view) {
    view->addSeparator();
    compareAction_ = view->addAction(tr("&Compare CPU and GPU"));
    compareAction_->setCheckable(true);
    compareAction_->setShortcut(QKeySequence(Qt::Key_C));
    connect(compareAction_, &QAction::toggled, pipeline_, &Pipeline::setCompare);
    QAction* autoAction = view->addAction(tr("&Auto Backend"), this, [this] { pipeline_->setAutoBackend(true); });
    autoAction->setShortcut(QKeySequence(Qt::Key_A));
    chartsAction_ = view->addAction(tr("Live C&harts"));
    chartsAction_->setCheckable(true);
    chartsAction_->setShortcut(QKeySequence(Qt::Key_L));
    connect(chartsAction_, &QAction::toggled, charts_, &QWidget::setVisible);

    QAction* quit = file->actions().isEmpty() ? nullptr : file->actions().constLast();
    QAction* settings = new QAction(tr("Se&ttings\u2026"), file);
    settings->setShortcut(QKeySequence::Preferences);
    connect(settings, &QAction::triggered, this, &MainWindow::settingsDialog);
    file->insertAction(quit, settings);
    file->insertSeparator(quit);
}

void MainWindow::connectIssue13() {
    // Compare mode: the split view replaces the single one.
    connect(controls_, &ControlBar::compareRequested, pipeline_, &Pipeline::setCompare);
    connect(pipeline_, &Pipeline::compareChanged, this, [this](bool on) {
        {
            const QSignalBlocker block(compareAction_);
            compareAction_->setChecked(on);
        }
        controls_->setCompareActive(on);
        view_->setVisible(!on);
        compare_->setVisible(on);
        if (on) {
            compare_->clear(tr("Comparing\u2026"));
            if (!compact_) setChartsVisible(true);
        }
    });
    connect(pipeline_, &Pipeline::frameArrived, compare_, &CompareView::setFrame);
    connect(compare_->overlay(0), &OverlayWidget::presented, pipeline_, &Pipeline::presented);
    connect(pipeline_, &Pipeline::statsUpdated, compare_, &CompareView::setStats);
    connect(pipeline_, &Pipeline::emptyState, this, [this](const QString& msg) {
        for (int i = 0; i < 2; ++i) compare_->side(i)->showEmptyState(msg);
    });

    // Live charts: every result; a new model starts them afresh.
    connect(pipeline_, &Pipeline::resultReady, charts_, [this](const percept::app::InferenceResult& r) { charts_->addResult(r); });
    connect(pipeline_, &Pipeline::modelChanged, charts_, [this] { charts_->clear(); });

    // The Auto backend: a third choice beside CPU and GPU.
    connect(controls_, &ControlBar::autoRequested, this, [this] { pipeline_->setAutoBackend(true); });
    connect(pipeline_, &Pipeline::autoBackendChanged, controls_, &ControlBar::setAutoActive);
    connect(pipeline_, &Pipeline::autoDecided, this, [this](int b, const QString& reason) {
        showStatus(tr("Auto chose %1: %2").arg(percept::app::backendLabel(static_cast<percept::Backend>(b)), reason), false);
    });

    // The overlay switch covers compare mode's two overlays too; double tap / pinch reach it.
    connect(overlayAction_, &QAction::toggled, this, [this](bool on) {
        for (int i = 0; i < 2; ++i) compare_->overlay(i)->setVisible(on);
    });
    gestures_ = new TouchGestures(this);
    for (QWidget* w : {static_cast<QWidget*>(view_), static_cast<QWidget*>(compare_->side(0)), static_cast<QWidget*>(compare_->side(1))})
        gestures_->watch(w);
    connect(gestures_, &TouchGestures::toggleOverlay, this, [this] { setOverlayVisible(!overlayVisible()); });
    connect(gestures_, &TouchGestures::showOverlay, this, &MainWindow::setOverlayVisible);

    // The ⋮ menu: the menu bar's menus, for a window too small for a menu bar. Their actions
    // are added to the window as well, so the shortcuts work while the menu bar is hidden.
    moreMenu_ = new QMenu(this);
    moreMenu_->setObjectName(QStringLiteral("moreMenu"));
    for (QAction* a : menuBar()->actions()) {
        if (!a->menu()) continue;
        moreMenu_->addMenu(a->menu());
        for (QAction* item : a->menu()->actions())
            if (!item->shortcut().isEmpty()) addAction(item);
    }
    controls_->setMoreMenu(moreMenu_);

    const double stored = SettingsDialog::storedSkipThreshold();
    if (stored != pipeline_->skipThreshold()) pipeline_->setSkipThreshold(stored);
}

void MainWindow::setChartsVisible(bool on) { chartsAction_->setChecked(on); }
bool MainWindow::chartsVisible() const { return chartsAction_->isChecked(); }

void MainWindow::settingsDialog() {
    auto* dlg = new SettingsDialog(pipeline_->skipThreshold(), this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QDialog::accepted, this, [this, dlg] {
        const double t = dlg->skipThreshold();
        SettingsDialog::storeSkipThreshold(t);
        pipeline_->setSkipThreshold(t);
        showStatus(t > 0 ? tr("Unchanged scenes are skipped (threshold %1 grey levels)").arg(t) : tr("Every frame runs the model"), false);
    });
    dlg->open();
}

void MainWindow::setVisible(bool visible) {
    if (visible) applyCompactLayout();
    QMainWindow::setVisible(visible);
}

void MainWindow::applyCompactLayout() {
    const bool compact = width() < 560 || height() < 480;
    if (compact == compact_) return;
    compact_ = compact;
    menuBar()->setVisible(!compact);
    controls_->setTouchMode(compact);
    overlay()->setCompact(compact);
    compare_->setCompact(compact);
    // The ⋮ menu and its submenus with finger-sized rows (48 px).
    const QString touchMenu = compact ? QStringLiteral("QMenu { font-size: 16px; } QMenu::item { padding: 14px 32px 14px 20px; }") : QString();
    if (moreMenu_) {
        moreMenu_->setStyleSheet(touchMenu);
        for (QAction* a : moreMenu_->actions())
            if (a->menu()) a->menu()->setStyleSheet(touchMenu);
    }
}

}  // namespace percept::ui
