// SPDX-License-Identifier: Apache-2.0
#pragma once
// The overlay drawn over the video: top-5 labels with probability bars, the latency split
// (rolling medians, inferences per second, end-to-end), memory, energy per inference with its
// source, and the backend/device/model that produced the result. Transparent to the mouse.
// After it has drawn a new result it emits presented(seq), which closes the end-to-end
// latency measurement.
#include <QStringList>
#include <QWidget>
#include <optional>

#include "pipeline/inference_result.h"
#include "pipeline/pipeline.h"

namespace percept::ui {

class OverlayWidget : public QWidget {
    Q_OBJECT
public:
    explicit OverlayWidget(QWidget* parent = nullptr);

    void setResult(const percept::app::InferenceResult& result, const percept::app::PipelineStats& stats);
    void clearResult();
    // Newer pipeline figures (end-to-end latency) for the result already shown.
    void setStats(const percept::app::PipelineStats& stats);
    // Shown in the panel until a result arrives ("Loading model...").
    void setPendingText(const QString& text);
    // The picture's rectangle: the panel goes below it when there is room there.
    void setImageRect(const QRect& r) {
        imageRect_ = r;
        update();
    }

    // What the overlay shows, for tests and the screenshot report.
    bool hasResult() const { return result_.has_value(); }
    QString topLabelText() const;
    quint64 shownFrameSeq() const { return result_ ? result_->frameSeq : 0; }
    QString backendText() const;   // "CPU · CPU (2 threads)"
    QStringList textLines() const;  // every line of the panel, top to bottom
    // ---- compare mode, phone-sized layout ----
    // Compact (phone-sized window): the top-3 and one line of figures, plus Auto's and the
    // scene skip's notes; the whole panel stays readable at 360 px wide.
    void setCompact(bool on) {
        compact_ = on;
        update();
    }
    bool compact() const { return compact_; }
    // Compare mode's second overlay: no end-to-end or mailbox lines (the pipeline's figures
    // belong to the frame, not to one backend; the first overlay shows them).
    void setSecondary(bool on) { secondary_ = on; }

signals:
    void presented(quint64 seq);

protected:
    void paintEvent(QPaintEvent*) override;

private:
    std::optional<percept::app::InferenceResult> result_;
    percept::app::PipelineStats stats_;
    QString pending_;
    QRect imageRect_;
    bool presentPending_ = false;
    bool compact_ = false;
    bool secondary_ = false;
    int topCount() const;     // the top-k rows drawn
};

// "13.4 MiB"
QString formatBytes(size_t bytes);
// "0.065 J", "12.3 mJ", "850 µJ"
QString formatJoules(double j);

}  // namespace percept::ui
