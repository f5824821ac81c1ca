// SPDX-License-Identifier: Apache-2.0
#include "sources/image_source.h"

#include "percept/error.h"
#include "percept/models/preprocess.h"
#include "pipeline/image_convert.h"

namespace percept::app {

QImage loadImageFile(const QString& path, QString* error) {
    try {
        const cv::Mat bgr = percept::models::loadImage(path.toStdString());
        QImage img = qimageFromMat(bgr);
        if (img.isNull() && error) *error = QStringLiteral("%1: unsupported pixel format").arg(path);
        return img;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return {};
    }
}

}  // namespace percept::app
