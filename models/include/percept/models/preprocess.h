// SPDX-License-Identifier: Apache-2.0
#pragma once
// Image decoding and preprocessing with OpenCV, as a manifest's InputSpec says: resize the
// shorter side (bilinear), centre crop, channel order, normalisation, HWC -> NCHW.
#include <string>

#include <opencv2/core.hpp>

#include "percept/models/manifest.h"
#include "percept/tensor.h"

namespace percept::models {

// Decodes an image file into an 8-bit BGR matrix. Throws percept::Error with a clear message
// for a missing, empty, oversized or undecodable file.
cv::Mat loadImage(const std::string& path);
cv::Mat decodeImage(const std::vector<unsigned char>& bytes, const std::string& source);

// bgr: 8-bit, 1, 3 or 4 channels (BGR/BGRA order as OpenCV decodes). Returns [1,3,S,S].
Tensor preprocess(const cv::Mat& bgr, const InputSpec& spec);

}  // namespace percept::models
