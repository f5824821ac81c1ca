// SPDX-License-Identifier: Apache-2.0
#pragma once
// A one-line label that shortens its text with "..." to the room it has (the full text stays
// in text() and the tooltip), so a long message never pushes the layout or gets cut mid-word.
#include <QLabel>
#include <QPainter>

namespace percept::ui {

class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    using QLabel::QLabel;
    QSize minimumSizeHint() const override { return {40, QLabel::minimumSizeHint().height()}; }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setPen(palette().color(foregroundRole()));
        p.setFont(font());
        const QRect r = contentsRect().adjusted(margin(), 0, -margin(), 0);
        p.drawText(r, Qt::AlignLeft | Qt::AlignVCenter, fontMetrics().elidedText(text(), Qt::ElideRight, r.width()));
    }
};

}  // namespace percept::ui
