// SPDX-License-Identifier: Apache-2.0
#pragma once
// A camera: QCamera + QMediaCaptureSession -> QVideoSink -> QImage.
#include <QCamera>
#include <QCameraDevice>
#include <QMediaCaptureSession>
#include <QVideoFrame>
#include <QVideoSink>

#include "sources/frame_source.h"

namespace percept::app {

class CameraSource : public FrameSource {
    Q_OBJECT
public:
    explicit CameraSource(const QCameraDevice& device, QObject* parent = nullptr);
    ~CameraSource() override;
    void start() override;
    void stop() override;
    bool isStill() const override { return false; }
    QString description() const override;

private:
    void onFrame(const QVideoFrame& frame);
    QCameraDevice device_;
    QCamera camera_;
    QMediaCaptureSession session_;
    QVideoSink sink_;
};

}  // namespace percept::app
