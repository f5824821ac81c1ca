// SPDX-License-Identifier: Apache-2.0
#pragma once
// Live charts (Qt Charts): inference latency and energy per inference over the last
// N inferences, one line per backend (CPU blue, GPU green, as the overlay's chips), so a
// backend switch, compare mode or a slow patch shows at a glance. Results reused by the scene
// skip are not inferences and add no point.
#include <QWidget>
#include <array>

#include "pipeline/inference_result.h"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace percept::ui {

class LiveCharts : public QWidget {
    Q_OBJECT
public:
    static constexpr int kWindow = 120;  // inferences shown
    explicit LiveCharts(QWidget* parent = nullptr);

    void addResult(const percept::app::InferenceResult& r);
    void clear();
    // Points now on the latency chart for a backend (tests).
    int pointCount(percept::Backend b) const;
    QString energyTitle() const;

    QSize sizeHint() const override { return {600, 180}; }

private:
    struct Plot {
        QChart* chart = nullptr;
        QChartView* view = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
        std::array<QLineSeries*, 2> series{};
    };
    Plot makePlot(const QString& title, const QString& unit);
    void add(const percept::app::InferenceResult& r);
    void rescale(Plot& p);

    Plot latency_, energy_;
    qint64 lastX_ = 0;
};

}  // namespace percept::ui
