// SPDX-License-Identifier: Apache-2.0
#include "touch_gestures.h"

#include <QGuiApplication>
#include <QLineF>
#include <QMouseEvent>
#include <QStyleHints>
#include <QTouchEvent>
#include <QWidget>

namespace percept::ui {

void TouchGestures::watch(QWidget* w) {
    w->setAttribute(Qt::WA_AcceptTouchEvents);
    w->installEventFilter(this);
}

bool TouchGestures::eventFilter(QObject* watched, QEvent* e) {
    switch (e->type()) {
        case QEvent::TouchBegin:
        case QEvent::TouchUpdate:
        case QEvent::TouchEnd:
        case QEvent::TouchCancel:
            return touch(e);
        case QEvent::MouseButtonDblClick:
            if (static_cast<QMouseEvent*>(e)->button() == Qt::LeftButton) {
                emit toggleOverlay();
                return true;
            }
            break;
        default:
            break;
    }
    return QObject::eventFilter(watched, e);
}

bool TouchGestures::touch(QEvent* e) {
    auto* t = static_cast<QTouchEvent*>(e);
    const auto& pts = t->points();
    if (e->type() == QEvent::TouchBegin) {
        multi_ = pts.size() > 1;
        pinched_ = false;
        startDistance_ = 0;
    }
    if (pts.size() >= 2) {
        multi_ = true;
        const double d = QLineF(pts[0].position(), pts[1].position()).length();
        if (startDistance_ <= 0) startDistance_ = d;
        else if (!pinched_ && startDistance_ > 0) {
            if (d > startDistance_ * 1.25) {
                pinched_ = true;
                emit showOverlay(true);
            } else if (d < startDistance_ * 0.8) {
                pinched_ = true;
                emit showOverlay(false);
            }
        }
    }
    if (e->type() == QEvent::TouchEnd && !multi_ && pts.size() == 1) {
        // A tap: a second one soon after and near the first is a double tap.
        const QPointF p = pts[0].position();
        const int interval = QGuiApplication::styleHints()->mouseDoubleClickInterval();
        if (lastTap_.isValid() && lastTap_.elapsed() <= interval && QLineF(p, tapPos_).length() < 40) {
            lastTap_.invalidate();
            emit toggleOverlay();
        } else {
            lastTap_.start();
            tapPos_ = p;
        }
    }
    e->accept();
    return true;
}

}  // namespace percept::ui
