// SPDX-License-Identifier: Apache-2.0
#include "graph/resize_plan.h"

#include <algorithm>
#include <cmath>

#include "graph/limits.h"
#include "percept/error.h"

namespace percept::graph {

namespace {

struct AxisParams {
    int64_t in, out;
    double scale;
    std::string mode, ctm, nearest;
    double cubicA;
    bool exclude, antialias;
    double roiStart, roiEnd;
};

// x_original for output coordinate x (the attribute descriptions of Resize, and the ONNX
// reference where they differ from it: align_corners uses scale * in as the resized length).
// Sets `outside` where tf_crop_and_resize extrapolates.
double originalCoordinate(const AxisParams& p, int64_t xo, bool& outside) {
    const double x = static_cast<double>(xo), in = static_cast<double>(p.in);
    const double outF = p.scale * in;  // the resized length before flooring
    outside = false;
    if (p.ctm == "half_pixel") return (x + 0.5) / p.scale - 0.5;
    if (p.ctm == "half_pixel_symmetric") {
        const double adjustment = static_cast<double>(p.out) / outF, center = in / 2.0;
        return center * (1.0 - adjustment) + (x + 0.5) / p.scale - 0.5;
    }
    if (p.ctm == "pytorch_half_pixel") return p.out > 1 ? (x + 0.5) / p.scale - 0.5 : 0.0;
    if (p.ctm == "align_corners") return outF == 1.0 ? 0.0 : x * (in - 1.0) / (outF - 1.0);
    if (p.ctm == "asymmetric") return x / p.scale;
    if (p.ctm == "tf_half_pixel_for_nn") return (x + 0.5) / p.scale;
    // tf_crop_and_resize
    const double span = (p.roiEnd - p.roiStart) * (in - 1.0);
    const double xr = p.out > 1 ? p.roiStart * (in - 1.0) + x * span / static_cast<double>(p.out - 1) : 0.5 * (p.roiStart + p.roiEnd) * (in - 1.0);
    outside = xr < 0.0 || xr > in - 1.0;
    return xr;
}

double cubicWeight(double x, double a) {
    x = std::fabs(x);
    if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    return 0.0;
}

// The filter's weights for taps start..start+n-1 relative to floor'(x_original), where ratio
// is x_original's distance past that tap's left neighbour, in (0, 1]; returns the first tap's
// offset.
int64_t filterTaps(const AxisParams& p, double ratio, std::vector<double>& w) {
    w.clear();
    if (p.mode == "linear" && !p.antialias) {
        w = {1.0 - ratio, ratio};
        return 0;
    }
    if (p.mode == "cubic" && !p.antialias) {
        // ONNX's cubic_coeffs: the kernel at distances 1+r, r, 1-r, 2-r.
        const double a = p.cubicA;
        w = {cubicWeight(1.0 + ratio, a), cubicWeight(ratio, a), cubicWeight(1.0 - ratio, a), cubicWeight(2.0 - ratio, a)};
        return -1;
    }
    // Antialiased (opset 18): the filter stretched by 1/scale when shrinking, normalised.
    const double s = std::min(p.scale, 1.0);
    const double support = p.mode == "linear" ? 1.0 : 2.0;
    const int64_t first = static_cast<int64_t>(std::floor(-support / s)) + 1;  // planAxis bounds support / s
    const int64_t count = 2 - 2 * first;  // taps first .. 1 - first, symmetric about x_original
    double sum = 0.0;
    for (int64_t i = first; i < first + count; ++i) {
        const double arg = s * (static_cast<double>(i) - ratio);
        const double v = p.mode == "linear" ? std::clamp(1.0 - std::fabs(arg), 0.0, 1.0) : cubicWeight(arg, p.cubicA);
        w.push_back(v);
        sum += v;
    }
    if (sum != 0.0)
        for (double& v : w) v /= sum;
    return first;
}

ResizeAxis planAxis(const AxisParams& p, const std::string& who) {
    ResizeAxis a;
    a.in = p.in;
    a.out = p.out;
    a.outside.assign(static_cast<size_t>(p.out), 0);
    std::vector<double> w;
    const bool nearest = p.mode == "nearest";
    // An antialiased filter covers about 2 * support / scale taps: bounded before any of it is
    // computed (the scale of a hostile file can be anything positive).
    if (!nearest && p.antialias && (p.mode == "linear" ? 1.0 : 2.0) / std::min(p.scale, 1.0) > 32768.0)
        throw Error(who + ": the antialiasing filter for scale " + std::to_string(p.scale) + " is too wide");
    for (int64_t xo = 0; xo < p.out; ++xo) {
        bool out = false;
        // Far outside the input every tap clamps to the edge alike; bounded, the integer
        // conversions below are defined for any attribute values of a hostile file.
        const double bound = static_cast<double>(p.in) + 65536.0;
        const double xr = std::clamp(originalCoordinate(p, xo, out), -bound, bound);
        a.outside[static_cast<size_t>(xo)] = out ? 1 : 0;
        const double fl = std::floor(xr);
        const bool integral = xr == fl;
        if (nearest) {
            int64_t i;
            if (p.nearest == "simple") {
                i = static_cast<int64_t>(p.scale < 1.0 ? std::ceil(xr) : std::trunc(xr));
            } else if (integral) {
                i = static_cast<int64_t>(xr);
            } else {
                const double ratio = xr - fl;
                const bool up = p.nearest == "ceil" || (p.nearest == "round_prefer_floor" && ratio > 0.5) ||
                                (p.nearest == "round_prefer_ceil" && ratio >= 0.5);
                i = static_cast<int64_t>(fl) + (up ? 1 : 0);
            }
            if (a.index.empty()) a.taps = 1;
            a.index.push_back(static_cast<int32_t>(std::clamp<int64_t>(i, 0, p.in - 1)));
            a.weight.push_back(1.0f);
            continue;
        }
        // The tap left of x_original (x_original itself when it is an integer: ratio 1).
        const double left = integral ? xr - 1.0 : fl;
        const int64_t first = filterTaps(p, xr - left, w);
        if (a.index.empty()) {
            a.taps = static_cast<int>(w.size());
            if (static_cast<double>(a.taps) * static_cast<double>(p.out) > static_cast<double>(kMaxTensorElements))
                throw Error(who + ": the resampling filter is too large");
        }
        const int64_t start = static_cast<int64_t>(left) + first;
        if (p.exclude) {
            double sum = 0.0;
            for (size_t t = 0; t < w.size(); ++t) {
                const int64_t i = start + static_cast<int64_t>(t);
                if (i < 0 || i >= p.in) w[t] = 0.0;
                sum += w[t];
            }
            if (sum != 0.0)
                for (double& v : w) v /= sum;
        }
        for (size_t t = 0; t < w.size(); ++t) {
            a.index.push_back(static_cast<int32_t>(std::clamp<int64_t>(start + static_cast<int64_t>(t), 0, p.in - 1)));
            a.weight.push_back(static_cast<float>(w[t]));
        }
    }
    return a;
}

}  // namespace

bool ResizeAxis::identity() const {
    if (taps != 1 || in != out) return false;
    for (int64_t x = 0; x < out; ++x)
        if (index[static_cast<size_t>(x)] != x || weight[static_cast<size_t>(x)] != 1.0f || outside[static_cast<size_t>(x)]) return false;
    return true;
}

ResizePlan planResize(const Graph& g, const Node& n) {
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    const auto scales = n.attrFloats("scales"), roi = n.attrFloats("roi");
    const auto num = n.attrInts("scale_num"), den = n.attrInts("scale_den");
    if (scales.size() != x.size() || roi.size() != 2 * x.size() || y.size() != x.size())
        throw Error(n.describe() + ": internal error: resize attributes are not canonical");
    ResizePlan plan;
    plan.extrapolation = n.attrFloat("extrapolation_value", 0.0f);
    for (size_t d = 0; d < x.size(); ++d) {
        AxisParams p;
        p.in = x[d];
        p.out = y[d];
        p.scale = num.size() == x.size() ? static_cast<double>(num[d]) / static_cast<double>(den[d]) : static_cast<double>(scales[d]);
        p.mode = n.attrString("mode", "nearest");
        p.ctm = n.attrString("coordinate_transformation_mode", "half_pixel");
        p.nearest = n.attrString("nearest_mode", "round_prefer_floor");
        p.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
        p.exclude = n.attrInt("exclude_outside", 0) != 0;
        p.antialias = n.attrInt("antialias", 0) != 0;
        p.roiStart = roi[d];
        p.roiEnd = roi[d + x.size()];
        if (p.in == 0 && p.out > 0) throw Error(n.describe() + ": cannot resize an empty axis");
        plan.axes.push_back(planAxis(p, n.describe()));
        for (uint8_t o : plan.axes.back().outside) plan.anyOutside |= o != 0;
    }
    return plan;
}

}  // namespace percept::graph
