// SPDX-License-Identifier: Apache-2.0
#include "video_view.h"

#include <QPainter>
#include <QPainterPath>

#include "app_icon.h"
#include "overlay_widget.h"

namespace percept::ui {

VideoView::VideoView(QWidget* parent) : QWidget(parent), overlay_(new OverlayWidget(this)) {
    setObjectName(QStringLiteral("videoView"));
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    emptyText_ = tr("Starting\u2026");
}

void VideoView::setFrame(const QImage& image) {
    const bool sizeChanged = image.size() != frame_.size();
    frame_ = image;
    if (sizeChanged) overlay_->setImageRect(imageRect());
    update();
}

QRect VideoView::imageRect() const {
    if (frame_.isNull()) return {};
    const QSize s = frame_.size().scaled(size(), Qt::KeepAspectRatio);
    QRect r(QPoint(0, 0), s);
    r.moveCenter(rect().center());
    if (height() - s.height() > height() / 4) r.moveTop(0);
    return r;
}

void VideoView::showEmptyState(const QString& message) {
    frame_ = QImage();
    overlay_->setImageRect({});
    emptyText_ = message;
    update();
}

void VideoView::setDropHighlight(bool on) {
    dropHighlight_ = on;
    update();
}

void VideoView::resizeEvent(QResizeEvent*) {
    overlay_->setGeometry(rect());
    overlay_->setImageRect(imageRect());
}

void VideoView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), QColor(24, 26, 31));
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.setRenderHint(QPainter::Antialiasing);
    if (!frame_.isNull()) {
        p.drawImage(imageRect(), frame_);
    } else {
        // Empty state: the app's mark, then the message, centred.
        const int iconSide = std::clamp(std::min(width(), height()) / 5, 48, 128);
        const QPixmap icon = appIcon().pixmap(iconSide, iconSide);
        QFont f = font();
        f.setPixelSize(std::clamp(width() / 45, 13, 18));
        p.setFont(f);
        const QRect textBox(24, 0, width() - 48, height());
        const QRect textRect = p.fontMetrics().boundingRect(textBox, Qt::AlignHCenter | Qt::TextWordWrap, emptyText_);
        const int total = iconSide + 20 + textRect.height();
        int y = (height() - total) / 2;
        p.setOpacity(0.85);
        p.drawPixmap((width() - iconSide) / 2, y, icon);
        p.setOpacity(1.0);
        y += iconSide + 20;
        p.setPen(QColor(214, 218, 226));
        p.drawText(QRect(24, y, width() - 48, textRect.height()), Qt::AlignHCenter | Qt::TextWordWrap, emptyText_);
    }
    if (dropHighlight_) {
        QPen pen(QColor(255, 196, 61), 4, Qt::DashLine);
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(rect().adjusted(4, 4, -4, -4), 10, 10);
    }
}

}  // namespace percept::ui
