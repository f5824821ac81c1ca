// SPDX-License-Identifier: Apache-2.0
#pragma once
// The training's curves, drawn as they come: the loss (left axis, from 0 to its largest value)
// and the held-back accuracy (right axis, 0-100 %) after each epoch.
#include <QVector>
#include <QWidget>

namespace percept::ui {

class TeachPlot : public QWidget {
    Q_OBJECT
public:
    explicit TeachPlot(QWidget* parent = nullptr);
    void clear();
    // heldBack < 0: not measured.
    void add(int epoch, int epochs, double loss, double heldBack);
    int points() const { return static_cast<int>(loss_.size()); }
    QSize sizeHint() const override { return {260, 120}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QVector<double> loss_, heldBack_;
    int epochs_ = 1;
};

}  // namespace percept::ui
