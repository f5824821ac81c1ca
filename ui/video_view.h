// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shows the newest frame (scaled to fit, aspect kept) with the overlay on top, or, when there
// is no picture, a friendly empty state inviting a drop.
#include <QImage>
#include <QWidget>

namespace percept::ui {

class OverlayWidget;

class VideoView : public QWidget {
    Q_OBJECT
public:
    explicit VideoView(QWidget* parent = nullptr);

    void setFrame(const QImage& image);
    // Drops the picture and shows `message` in the middle instead.
    void showEmptyState(const QString& message);
    void setDropHighlight(bool on);

    OverlayWidget* overlay() const { return overlay_; }
    bool hasFrame() const { return !frame_.isNull(); }
    QString emptyStateText() const { return frame_.isNull() ? emptyText_ : QString(); }
    QSize frameSize() const { return frame_.size(); }
    // Where the picture is drawn: scaled to fit, centred; on a tall (portrait) view it sits at
    // the top so the overlay can use the free space below instead of covering it.
    QRect imageRect() const;

    QSize sizeHint() const override { return {800, 560}; }
    QSize minimumSizeHint() const override { return {240, 180}; }

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;

private:
    QImage frame_;
    QString emptyText_;
    bool dropHighlight_ = false;
    OverlayWidget* overlay_;
};

}  // namespace percept::ui
