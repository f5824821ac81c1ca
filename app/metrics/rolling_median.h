// SPDX-License-Identifier: Apache-2.0
#pragma once
// Median of the last N samples (a window, not the whole history), so the figure follows a
// change of backend or model within N frames and one slow frame does not move it.
#include <algorithm>
#include <cstddef>
#include <deque>
#include <vector>

namespace percept::app {

class RollingMedian {
public:
    explicit RollingMedian(size_t window = 31) : window_(window ? window : 1) {}

    void add(double v) {
        samples_.push_back(v);
        while (samples_.size() > window_) samples_.pop_front();
    }
    void clear() { samples_.clear(); }
    size_t count() const { return samples_.size(); }
    bool empty() const { return samples_.empty(); }

    // 0 when empty; the mean of the two middle samples for an even count.
    double median() const {
        if (samples_.empty()) return 0.0;
        std::vector<double> v(samples_.begin(), samples_.end());
        const size_t mid = v.size() / 2;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
        const double hi = v[mid];
        if (v.size() % 2) return hi;
        const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
        return 0.5 * (lo + hi);
    }

private:
    size_t window_;
    std::deque<double> samples_;
};

}  // namespace percept::app
