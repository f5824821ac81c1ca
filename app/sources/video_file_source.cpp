// SPDX-License-Identifier: Apache-2.0
#include "sources/video_file_source.h"

#include <QFileInfo>
#include <QUrl>

namespace percept::app {

VideoFileSource::VideoFileSource(QString path, QObject* parent) : FrameSource(parent), path_(std::move(path)) {
    player_.setVideoSink(&sink_);
    player_.setLoops(QMediaPlayer::Infinite);
    connect(&sink_, &QVideoSink::videoFrameChanged, this, &VideoFileSource::onFrame);
    connect(&player_, &QMediaPlayer::errorOccurred, this, [this](QMediaPlayer::Error, const QString& text) {
        if (reportedFailure_) return;
        reportedFailure_ = true;
        emit failed(QStringLiteral("Cannot play %1: %2").arg(QFileInfo(path_).fileName(), text.isEmpty() ? QStringLiteral("unknown error") : text));
    });
    connect(&player_, &QMediaPlayer::mediaStatusChanged, this, [this](QMediaPlayer::MediaStatus s) {
        if (s == QMediaPlayer::InvalidMedia && !reportedFailure_) {
            reportedFailure_ = true;
            emit failed(QStringLiteral("Cannot play %1: not a playable video").arg(QFileInfo(path_).fileName()));
        }
    });
}

VideoFileSource::~VideoFileSource() {
    disconnect(&sink_, nullptr, this, nullptr);
    player_.stop();
}

void VideoFileSource::start() {
    player_.setSource(QUrl::fromLocalFile(QFileInfo(path_).absoluteFilePath()));
    player_.play();
}

void VideoFileSource::stop() { player_.stop(); }

QString VideoFileSource::description() const { return QStringLiteral("video %1").arg(QFileInfo(path_).fileName()); }

void VideoFileSource::onFrame(const QVideoFrame& frame) {
    if (!frame.isValid()) return;
    QImage img = frame.toImage();
    if (!img.isNull()) emit frameReady(img);
}

}  // namespace percept::app
