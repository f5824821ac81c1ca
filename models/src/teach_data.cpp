// SPDX-License-Identifier: Apache-2.0
#include "percept/models/teach_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "percept/error.h"
#include "percept/models/preprocess.h"

namespace percept::models {
namespace {

bool isImageFile(const std::filesystem::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".bmp" || e == ".webp" || e == ".tif" || e == ".tiff";
}

// `count` indices spread evenly over [0, n).
std::vector<int64_t> spread(int64_t n, int maxFrames) {
    std::vector<int64_t> idx;
    const int64_t take = maxFrames > 0 ? std::min<int64_t>(n, maxFrames) : n;
    for (int64_t k = 0; k < take; ++k) idx.push_back(take == n ? k : k * n / take);
    return idx;
}

}  // namespace

std::vector<cv::Mat> readTeachingFrames(const std::string& path, int maxFrames) {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<cv::Mat> frames;
    if (fs::is_directory(path, ec)) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(path, ec))
            if (e.is_regular_file() && isImageFile(e.path())) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (int64_t k : spread(static_cast<int64_t>(files.size()), maxFrames)) frames.push_back(loadImage(files[static_cast<size_t>(k)].string()));
        if (frames.empty()) throw Error(path + ": the folder holds no pictures (png, jpg, bmp, webp, tiff)");
        return frames;
    }
    if (!fs::is_regular_file(path, ec)) throw Error(path + ": no such folder or video file");
    // A video: every frame read in order, the wanted ones kept (seeking is unreliable in many
    // containers, and teaching clips are short).
    cv::VideoCapture video(path);
    if (!video.isOpened()) throw Error(path + ": not a folder of pictures nor a video OpenCV can read");
    std::vector<cv::Mat> all;
    cv::Mat f;
    while (video.read(f) && all.size() < 100000) all.push_back(f.clone());
    for (int64_t k : spread(static_cast<int64_t>(all.size()), maxFrames)) frames.push_back(all[static_cast<size_t>(k)]);
    if (frames.empty()) throw Error(path + ": the video has no frame OpenCV can decode");
    return frames;
}

cv::Mat augmentFrame(const cv::Mat& bgr, std::mt19937& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const int shorter = std::min(bgr.cols, bgr.rows);
    const double side = shorter * (0.7 + 0.3 * u(rng));
    const double aspect = std::exp(std::log(0.85) + (std::log(1.18) - std::log(0.85)) * u(rng));
    const int w = std::clamp(static_cast<int>(side * std::sqrt(aspect)), 8, bgr.cols);
    const int h = std::clamp(static_cast<int>(side / std::sqrt(aspect)), 8, bgr.rows);
    const int x = static_cast<int>(u(rng) * (bgr.cols - w)), y = static_cast<int>(u(rng) * (bgr.rows - h));
    cv::Mat out = bgr(cv::Rect(x, y, w, h)).clone();
    if (u(rng) < 0.5) cv::flip(out, out, 1);
    // Saturation in HSV, then brightness and contrast about the mean.
    const double sat = 0.8 + 0.4 * u(rng), gain = 0.8 + 0.4 * u(rng), contrast = 0.8 + 0.4 * u(rng);
    cv::Mat hsv;
    cv::cvtColor(out, hsv, cv::COLOR_BGR2HSV);
    std::vector<cv::Mat> ch;
    cv::split(hsv, ch);
    ch[1].convertTo(ch[1], -1, sat, 0.0);
    cv::merge(ch, hsv);
    cv::cvtColor(hsv, out, cv::COLOR_HSV2BGR);
    const double mean = cv::mean(out)[0] / 3 + cv::mean(out)[1] / 3 + cv::mean(out)[2] / 3;
    out.convertTo(out, -1, gain * contrast, gain * (1.0 - contrast) * mean);
    return out;
}

void addExamples(const std::vector<cv::Mat>& frames, int label, double heldBackShare, int augment, std::mt19937& rng,
                 const std::function<train::Features(const cv::Mat&)>& extract, std::vector<train::Example>& train,
                 std::vector<train::Example>& heldBack) {
    const int n = static_cast<int>(frames.size());
    const int held = std::min(n - 1, static_cast<int>(std::lround(heldBackShare * n)));
    for (int k = 0; k < n; ++k) {
        const cv::Mat& f = frames[static_cast<size_t>(k)];
        if (k >= n - held) {
            heldBack.push_back({extract(f), label});
            continue;
        }
        train.push_back({extract(f), label});
        for (int r = 0; r < augment; ++r) train.push_back({extract(augmentFrame(f, rng)), label});
    }
}

std::map<std::string, std::string> personalisedMetadata(const Conventions& base, const Labels& baseLabels, int64_t baseClasses,
                                                        const std::vector<std::string>& newClasses, bool extend) {
    Conventions c = base;
    std::vector<std::string> labels;
    if (extend) {
        for (int64_t i = c.labelOffset; i < baseClasses; ++i) labels.push_back(baseLabels.name(static_cast<int>(i), c.labelOffset));
    } else {
        c.labelOffset = 0;
    }
    labels.insert(labels.end(), newClasses.begin(), newClasses.end());
    return metadataFromConventions(c, labels);
}

}  // namespace percept::models
