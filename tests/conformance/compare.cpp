// SPDX-License-Identifier: Apache-2.0
#include "compare.h"

#include <cmath>
#include <cstdio>

#include "percept/tensor.h"

namespace percept::conformance {
namespace {

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string indexOf(const std::vector<int64_t>& shape, size_t flat) {
    std::vector<int64_t> idx(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        idx[d] = shape[d] ? static_cast<int64_t>(flat) % shape[d] : 0;
        flat = shape[d] ? flat / static_cast<size_t>(shape[d]) : 0;
    }
    return shapeToString(idx);
}

bool matches(double g, double w) {
    if (std::isnan(w)) return std::isnan(g);
    if (std::isinf(w)) return g == w;
    if (!std::isfinite(g)) return false;
    return std::fabs(g - w) <= kAtol + kRtol * std::fabs(w);
}

}  // namespace

std::string compareOutput(const std::vector<int64_t>& gotShape, const std::vector<float>& got,
                          const std::vector<int64_t>& wantShape, const std::vector<float>& want) {
    if (gotShape != wantShape)
        return "shape " + shapeToString(gotShape) + ", expected " + shapeToString(wantShape);
    if (got.size() != want.size())
        return std::to_string(got.size()) + " values, expected " + std::to_string(want.size());
    size_t bad = 0, worst = 0;
    double worstExcess = -1, maxAbs = 0, maxRel = 0;
    for (size_t k = 0; k < got.size(); ++k) {
        const double g = got[k], w = want[k];
        if (matches(g, w)) continue;
        ++bad;
        const double abs = std::isfinite(g) && std::isfinite(w) ? std::fabs(g - w) : INFINITY;
        const double rel = std::fabs(w) > 0 ? abs / std::fabs(w) : INFINITY;
        maxAbs = std::max(maxAbs, abs);
        maxRel = std::max(maxRel, rel);
        // The worst element: the one furthest beyond its own tolerance.
        const double excess = abs - (kAtol + kRtol * (std::isfinite(w) ? std::fabs(w) : 0.0));
        if (excess > worstExcess) worstExcess = excess, worst = k;
    }
    if (!bad) return {};
    return std::to_string(bad) + " of " + std::to_string(got.size()) + " values differ; worst at " + indexOf(wantShape, worst) +
           ": got " + fmt(got[worst]) + ", expected " + fmt(want[worst]) + "; max abs err " + fmt(maxAbs) + ", max rel err " +
           fmt(maxRel);
}

}  // namespace percept::conformance
