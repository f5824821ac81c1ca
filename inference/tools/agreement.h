// SPDX-License-Identifier: Apache-2.0
#pragma once
// How closely one output agrees with a reference output: the largest element difference as a
// fraction of the reference's largest magnitude (so the figure means the same for logits of
// any scale), and whether both pick the same top-1. Shared by percept-bench and the zoo tests
// so both report the same numbers; the app's compare mode too (on class probabilities).
#include <algorithm>
#include <cmath>
#include <cstddef>

namespace percept::tools {

struct Agreement {
    double maxRelDiff = 0;  // max |mine - ref| / max |ref|
    double maxAbsDiff = 0;  // max |mine - ref| (on probabilities: max |Δprob|, compare mode's figure)
    size_t top1 = 0, refTop1 = 0;
    bool sameTop1() const { return top1 == refTop1; }
};

inline Agreement compareOutputs(const float* mine, const float* ref, size_t n) {
    Agreement a;
    double maxRef = 0, maxDiff = 0;
    for (size_t k = 0; k < n; ++k) {
        maxRef = std::max(maxRef, std::fabs(static_cast<double>(ref[k])));
        const double d = std::fabs(static_cast<double>(mine[k]) - ref[k]);
        maxDiff = std::isfinite(d) ? std::max(maxDiff, d) : HUGE_VAL;  // a NaN must not compare as agreement
        if (mine[k] > mine[a.top1]) a.top1 = k;
        if (ref[k] > ref[a.refTop1]) a.refTop1 = k;
    }
    a.maxAbsDiff = maxDiff;
    a.maxRelDiff = maxDiff / std::max(maxRef, 1e-30);
    return a;
}

}  // namespace percept::tools
