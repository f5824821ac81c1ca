// SPDX-License-Identifier: Apache-2.0
#include "sources/camera_source.h"

namespace percept::app {

CameraSource::CameraSource(const QCameraDevice& device, QObject* parent) : FrameSource(parent), device_(device), camera_(device) {
    session_.setCamera(&camera_);
    session_.setVideoSink(&sink_);
    connect(&sink_, &QVideoSink::videoFrameChanged, this, &CameraSource::onFrame);
    connect(&camera_, &QCamera::errorOccurred, this, [this](QCamera::Error, const QString& text) {
        emit failed(QStringLiteral("Camera %1: %2").arg(device_.description(), text.isEmpty() ? QStringLiteral("cannot start") : text));
    });
}

CameraSource::~CameraSource() {
    disconnect(&sink_, nullptr, this, nullptr);
    camera_.stop();
}

void CameraSource::start() { camera_.start(); }
void CameraSource::stop() { camera_.stop(); }
QString CameraSource::description() const { return QStringLiteral("camera %1").arg(device_.description()); }

void CameraSource::onFrame(const QVideoFrame& frame) {
    if (!frame.isValid()) return;
    QImage img = frame.toImage();
    if (!img.isNull()) emit frameReady(img);
}

}  // namespace percept::app
