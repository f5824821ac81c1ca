// SPDX-License-Identifier: Apache-2.0
#pragma once
// Touch on the picture: a double tap toggles the overlay, pinching out shows it and
// pinching in hides it (a mouse double-click toggles it too). An event filter on the video
// views, working from the raw touch points so it needs no gesture recogniser: two fingers whose
// distance grows by a quarter is a pinch out, shrinks by a fifth a pinch in.
#include <QElapsedTimer>
#include <QObject>
#include <QPointF>

namespace percept::ui {

class TouchGestures : public QObject {
    Q_OBJECT
public:
    explicit TouchGestures(QObject* parent = nullptr) : QObject(parent) {}
    // Starts watching `w` (accepting its touch events).
    void watch(QWidget* w);

signals:
    void toggleOverlay();
    void showOverlay(bool on);

protected:
    bool eventFilter(QObject* watched, QEvent* e) override;

private:
    bool touch(QEvent* e);
    double startDistance_ = 0;  // two fingers down: their distance then
    bool pinched_ = false;      // this two-finger touch already counted as a pinch
    bool multi_ = false;        // more than one finger took part in this touch
    QPointF tapPos_;
    QElapsedTimer lastTap_;
};

}  // namespace percept::ui
