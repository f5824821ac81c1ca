// SPDX-License-Identifier: Apache-2.0
#pragma once
// Compare mode's view: the frame twice, side by side on a wide window and one above
// the other on a tall one, each with its own overlay (left/top: the CPU, right/bottom: the
// GPU), and under them one line saying whether the two backends agree on this frame (same
// top-1, the largest probability difference over every class) and how their speed and energy
// compare. Without a usable GPU it shows the CPU alone and the line says why.
#include <QImage>
#include <QWidget>

#include "pipeline/inference_result.h"
#include "pipeline/pipeline.h"

class QBoxLayout;
class QLabel;

namespace percept::ui {

class OverlayWidget;
class VideoView;

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget* parent = nullptr);

    void setFrame(const QImage& image);
    void setResult(const percept::app::InferenceResult& result, const percept::app::PipelineStats& stats);
    void setStats(const percept::app::PipelineStats& stats);
    void clear(const QString& pendingText);
    void setCompact(bool on);

    VideoView* side(int i) const { return i == 0 ? cpu_ : gpu_; }
    OverlayWidget* overlay(int i) const;
    QString agreementText() const;
    bool secondSideShown() const;

    // "Same top-1 (tabby) · max |Δprob| 0.0003 · GPU 2.1× the CPU's time, 1.4× its energy"
    static QString agreementLine(const percept::app::InferenceResult& r);

protected:
    void resizeEvent(QResizeEvent* e) override;

private:
    VideoView* cpu_;
    VideoView* gpu_;
    QLabel* agreement_;
    QBoxLayout* sides_;
};

}  // namespace percept::ui
