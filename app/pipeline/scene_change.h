// SPDX-License-Identifier: Apache-2.0
#pragma once
// Is a frame the same scene as the one the last result was computed for? A cheap test, so a
// still scene (a camera on a tripod, a paused video) costs a thumbnail instead of an inference:
// the frame is shrunk to a 32x32 grey thumbnail (area average: each cell is the mean of a
// block of pixels, so sensor and compression noise average out), and the measure is the
// largest change of any cell, in grey levels (0..255). The largest cell rather than the mean,
// so a small object moving through a still scene still counts as a change.
// Costs about 20 µs on a 320x240 frame, 0.3 ms on a 1080p one (one cv::resize).
#include <opencv2/core.hpp>

namespace percept::app {

class SceneChange {
public:
    static constexpr int kSide = 32;
    // The threshold offered when skipping is turned on (it is off until the user turns it on
    // in the settings or with --scene-skip: a result then no longer means a fresh inference).
    // H.264 at usual quality moves a still scene's cells by < 1 grey level, a webcam's noise
    // by ~1; a hand moving into view changes cells by tens.
    static constexpr double kDefaultThreshold = 4.0;

    // A thumbnail of an 8-bit image with 1, 3 or 4 channels (BGR/BGRA order or RGB: grey is
    // taken as the plain mean of the colour channels, so the order does not matter).
    static cv::Mat thumbnail(const cv::Mat& image);
    // Largest absolute difference between two thumbnails' cells (grey levels).
    static double difference(const cv::Mat& a, const cv::Mat& b);

    // 0 (or less) turns skipping off.
    void setThreshold(double greyLevels) { threshold_ = greyLevels; reset(); }
    double threshold() const { return threshold_; }
    bool enabled() const { return threshold_ > 0; }
    // Forget the reference scene (after a model, backend or source change).
    void reset() { reference_ = cv::Mat(); }
    bool hasReference() const { return !reference_.empty(); }
    // The scene the last computed result is for.
    void setReference(cv::Mat thumb) { reference_ = std::move(thumb); }
    // `thumb`'s difference from the reference (0 without one: callers check hasReference()).
    double differenceFromReference(const cv::Mat& thumb) const { return reference_.empty() ? 0.0 : difference(thumb, reference_); }
    bool unchanged(double difference) const { return enabled() && difference < threshold_; }

private:
    double threshold_ = 0;  // off
    cv::Mat reference_;
};

}  // namespace percept::app
