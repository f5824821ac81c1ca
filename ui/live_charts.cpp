// SPDX-License-Identifier: Apache-2.0
#include "live_charts.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>

namespace percept::ui {

using percept::app::InferenceResult;

namespace {
size_t idx(percept::Backend b) { return b == percept::Backend::Cpu ? 0 : 1; }
const QColor kCpu(52, 120, 220), kGpu(46, 160, 90);  // the overlay's chips
}  // namespace

LiveCharts::LiveCharts(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("liveCharts"));
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(2);
    latency_ = makePlot(tr("inference latency"), tr("ms"));
    energy_ = makePlot(tr("energy per inference"), tr("mJ"));
    row->addWidget(latency_.view, 1);
    row->addWidget(energy_.view, 1);
    setMinimumHeight(150);
}

LiveCharts::Plot LiveCharts::makePlot(const QString& title, const QString& unit) {
    Plot p;
    p.chart = new QChart();
    p.chart->setTheme(QChart::ChartThemeDark);
    p.chart->setTitle(title);
    QFont tf = p.chart->titleFont();
    tf.setPixelSize(12);
    p.chart->setTitleFont(tf);
    p.chart->setMargins(QMargins(2, 2, 2, 2));
    p.chart->setBackgroundRoundness(0);
    p.chart->legend()->setAlignment(Qt::AlignRight);
    QFont lf = p.chart->legend()->font();
    lf.setPixelSize(10);
    p.chart->legend()->setFont(lf);
    p.x = new QValueAxis;
    p.y = new QValueAxis;
    p.x->setLabelFormat(QStringLiteral("%d"));
    p.y->setTitleText(unit);
    for (QValueAxis* a : {p.x, p.y}) {
        QFont f = a->labelsFont();
        f.setPixelSize(9);
        a->setLabelsFont(f);
        QFont t = a->titleFont();
        t.setPixelSize(9);
        a->setTitleFont(t);
        a->setTickCount(4);
    }
    p.chart->addAxis(p.x, Qt::AlignBottom);
    p.chart->addAxis(p.y, Qt::AlignLeft);
    const QString names[2] = {tr("CPU"), tr("GPU")};
    for (size_t i = 0; i < 2; ++i) {
        auto* s = new QLineSeries;
        s->setName(names[i]);
        QPen pen(i == 0 ? kCpu : kGpu);
        pen.setWidth(2);
        s->setPen(pen);
        p.chart->addSeries(s);
        s->attachAxis(p.x);
        s->attachAxis(p.y);
        p.series[i] = s;
    }
    p.view = new QChartView(p.chart, this);
    p.view->setRenderHint(QPainter::Antialiasing);
    p.view->setMinimumSize(160, 150);
    return p;
}

void LiveCharts::addResult(const InferenceResult& r) {
    if (r.reused) return;  // the scene skip ran no inference
    add(r);
    if (r.compared) add(*r.compared);
    rescale(latency_);
    rescale(energy_);
}

void LiveCharts::add(const InferenceResult& r) {
    const size_t i = idx(r.backend);
    const qreal x = static_cast<qreal>(r.frameSeq);
    lastX_ = std::max<qint64>(lastX_, static_cast<qint64>(r.frameSeq));
    auto push = [&](Plot& p, qreal y) {
        QLineSeries* s = p.series[i];
        s->append(x, y);
        if (s->count() > kWindow) s->removePoints(0, s->count() - kWindow);
    };
    push(latency_, r.inferenceMs);
    if (r.energy.valid) {
        push(energy_, r.energy.joulesPerInference * 1e3);
        energy_.chart->setTitle(tr("energy per inference (%1)").arg(r.energy.measured ? tr("measured") : tr("estimated")));
    }
}

void LiveCharts::rescale(Plot& p) {
    qreal lo = static_cast<qreal>(lastX_), hi = static_cast<qreal>(lastX_), top = 0;
    for (QLineSeries* s : p.series) {
        if (s->count() == 0) continue;
        lo = std::min(lo, s->at(0).x());
        for (int k = 0; k < s->count(); ++k) top = std::max(top, s->at(k).y());
    }
    p.x->setRange(lo, std::max(hi, lo + 1));
    p.y->setRange(0, top > 0 ? top * 1.15 : 1.0);
}

void LiveCharts::clear() {
    for (Plot* p : {&latency_, &energy_})
        for (QLineSeries* s : p->series) s->clear();
    lastX_ = 0;
}

int LiveCharts::pointCount(percept::Backend b) const { return latency_.series[idx(b)]->count(); }

QString LiveCharts::energyTitle() const { return energy_.chart->title(); }

}  // namespace percept::ui
