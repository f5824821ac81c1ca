// SPDX-License-Identifier: Apache-2.0
#pragma once
// Pictures for teaching a model new classes (percept/train.h), shared by percept-teach and the
// app's Teach panel: the frames of a folder or a video, light augmentation, the compiled-in
// reference photos as examples of "none of the new classes", and the personalised model's
// metadata (labels: the base model's then the new ones).
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "percept/models/classification.h"
#include "percept/models/conventions.h"
#include "percept/train.h"

namespace percept::models {

// The images of a directory (sorted by file name; files that are not images are skipped) or
// the frames of a video file, at most `maxFrames` of them spread evenly over it (0: all).
// Throws percept::Error when the path is neither, or holds no picture.
std::vector<cv::Mat> readTeachingFrames(const std::string& dirOrVideo, int maxFrames);

// Light augmentation, as a person moving an object in front of a camera varies it: a random
// crop (70-100 % of the shorter side, aspect 0.85-1.18, anywhere in the picture), a horizontal
// flip half the time, brightness, contrast and saturation each scaled by 0.8-1.2.
cv::Mat augmentFrame(const cv::Mat& bgr, std::mt19937& rng);

// The examples of one new class (label >= 0) or of none of them (-1) from its frames, in time
// order: the last `heldBackShare` of them are held back (measured, never trained on: a later
// stretch of the video, not a neighbour of a training frame); each of the others and `augment`
// augmented copies of it go to `train`. `extract` runs the frozen part on a picture.
void addExamples(const std::vector<cv::Mat>& frames, int label, double heldBackShare, int augment, std::mt19937& rng,
                 const std::function<train::Features(const cv::Mat&)>& extract, std::vector<train::Example>& train,
                 std::vector<train::Example>& heldBack);

// The reference photos compiled in for calibration (resources/calibration: ordinary photos of
// ImageNet classes), decoded as BGR; defined beside them in calibration.cpp.
std::vector<cv::Mat> referencePhotoImages();

// metadata_props of a personalised model: the base's input conventions, and labels naming the
// base's classes (by `baseLabels`, from `base.labelOffset` on) then `newClasses` (extend), or
// the new classes alone (offset 0).
std::map<std::string, std::string> personalisedMetadata(const Conventions& base, const Labels& baseLabels, int64_t baseClasses,
                                                        const std::vector<std::string>& newClasses, bool extend);

}  // namespace percept::models
