// SPDX-License-Identifier: Apache-2.0
#include "overlay_widget.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace percept::ui {

using percept::app::InferenceResult;

QString formatBytes(size_t bytes) {
    const double b = static_cast<double>(bytes);
    if (b >= 1024.0 * 1024 * 1024) return QStringLiteral("%1 GiB").arg(b / (1024.0 * 1024 * 1024), 0, 'f', 2);
    if (b >= 1024.0 * 1024) return QStringLiteral("%1 MiB").arg(b / (1024.0 * 1024), 0, 'f', 1);
    if (b >= 1024.0) return QStringLiteral("%1 KiB").arg(b / 1024.0, 0, 'f', 0);
    return QStringLiteral("%1 B").arg(bytes);
}

QString formatJoules(double j) {
    if (j >= 1.0) return QStringLiteral("%1 J").arg(j, 0, 'f', 2);
    if (j >= 1e-3) return QStringLiteral("%1 mJ").arg(j * 1e3, 0, 'f', j >= 0.1 ? 0 : 1);
    return QStringLiteral("%1 \u00b5J").arg(j * 1e6, 0, 'f', 0);
}

namespace {
QString ms(double v) { return QString::number(v, 'f', v < 1.0 ? 2 : 1); }
}  // namespace

OverlayWidget::OverlayWidget(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_TransparentForMouseEvents);
    setAttribute(Qt::WA_NoSystemBackground);
    setObjectName(QStringLiteral("overlay"));
}

void OverlayWidget::setResult(const InferenceResult& result, const percept::app::PipelineStats& stats) {
    result_ = result;
    stats_ = stats;
    pending_.clear();
    presentPending_ = true;
    update();
    if (!isVisible()) {
        presentPending_ = false;
        emit presented(result.frameSeq);
    }
}

void OverlayWidget::setStats(const percept::app::PipelineStats& stats) {
    stats_ = stats;
    update();
}

void OverlayWidget::clearResult() {
    result_.reset();
    presentPending_ = false;
    update();
}

void OverlayWidget::setPendingText(const QString& text) {
    pending_ = text;
    update();
}

QString OverlayWidget::topLabelText() const { return result_ && !result_->top.isEmpty() ? result_->top.front().label : QString(); }

QString OverlayWidget::backendText() const {
    if (!result_) return {};
    return result_->backendLabel + QStringLiteral(" \u00b7 ") + result_->device;
}

int OverlayWidget::topCount() const {
    if (!result_) return 0;
    const int n = static_cast<int>(result_->top.size());
    return compact_ ? std::min(n, 3) : n;
}

namespace {
QString energyText(const percept::app::EnergyInfo& e) {
    QString s = QStringLiteral("%1/inference, %2 (%3)")
                    .arg(formatJoules(e.joulesPerInference), e.measured ? QStringLiteral("measured") : QStringLiteral("estimated"), e.source);
    if (e.coreValid) s += QStringLiteral(" \u00b7 cores %1").arg(formatJoules(e.coreJoulesPerInference));
    return s;
}
// Scene skip: "scene unchanged — 42 % of frames skipped (frame #12's result reused, ≈ 1.2 J saved)".
QString skipText(const InferenceResult& r, bool compact) {
    const auto& k = r.skip;
    if (!k.enabled || k.framesSeen == 0) return {};
    const double pct = 100.0 * static_cast<double>(k.framesSkipped) / static_cast<double>(k.framesSeen);
    const QString share = QStringLiteral("%1 % of frames skipped").arg(pct, 0, 'f', 0);
    if (r.reused)
        return compact ? QStringLiteral("scene unchanged \u2014 %1").arg(share)
                       : QStringLiteral("scene unchanged \u2014 %1 (frame #%2's result reused, \u2248 %3 saved)")
                             .arg(share).arg(r.reusedFrom).arg(formatJoules(k.joulesSaved));
    if (k.framesSkipped == 0) return {};
    return compact ? share : QStringLiteral("scene skip: %1 (\u2248 %2 saved)").arg(share, formatJoules(k.joulesSaved));
}
}  // namespace

