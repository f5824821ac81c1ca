// SPDX-License-Identifier: Apache-2.0
#include "compare_view.h"

#include <QBoxLayout>
#include <QLabel>

#include "overlay_widget.h"
#include "video_view.h"

namespace percept::ui {

using percept::app::InferenceResult;

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("compareView"));
    cpu_ = new VideoView(this);
    gpu_ = new VideoView(this);
    cpu_->setObjectName(QStringLiteral("compareCpuView"));
    gpu_->setObjectName(QStringLiteral("compareGpuView"));
    gpu_->overlay()->setSecondary(true);
    for (VideoView* v : {cpu_, gpu_}) v->setMinimumSize(120, 90);
    agreement_ = new QLabel(this);
    agreement_->setObjectName(QStringLiteral("agreementLine"));
    agreement_->setWordWrap(true);  // a phone's width takes it in two lines
    agreement_->setContentsMargins(8, 4, 8, 4);
    agreement_->setStyleSheet(QStringLiteral("background: #12161e; color: #e6e9f0; font-weight: bold;"));
    sides_ = new QBoxLayout(QBoxLayout::LeftToRight);
    sides_->setContentsMargins(0, 0, 0, 0);
    sides_->setSpacing(2);
    sides_->addWidget(cpu_, 1);
    sides_->addWidget(gpu_, 1);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    outer->addLayout(sides_, 1);
    outer->addWidget(agreement_);
}

OverlayWidget* CompareView::overlay(int i) const { return side(i)->overlay(); }

void CompareView::resizeEvent(QResizeEvent* e) {
    // Side by side when wide, one above the other when tall (a phone held upright).
    sides_->setDirection(width() >= height() ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
    QWidget::resizeEvent(e);
}

void CompareView::setFrame(const QImage& image) {
    cpu_->setFrame(image);
    if (!gpu_->isHidden()) gpu_->setFrame(image);
}

void CompareView::setCompact(bool on) {
    cpu_->overlay()->setCompact(on);
    gpu_->overlay()->setCompact(on);
}

void CompareView::clear(const QString& pendingText) {
    for (VideoView* v : {cpu_, gpu_}) {
        v->overlay()->clearResult();
        v->overlay()->setPendingText(pendingText);
    }
    agreement_->setText(tr("Comparing CPU and GPU (Vulkan)\u2026"));
}

QString CompareView::agreementLine(const InferenceResult& r) {
    if (!r.compared) return r.compareNote.isEmpty() ? QString() : QStringLiteral("\u26a0 ") + r.compareNote;
    const InferenceResult& g = *r.compared;
    const auto& a = r.agreement;
    QString s;
    const QString cpuTop = r.top.isEmpty() ? QString() : r.top.front().label;
    const QString gpuTop = g.top.isEmpty() ? QString() : g.top.front().label;
    if (a.sameTop1) s = QStringLiteral("\u2714 agree: same top-1 (%1)").arg(cpuTop);
    else s = QStringLiteral("\u2718 disagree: CPU says %1, GPU says %2").arg(cpuTop, gpuTop);
    s += QStringLiteral(" \u00b7 max |\u0394prob| %1").arg(a.maxProbDiff, 0, 'g', 2);
    if (r.medianInferenceMs > 0 && g.medianInferenceMs > 0)
        s += QStringLiteral(" \u00b7 GPU takes %1\u00d7 the CPU's time").arg(g.medianInferenceMs / r.medianInferenceMs, 0, 'f', 2);
    if (r.energy.valid && g.energy.valid && r.energy.joulesPerInference > 0)
        s += QStringLiteral(", %1\u00d7 its energy").arg(g.energy.joulesPerInference / r.energy.joulesPerInference, 0, 'f', 2);
    return s;
}

void CompareView::setResult(const InferenceResult& r, const percept::app::PipelineStats& stats) {
    cpu_->overlay()->setResult(r, stats);
    const bool two = static_cast<bool>(r.compared);
    if (two == gpu_->isHidden()) gpu_->setVisible(two);  // one side only, with the note, when the GPU cannot run
    if (two) gpu_->overlay()->setResult(*r.compared, stats);
    agreement_->setText(agreementLine(r));
    agreement_->setToolTip(agreement_->text());
}

void CompareView::setStats(const percept::app::PipelineStats& stats) { cpu_->overlay()->setStats(stats); }

QString CompareView::agreementText() const { return agreement_->text(); }
bool CompareView::secondSideShown() const { return !gpu_->isHidden(); }

}  // namespace percept::ui
