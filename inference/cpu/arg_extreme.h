// SPDX-License-Identifier: Apache-2.0
#pragma once
// The order ArgMax, ArgMin and Hardmax pick their index by, as numpy's argmax/argmin (ONNX's
// reference) do: a NaN beats every number, then the larger (ArgMax) or smaller (ArgMin)
// value; among equals the first index wins, or the last with select_last_index (which ONNX
// defines as the arg-reduction of the reversed axis, so the last NaN wins then too).
#include <cmath>
#include <cstdint>

namespace percept::cpu {

// Whether v, met after `best` along the axis, takes its place.
template <bool IsMax>
inline bool replacesExtreme(float v, float best, bool selectLast) {
    if (std::isnan(best)) return selectLast && std::isnan(v);
    if (std::isnan(v)) return true;
    if (selectLast) return IsMax ? v >= best : v <= best;
    return IsMax ? v > best : v < best;
}

// Index of the extreme of n values spaced `stride` apart.
template <bool IsMax>
inline int64_t argExtreme(const float* x, int64_t n, int64_t stride, bool selectLast) {
    int64_t at = 0;
    float best = x[0];
    for (int64_t k = 1; k < n; ++k) {
        const float v = x[k * stride];
        if (replacesExtreme<IsMax>(v, best, selectLast)) best = v, at = k;
    }
    return at;
}

}  // namespace percept::cpu
