// SPDX-License-Identifier: Apache-2.0
#include "app_icon.h"

#include <QImageReader>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace percept::ui {
namespace {

// Mirrors resources/percept.svg: a rounded dark square, an eye-shaped lens with an amber iris and
// three bars (a tiny top-3) under it.
QPixmap paintIcon(int side) {
    QPixmap pm(side, side);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.scale(side / 64.0, side / 64.0);
    QPainterPath bg;
    bg.addRoundedRect(QRectF(2, 2, 60, 60), 14, 14);
    p.fillPath(bg, QColor(0x1f, 0x2a, 0x44));
    QPainterPath eye;
    eye.moveTo(8, 28);
    eye.quadTo(32, 4, 56, 28);
    eye.quadTo(32, 52, 8, 28);
    p.fillPath(eye, QColor(0xe8, 0xee, 0xf8));
    p.setBrush(QColor(0xff, 0xc4, 0x3d));
    p.setPen(Qt::NoPen);
    p.drawEllipse(QPointF(32, 28), 10, 10);
    p.setBrush(QColor(0x1f, 0x2a, 0x44));
    p.drawEllipse(QPointF(32, 28), 4.5, 4.5);
    p.setBrush(QColor(0x4f, 0x9d, 0xff));
    p.drawRoundedRect(QRectF(14, 44, 36, 4), 2, 2);
    p.setBrush(QColor(0x4f, 0x9d, 0xff, 170));
    p.drawRoundedRect(QRectF(14, 50, 22, 4), 2, 2);
    p.setBrush(QColor(0x4f, 0x9d, 0xff, 110));
    p.drawRoundedRect(QRectF(14, 56, 12, 3), 1.5, 1.5);
    return pm;
}

}  // namespace

QIcon appIcon() {
    static const QIcon icon = [] {
        if (QImageReader::supportedImageFormats().contains("svg")) {
            QIcon svg(QStringLiteral(":/percept/percept.svg"));
            if (!svg.pixmap(64, 64).isNull()) return svg;
        }
        QIcon painted;
        for (int s : {16, 24, 32, 48, 64, 128, 256}) painted.addPixmap(paintIcon(s));
        return painted;
    }();
    return icon;
}

}  // namespace percept::ui
