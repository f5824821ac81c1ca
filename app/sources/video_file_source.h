// SPDX-License-Identifier: Apache-2.0
#pragma once
// A video file played in a loop: QMediaPlayer -> QVideoSink -> QImage (needs the GStreamer
// plugins base/good/libav at run time, or QT_MEDIA_BACKEND=ffmpeg).
#include <QMediaPlayer>
#include <QVideoFrame>
#include <QVideoSink>

#include "sources/frame_source.h"

namespace percept::app {

class VideoFileSource : public FrameSource {
    Q_OBJECT
public:
    explicit VideoFileSource(QString path, QObject* parent = nullptr);
    ~VideoFileSource() override;
    void start() override;
    void stop() override;
    bool isStill() const override { return false; }
    QString description() const override;

private:
    void onFrame(const QVideoFrame& frame);
    QString path_;
    QMediaPlayer player_;
    QVideoSink sink_;
    bool reportedFailure_ = false;
};

}  // namespace percept::app
