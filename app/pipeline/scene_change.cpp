// SPDX-License-Identifier: Apache-2.0
#include "pipeline/scene_change.h"

#include <opencv2/imgproc.hpp>

namespace percept::app {

cv::Mat SceneChange::thumbnail(const cv::Mat& image) {
    cv::Mat small;
    cv::resize(image, small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
    cv::Mat grey(kSide, kSide, CV_32F);
    const int ch = small.channels();
    const int colours = ch >= 3 ? 3 : 1;  // alpha is not part of the scene
    for (int y = 0; y < kSide; ++y) {
        const uchar* row = small.ptr<uchar>(y);
        float* out = grey.ptr<float>(y);
        for (int x = 0; x < kSide; ++x) {
            float sum = 0;
            for (int c = 0; c < colours; ++c) sum += row[x * ch + c];
            out[x] = sum / static_cast<float>(colours);
        }
    }
    return grey;
}

double SceneChange::difference(const cv::Mat& a, const cv::Mat& b) {
    if (a.size() != b.size() || a.type() != b.type()) return 255.0;  // not comparable: a change
    double maxDiff = 0;
    cv::minMaxLoc(cv::abs(a - b), nullptr, &maxDiff);
    return maxDiff;
}

}  // namespace percept::app
