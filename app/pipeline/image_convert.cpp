// SPDX-License-Identifier: Apache-2.0
#include "pipeline/image_convert.h"

namespace percept::app {

cv::Mat matView(const QImage& image, QImage& storage) {
    switch (image.format()) {
        case QImage::Format_RGB32:
        case QImage::Format_ARGB32:
        case QImage::Format_ARGB32_Premultiplied:
        case QImage::Format_BGR888:
        case QImage::Format_Grayscale8:
            storage = image;
            break;
        default:
            storage = image.convertToFormat(image.hasAlphaChannel() ? QImage::Format_ARGB32 : QImage::Format_RGB32);
    }
    int type = CV_8UC4;  // 0xAARRGGBB little-endian = B,G,R,A bytes
    if (storage.format() == QImage::Format_BGR888) type = CV_8UC3;
    else if (storage.format() == QImage::Format_Grayscale8) type = CV_8UC1;
    return cv::Mat(storage.height(), storage.width(), type, const_cast<uchar*>(storage.constBits()),
                   static_cast<size_t>(storage.bytesPerLine()));
}

QImage qimageFromMat(const cv::Mat& mat) {
    if (mat.empty() || mat.depth() != CV_8U) return {};
    QImage::Format fmt;
    switch (mat.channels()) {
        case 1: fmt = QImage::Format_Grayscale8; break;
        case 3: fmt = QImage::Format_BGR888; break;
        case 4: fmt = QImage::Format_ARGB32; break;
        default: return {};
    }
    QImage view(mat.data, mat.cols, mat.rows, static_cast<qsizetype>(mat.step), fmt);
    return view.copy();
}

}  // namespace percept::app
