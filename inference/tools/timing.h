// SPDX-License-Identifier: Apache-2.0
#pragma once
// Timing helpers shared by the command-line tools (percept-bench and its --compare/--batch
// parts, percept-classify, percept-teach): one median and one stopwatch for all of them.
#include <algorithm>
#include <chrono>
#include <vector>

namespace percept::tools {

using Clock = std::chrono::steady_clock;

// The median (the mean of the middle two for an even count), 0 for none.
inline double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Milliseconds since t0.
inline double msSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace percept::tools
