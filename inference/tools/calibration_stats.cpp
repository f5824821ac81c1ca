// SPDX-License-Identifier: Apache-2.0
#include "calibration_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "percept/error.h"

namespace percept::tools {

CalibrationMethod calibrationMethodFromName(const std::string& name) {
    if (name == "minmax") return CalibrationMethod::MinMax;
    if (name == "percentile") return CalibrationMethod::Percentile;
    if (name == "entropy") return CalibrationMethod::Entropy;
    throw Error("--method must be minmax, percentile or entropy, not '" + name + "'");
}

const char* calibrationMethodName(CalibrationMethod m) {
    switch (m) {
        case CalibrationMethod::MinMax: return "minmax";
        case CalibrationMethod::Percentile: return "percentile";
        case CalibrationMethod::Entropy: return "entropy";
    }
    return "?";
}

void TensorStats::observeExtent(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (!std::isfinite(v)) continue;
        if (!seen_) min_ = max_ = v;
        min_ = std::min(min_, v);
        max_ = std::max(max_, v);
        seen_ = true;
    }
}

void TensorStats::observeHistogram(const float* x, int64_t n) {
    if (abs_.empty()) {
        abs_.assign(kBins, 0.0);
        signed_.assign(kBins, 0.0);
    }
    const double absMax = std::max(std::fabs(min_), std::fabs(max_)), width = static_cast<double>(max_) - min_;
    for (int64_t i = 0; i < n; ++i) {
        const double v = x[i];
        if (!std::isfinite(v)) continue;
        const int a = absMax > 0 ? std::min(kBins - 1, static_cast<int>(std::fabs(v) / absMax * kBins)) : 0;
        const int s = width > 0 ? std::min(kBins - 1, std::max(0, static_cast<int>((v - min_) / width * kBins))) : 0;
        // Exact zeros (half of a ReLU's output) are exact at any range: left out of the entropy
        // histogram, where their spike in the first bin would pull the threshold down.
        if (v != 0.0) abs_[static_cast<size_t>(a)] += 1;
        signed_[static_cast<size_t>(s)] += 1;
        count_ += 1;
    }
}

std::pair<float, float> TensorStats::range(CalibrationMethod m, double percentile) const {
    std::pair<float, float> r = {min_, max_};
    if (m == CalibrationMethod::Percentile && count_ > 0) r = percentileRange(percentile);
    if (m == CalibrationMethod::Entropy && count_ > 0) r = entropyRange();
    // Real zero must be exactly representable (padding, ReLU's floor).
    r.first = std::min(r.first, 0.0f);
    r.second = std::max(r.second, 0.0f);
    return r;
}

// The values below the (100-p)-th and above the p-th percentile are clipped; a side that never
// goes past zero keeps zero.
std::pair<float, float> TensorStats::percentileRange(double p) const {
    const double tail = count_ * (100.0 - p) / 100.0, width = static_cast<double>(max_) - min_;
    double below = 0;
    int lo = 0;
    while (lo < kBins - 1 && below + signed_[static_cast<size_t>(lo)] <= tail) below += signed_[static_cast<size_t>(lo++)];
    double above = 0;
    int hi = kBins - 1;
    while (hi > lo && above + signed_[static_cast<size_t>(hi)] <= tail) above += signed_[static_cast<size_t>(hi--)];
    return {static_cast<float>(min_ + width * lo / kBins), static_cast<float>(min_ + width * (hi + 1) / kBins)};
}

// TensorRT's entropy calibration on the histogram of |x|: for each candidate threshold (a bin
// edge), the reference distribution P is the histogram up to it with everything beyond folded
// into its last bin (what clipping does to the values); Q is the histogram up to it merged into
// `levels` quantisation bins and spread back over the non-empty bins each covers (what the
// quantised tensor can tell apart), without the clipped mass, so clipping costs divergence. The threshold of least KL(P || Q) wins. A tensor that is never
// negative gets all 256 levels on [0, t]; a signed one 128 per side, t applied to both.
std::pair<float, float> TensorStats::entropyRange() const {
    const bool nonNegative = min_ >= 0.0f;
    const int levels = nonNegative ? 256 : 128;
    const double absMax = std::max(std::fabs(min_), std::fabs(max_));
    if (absMax <= 0) return {0.0f, 0.0f};
    double bestKl = std::numeric_limits<double>::infinity();
    int best = kBins;
    std::vector<double> p, q;
    for (int i = levels; i <= kBins; ++i) {
        p.assign(abs_.begin(), abs_.begin() + i);
        double outliers = 0;
        for (int k = i; k < kBins; ++k) outliers += abs_[static_cast<size_t>(k)];
        p.back() += outliers;
        // Q: i bins merged into `levels`, each level's mass spread evenly over its non-empty bins.
        q.assign(static_cast<size_t>(i), 0.0);
        const double per = static_cast<double>(i) / levels;
        for (int l = 0; l < levels; ++l) {
            const int b0 = static_cast<int>(std::floor(l * per)), b1 = l == levels - 1 ? i : static_cast<int>(std::floor((l + 1) * per));
            double mass = 0;
            int nonEmpty = 0;
            for (int b = b0; b < b1; ++b) {
                mass += abs_[static_cast<size_t>(b)];
                nonEmpty += abs_[static_cast<size_t>(b)] > 0;
            }
            for (int b = b0; b < b1; ++b)
                if (abs_[static_cast<size_t>(b)] > 0) q[static_cast<size_t>(b)] = mass / nonEmpty;
        }
        double sp = 0, sq = 0;
        for (int b = 0; b < i; ++b) {
            sp += p[static_cast<size_t>(b)];
            sq += q[static_cast<size_t>(b)];
        }
        if (sp <= 0 || sq <= 0) continue;
        double kl = 0;
        for (int b = 0; b < i; ++b) {
            const double pb = p[static_cast<size_t>(b)] / sp;
            if (pb <= 0) continue;
            const double qb = q[static_cast<size_t>(b)] / sq;
            kl += qb > 0 ? pb * std::log(pb / qb) : pb * 50.0;  // an empty Q bin where P has mass: a large penalty
        }
        if (kl < bestKl) {
            bestKl = kl;
            best = i;
        }
    }
    const float t = static_cast<float>(absMax * best / kBins);
    return {std::max(min_, -t), std::min(max_, t)};
}

}  // namespace percept::tools
