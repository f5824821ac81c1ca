// SPDX-License-Identifier: Apache-2.0
#pragma once
// One still picture: a decoded file or an image from the clipboard / a drop.
#include <QImage>

#include "sources/frame_source.h"

namespace percept::app {

class ImageSource : public FrameSource {
    Q_OBJECT
public:
    ImageSource(QImage image, QString description, QObject* parent = nullptr)
        : FrameSource(parent), image_(std::move(image)), description_(std::move(description)) {}

    void start() override { emit frameReady(image_); }
    bool isStill() const override { return true; }
    QString description() const override { return description_; }
    const QImage& image() const { return image_; }

private:
    QImage image_;
    QString description_;
};

// Decodes an image file with OpenCV (the engine's decoder, so the app and percept-classify see
// the same pixels). Returns a null image and sets `error` on failure.
QImage loadImageFile(const QString& path, QString* error);

}  // namespace percept::app
