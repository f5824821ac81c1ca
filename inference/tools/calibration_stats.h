// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-quantize's calibration statistics: per activation tensor, the values it took on the
// calibration photos, and the range each method quantises it to.
//   minmax      the whole observed range;
//   percentile  the range between the p-th and (100-p)-th percentiles (p = 99.99 by default):
//               the rare outliers are clipped so the common values get finer steps;
//   entropy     the clipping threshold that keeps the quantised distribution closest to the
//               observed one (least Kullback-Leibler divergence; NVIDIA's TensorRT calibration).
// Two passes over the data: the first finds each tensor's extent, the second fills a histogram
// of fixed bins over it, from which percentile and entropy read their ranges.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace percept::tools {

enum class CalibrationMethod { MinMax, Percentile, Entropy };

// "minmax" | "percentile" | "entropy"; throws percept::Error for anything else.
CalibrationMethod calibrationMethodFromName(const std::string& name);
const char* calibrationMethodName(CalibrationMethod m);

class TensorStats {
public:
    static constexpr int kBins = 2048;

    // Pass 1.
    void observeExtent(const float* x, int64_t n);
    // Pass 2 (after every observeExtent).
    void observeHistogram(const float* x, int64_t n);

    float min() const { return min_; }
    float max() const { return max_; }
    // The range [lo, hi] (lo <= 0 <= hi) to quantise to with 8 bits (256 steps).
    std::pair<float, float> range(CalibrationMethod m, double percentile = 99.99) const;

private:
    std::pair<float, float> percentileRange(double p) const;
    std::pair<float, float> entropyRange() const;

    float min_ = 0.0f, max_ = 0.0f;
    bool seen_ = false;
    // Histogram of |x| over [0, max |x|] (entropy) and of x over [min, max] (percentile).
    std::vector<double> abs_, signed_;
    double count_ = 0;
};

}  // namespace percept::tools
