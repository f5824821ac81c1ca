// SPDX-License-Identifier: Apache-2.0
#include "teach_plot.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>

namespace percept::ui {

namespace {
const QColor kLoss(0xe6, 0x51, 0x00);
const QColor kAccuracy(0x2e, 0x7d, 0x32);
}  // namespace

TeachPlot::TeachPlot(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(90);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void TeachPlot::clear() {
    loss_.clear();
    heldBack_.clear();
    update();
}

void TeachPlot::add(int epoch, int epochs, double loss, double heldBack) {
    epochs_ = std::max(1, epochs);
    loss_.resize(epoch);
    heldBack_.resize(epoch);
    loss_[epoch - 1] = loss;
    heldBack_[epoch - 1] = heldBack;
    update();
}

void TeachPlot::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    const QFontMetrics fm(font());
    const QRectF area = QRectF(rect()).adjusted(fm.horizontalAdvance(QStringLiteral("0.00")) + 8, fm.height() + 4,
                                                -fm.horizontalAdvance(QStringLiteral("100%")) - 8, -fm.height() - 4);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(area);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height()), Qt::AlignCenter, tr("epoch (of %1)").arg(epochs_));
    p.setPen(kLoss);
    p.drawText(QRectF(0, 0, width() / 2.0, fm.height()), Qt::AlignLeft, tr("loss"));
    p.setPen(kAccuracy);
    p.drawText(QRectF(width() / 2.0, 0, width() / 2.0, fm.height()), Qt::AlignRight, tr("held back recognised"));
    if (loss_.isEmpty()) return;
    const double maxLoss = std::max(1e-6, *std::max_element(loss_.begin(), loss_.end()));
    p.setPen(kLoss);
    p.drawText(QRectF(0, area.top() - fm.height() / 2.0, area.left() - 4, fm.height()), Qt::AlignRight, QString::number(maxLoss, 'g', 2));
    p.drawText(QRectF(0, area.bottom() - fm.height() / 2.0, area.left() - 4, fm.height()), Qt::AlignRight, QStringLiteral("0"));
    p.setPen(kAccuracy);
    p.drawText(QRectF(area.right() + 4, area.top() - fm.height() / 2.0, 60, fm.height()), Qt::AlignLeft, QStringLiteral("100%"));
    p.drawText(QRectF(area.right() + 4, area.bottom() - fm.height() / 2.0, 60, fm.height()), Qt::AlignLeft, QStringLiteral("0%"));
    auto x = [&](int k) { return area.left() + area.width() * (epochs_ == 1 ? 0.5 : static_cast<double>(k) / (epochs_ - 1)); };
    auto curve = [&](const QVector<double>& v, double top, const QColor& c) {
        QPainterPath path;
        bool started = false;
        for (int k = 0; k < v.size(); ++k) {
            if (v[k] < 0) continue;
            const QPointF pt(x(k), area.bottom() - area.height() * std::clamp(v[k] / top, 0.0, 1.0));
            if (!started) path.moveTo(pt);
            else path.lineTo(pt);
            started = true;
            p.setPen(Qt::NoPen);
            p.setBrush(c);
            p.drawEllipse(pt, 2.5, 2.5);
        }
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(c, 2));
        p.drawPath(path);
    };
    curve(loss_, maxLoss, kLoss);
    curve(heldBack_, 1.0, kAccuracy);
}

}  // namespace percept::ui
