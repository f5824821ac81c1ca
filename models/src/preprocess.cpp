// SPDX-License-Identifier: Apache-2.0
#include "percept/models/preprocess.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "percept/error.h"

namespace percept::models {

namespace {
// Bigger images than this are refused before decoding (a 30000x30000 PNG would need 2.7 GB).
constexpr long long kMaxImagePixels = 100LL * 1000 * 1000;
}

cv::Mat decodeImage(const std::vector<unsigned char>& bytes, const std::string& source) {
    if (bytes.empty()) throw Error(source + ": the file is empty, not an image");
    // OpenCV checks a header's size against OPENCV_IO_MAX_IMAGE_PIXELS (read once, at the first
    // decode) before it allocates; its default (2^30) would let a 30000x30000 header take 2.7 GB.
    static const bool capped = [] { return setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(kMaxImagePixels).c_str(), 0) == 0; }();
    (void)capped;
    cv::Mat img;
    try {
        img = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw Error(source + ": cannot decode the image (corrupt, or larger than " + std::to_string(kMaxImagePixels / 1000000) + " megapixels)");
    }
    if (img.empty()) throw Error(source + ": not a readable image (unknown format or corrupt data)");
    if (static_cast<long long>(img.cols) * img.rows > kMaxImagePixels)
        throw Error(source + ": the image is too large (" + std::to_string(img.cols) + "x" + std::to_string(img.rows) + ")");
    return img;
}

cv::Mat loadImage(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open the image (missing or unreadable)");
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return decodeImage(bytes, path);
}

Tensor preprocess(const cv::Mat& input, const InputSpec& spec) {
    if (input.empty() || input.depth() != CV_8U) throw Error("preprocess: expected a non-empty 8-bit image");
    cv::Mat bgr;
    if (input.channels() == 1) cv::cvtColor(input, bgr, cv::COLOR_GRAY2BGR);
    else if (input.channels() == 4) cv::cvtColor(input, bgr, cv::COLOR_BGRA2BGR);
    else bgr = input;
    // Shorter side -> resizeShorter (bilinear), keeping the aspect ratio, then centre crop.
    const double scale = static_cast<double>(spec.resizeShorter) / std::min(bgr.cols, bgr.rows);
    const int w = std::max(spec.size, static_cast<int>(std::lround(bgr.cols * scale)));
    const int h = std::max(spec.size, static_cast<int>(std::lround(bgr.rows * scale)));
    cv::Mat resized;
    cv::resize(bgr, resized, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    const cv::Mat crop = resized(cv::Rect((w - spec.size) / 2, (h - spec.size) / 2, spec.size, spec.size));
    const int s = spec.size;
    Tensor t({1, 3, s, s});
    float* out = t.data.data();
    float mean[3], inv[3];
    for (int c = 0; c < 3; ++c) {
        const bool minusOne = spec.normalization == Normalization::MinusOneOne;
        mean[c] = minusOne ? 127.5f : spec.mean[c];
        inv[c] = 1.0f / (minusOne ? 127.5f : spec.std[c]);
    }
    for (int y = 0; y < s; ++y) {
        const unsigned char* row = crop.ptr<unsigned char>(y);
        for (int x = 0; x < s; ++x)
            for (int c = 0; c < 3; ++c) {
                // Plane c of the output holds R,G,B (rgb) or B,G,R; the source is BGR.
                const int src = spec.rgb ? 2 - c : c;
                out[(static_cast<size_t>(c) * s + y) * s + x] = (row[x * 3 + src] - mean[c]) * inv[c];
            }
    }
    return t;
}

}  // namespace percept::models