QStringList OverlayWidget::textLines() const {
    QStringList out;
    if (!result_) {
        if (!pending_.isEmpty()) out << pending_;
        return out;
    }
    const InferenceResult& r = *result_;
    out << QStringLiteral("%1 \u00b7 %2").arg(r.modelName, backendText());
    for (int i = 0; i < topCount(); ++i) {
        const auto& t = r.top[i];
        out << QStringLiteral("%1  %2%").arg(t.label).arg(t.prob * 100.0, 0, 'f', 1);
    }
    if (compact_) {  // one line of figures on a phone
        QString line = QStringLiteral("%1 ms \u00b7 %2/s").arg(ms(r.medianInferenceMs)).arg(r.inferencesPerSecond, 0, 'f', 0);
        if (r.energy.valid)
            line += QStringLiteral(" \u00b7 %1 %2").arg(formatJoules(r.energy.joulesPerInference), r.energy.measured ? QStringLiteral("meas.") : QStringLiteral("est."));
        out << line;
        for (const QString& note : {r.autoNote, skipText(r, true)})
            if (!note.isEmpty()) out << note;
        return out;
    }
    out << QStringLiteral("preprocess %1 \u00b7 inference %2 \u00b7 post %3 ms (median of %4)")
               .arg(ms(r.medianPreprocessMs), ms(r.medianInferenceMs), ms(r.medianPostprocessMs))
               .arg(r.medianSamples);
    QString rate = r.inferencesPerSecond > 0 ? QStringLiteral("%1 inferences/s").arg(r.inferencesPerSecond, 0, 'f', 1)
                                             : QStringLiteral("up to %1 inferences/s").arg(r.medianTotalMs > 0 ? 1000.0 / r.medianTotalMs : 0.0, 0, 'f', 0);
    if (stats_.endToEndSamples > 0 && !secondary_) rate += QStringLiteral(" \u00b7 end-to-end %1 ms").arg(ms(stats_.endToEndMedianMs));
    out << rate;
    out << QStringLiteral("process CPU time %1 ms per inference (all threads)").arg(ms(r.medianCpuMs));
    if (stats_.sourceFps > 0 && !secondary_)
        out << QStringLiteral("source %1 fps \u00b7 %2 frames dropped by the mailbox").arg(stats_.sourceFps, 0, 'f', 1).arg(stats_.framesDropped);
    QString mem = QStringLiteral("memory: RSS %1 \u00b7 weights %2 \u00b7 arena %3")
                      .arg(formatBytes(r.memory.rssBytes), formatBytes(r.memory.weightBytes), formatBytes(r.memory.arenaBytes));
    if (r.backend == percept::Backend::Vulkan) mem += QStringLiteral(" \u00b7 GPU %1").arg(formatBytes(r.memory.deviceBytes));
    out << mem;
    // What the model's weights take in memory (after decoding and repacking) against its file:
    // compressed and int8 variants are far smaller on disk.
    out << QStringLiteral("weights: %1 resident / %2 on disk").arg(formatBytes(r.memory.weightBytes), formatBytes(r.memory.weightFileBytes));
    if (r.energy.valid) out << QStringLiteral("energy: ") + energyText(r.energy);
    // ---- what Auto chose, and the scene skip (a missing compare side is said under the split view)
    for (const QString& note : {r.autoNote, skipText(r, false)})
        if (!note.isEmpty()) out << note;
    return out;
}

