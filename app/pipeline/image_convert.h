// SPDX-License-Identifier: Apache-2.0
#pragma once
// QImage <-> cv::Mat without surprises about channel order.
#include <QImage>
#include <opencv2/core.hpp>

namespace percept::app {

// A BGR / BGRA / gray cv::Mat viewing the pixels of `image` (converted first when its format is
// not one OpenCV reads directly; the converted copy is kept in `storage`). Valid while
// `storage` lives.
cv::Mat matView(const QImage& image, QImage& storage);

// A QImage copy of an 8-bit BGR, BGRA or gray matrix; null for other types.
QImage qimageFromMat(const cv::Mat& mat);

}  // namespace percept::app