void OverlayWidget::paintEvent(QPaintEvent*) {
    if (!result_ && pending_.isEmpty()) return;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);

    // Size everything from the widget: readable on a phone held upright and on a desktop.
    const int px = std::clamp(width() / 62, 11, 16);
    QFont base = font();
    base.setPixelSize(px);
    QFont small = base;
    small.setPixelSize(std::max(10, px - 2));
    QFont bold = base;
    bold.setBold(true);
    QFont big = bold;
    big.setPixelSize(px + 3);
    const QFontMetrics fmBase(base), fmSmall(small), fmBig(big), fmBold(bold);

    const int margin = std::max(6, px / 2);
    const int pad = std::max(8, px * 2 / 3);
    const int maxPanelW = width() - 2 * margin;
    int panelW = std::min(maxPanelW, std::max(px * 30, std::min(px * 33, maxPanelW)));
    int innerW = panelW - 2 * pad;
    if (innerW < 60) return;

    int top = margin;  // the panel's top: over the picture's top-left corner, or below it
    auto drawPanel = [&](int h) {
        if (imageRect_.isValid() && height() - imageRect_.bottom() - 2 * margin >= h) {
            top = imageRect_.bottom() + margin;  // under the picture, as wide as the view
            panelW = maxPanelW;
            innerW = panelW - 2 * pad;
        }
        QPainterPath path;
        path.addRoundedRect(QRectF(margin, top, panelW, h), 8, 8);
        p.fillPath(path, QColor(12, 16, 24, 190));
    };

    if (!result_) {
        const int h = fmBase.height() + 2 * pad;
        drawPanel(h);
        p.setFont(base);
        p.setPen(QColor(230, 233, 240));
        p.drawText(QRect(margin + pad, top + pad, innerW, fmBase.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   fmBase.elidedText(pending_, Qt::ElideRight, innerW));
        return;
    }

    const InferenceResult& r = *result_;
    const QStringList lines = textLines();
    // lines: [0] header, [1..top] labels, then the detail lines.
    const int nTop = topCount();
    const QStringList details = lines.mid(1 + nTop);
    const int barH = std::max(4, px / 3);
    auto rowGap = [&](int i) { return i == 0 ? px / 2 : px / 2 - 2; };
    const int headerH = fmBold.height() + px / 6 + fmSmall.height() + px / 3 + px / 6;
    int topH = 0;
    for (int i = 0; i < nTop; ++i) topH += (i == 0 ? fmBig.height() : fmBase.height()) + 2 + barH + rowGap(i);
    const int detailH = static_cast<int>(details.size()) * (fmSmall.height() + 2);
    int h = pad + headerH + topH + px / 2 + detailH + pad - 2;
    const bool showDetails = h <= height() - 2 * margin;
    if (!showDetails) h = pad + headerH + topH + pad;
    drawPanel(h);

    int x = margin + pad, y = top + pad;
    // Header: backend chip, model, device.
    const bool gpu = r.backend == percept::Backend::Vulkan;
    const QString chip = r.backendLabel;
    p.setFont(bold);
    const int chipW = fmBold.horizontalAdvance(chip) + px;
    QPainterPath chipPath;
    chipPath.addRoundedRect(QRectF(x, y, chipW, fmBold.height()), 4, 4);
    p.fillPath(chipPath, gpu ? QColor(46, 160, 90) : QColor(52, 120, 220));
    p.setPen(Qt::white);
    p.drawText(QRect(x, y, chipW, fmBold.height()), Qt::AlignCenter, chip);
    p.setPen(QColor(240, 242, 246));
    p.drawText(QRect(x + chipW + px / 2, y, innerW - chipW - px / 2, fmBold.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fmBold.elidedText(r.modelName, Qt::ElideRight, innerW - chipW - px / 2));
    y += fmBold.height() + px / 6;
    p.setFont(small);
    p.setPen(QColor(170, 178, 192));
    p.drawText(QRect(x, y, innerW, fmSmall.height()), Qt::AlignLeft | Qt::AlignVCenter,
               fmSmall.elidedText(QStringLiteral("%1 \u00b7 frame #%2").arg(r.device).arg(r.frameSeq), Qt::ElideRight, innerW));
    y += fmSmall.height() + px / 3 + px / 6;

    // Top-k with bars.
    for (int i = 0; i < nTop; ++i) {
        const auto& t = r.top[i];
        const QFont& f = i == 0 ? big : base;
        const QFontMetrics fm(f);
        const QString pct = QStringLiteral("%1%").arg(t.prob * 100.0, 0, 'f', 1);
        const int pctW = fm.horizontalAdvance(QStringLiteral("100.0%"));
        p.setFont(f);
        p.setPen(i == 0 ? QColor(255, 255, 255) : QColor(222, 226, 234));
        p.drawText(QRect(x, y, innerW - pctW - px / 2, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(t.label, Qt::ElideRight, innerW - pctW - px / 2));
        p.drawText(QRect(x + innerW - pctW, y, pctW, fm.height()), Qt::AlignRight | Qt::AlignVCenter, pct);
        y += fm.height() + 2;
        p.fillRect(QRect(x, y, innerW, barH), QColor(255, 255, 255, 40));
        const int bw = static_cast<int>(std::lround(innerW * std::clamp(static_cast<double>(t.prob), 0.0, 1.0)));
        p.fillRect(QRect(x, y, bw, barH), i == 0 ? QColor(255, 196, 61) : QColor(120, 170, 255));
        y += barH + rowGap(i);
    }

    if (showDetails) {
        y += px / 2;
        p.setFont(small);
        p.setPen(QColor(200, 206, 218));
        for (const QString& line : details) {
            p.drawText(QRect(x, y, innerW, fmSmall.height()), Qt::AlignLeft | Qt::AlignVCenter,
                       fmSmall.elidedText(line, Qt::ElideRight, innerW));
            y += fmSmall.height() + 2;
        }
    }

    if (presentPending_) {
        presentPending_ = false;
        emit presented(r.frameSeq);
    }
}

}  // namespace percept::ui
