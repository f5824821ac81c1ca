// SPDX-License-Identifier: Apache-2.0
// Schemas of Resize (opsets 10 to 19) and Upsample (7 to 9). Every spelling becomes one
// canonical form, read by graph::planResize (graph/resize_plan.h), which both backends use:
//   mode                             nearest | linear | cubic
//   coordinate_transformation_mode   half_pixel | half_pixel_symmetric | pytorch_half_pixel |
//                                    align_corners | asymmetric | tf_half_pixel_for_nn |
//                                    tf_crop_and_resize
//   nearest_mode                     round_prefer_floor | round_prefer_ceil | floor | ceil |
//                                    simple (Upsample and Resize-10: floor when enlarging,
//                                    ceil when shrinking, as ONNX Runtime does)
//   cubic_coeff_a, exclude_outside, extrapolation_value, antialias
//   scales       per axis, as the model gave them (1 for axes not resized)
//   scale_num / scale_den   per axis, when the output size was given: the exact scale
//   roi          [starts..., ends...] over every axis (tf_crop_and_resize)
#include <cmath>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

namespace {

void setString(Node& n, const std::string& key, const std::string& v) {
    Attribute a;
    a.kind = Attribute::Kind::String;
    a.s = v;
    n.attrs[key] = std::move(a);
}
void setFloats(Node& n, const std::string& key, std::vector<float> v) {
    Attribute a;
    a.kind = Attribute::Kind::Floats;
    a.floats = std::move(v);
    n.attrs[key] = std::move(a);
}

// floor(in * factor) for a positive finite factor, checked against the engine's limits.
int64_t scaledDim(const Node& n, int64_t in, double factor) {
    const double v = std::floor(static_cast<double>(in) * factor);
    if (!(v >= 0.0) || v > static_cast<double>(kMaxTensorElements)) fail(n, "the output size exceeds the engine's tensor size limit");
    return static_cast<int64_t>(v);
}

// The output shape and canonical scales from `scales` (one per listed axis; roi widths for
// tf_crop_and_resize).
Shape fromScales(const Node& n, const Shape& x, const std::vector<int64_t>& axes, const std::vector<float>& given,
                 const std::vector<float>& roi, bool crop, std::vector<float>& scales) {
    if (given.size() != axes.size()) fail(n, "scales has " + std::to_string(given.size()) + " values for " + std::to_string(axes.size()) + " axes");
    Shape out = x;
    for (size_t k = 0; k < axes.size(); ++k) {
        const size_t d = static_cast<size_t>(axes[k]);
        if (!(given[k] > 0.0f) || !std::isfinite(given[k])) fail(n, "scales must be positive");
        scales[d] = given[k];
        const double width = crop ? static_cast<double>(roi[d + x.size()]) - roi[d] : 1.0;
        out[d] = scaledDim(n, x[d], given[k] * width);
    }
    return out;
}

}  // namespace

void inferResize(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    const size_t rank = x.size();
    if (rank == 0) fail(n, "cannot resize a scalar");
    const bool upsample = n.op == OpKind::Upsample;
    const bool legacy = upsample || g.opset < 11;  // Upsample and Resize-10: no roi, asymmetric coordinates
    if (upsample && g.opset < 7) fail(n, "Upsample before opset 7 (height_scale/width_scale) is not supported");
    if (upsample && g.opset >= 10) fail(n, "Upsample is deprecated from opset 10; use Resize");

    const std::string mode = n.attrString("mode", "nearest");
    if (mode != "nearest" && mode != "linear" && mode != "cubic" && !(upsample && mode == "bilinear"))
        fail(n, "mode '" + mode + "' is not supported");
    if (legacy && mode == "cubic") fail(n, "mode 'cubic' needs Resize from opset 11");
    if (mode != "nearest") requireFloat(g, n, 0);
    std::string ctm = legacy ? "asymmetric" : n.attrString("coordinate_transformation_mode", "half_pixel");
    const bool ctmOk = ctm == "half_pixel" || ctm == "pytorch_half_pixel" || ctm == "align_corners" || ctm == "asymmetric" ||
                       ctm == "tf_crop_and_resize" || (ctm == "tf_half_pixel_for_nn" && g.opset < 13) ||
                       (ctm == "half_pixel_symmetric" && g.opset >= 19);
    if (!ctmOk) fail(n, "coordinate_transformation_mode '" + ctm + "' is not supported at opset " + std::to_string(g.opset));
    std::string nearest = legacy ? "simple" : n.attrString("nearest_mode", "round_prefer_floor");
    if (nearest != "simple" && nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" && nearest != "floor" && nearest != "ceil")
        fail(n, "nearest_mode '" + nearest + "' is not supported");
    const int64_t antialias = legacy ? 0 : n.attrInt("antialias", 0);
    if (antialias != 0 && g.opset < 18) fail(n, "antialias needs opset 18");
    const int64_t exclude = legacy ? 0 : n.attrInt("exclude_outside", 0);

    // Axes the scales/sizes/roi cover (opset 18); every axis otherwise.
    std::vector<int64_t> axes;
    if (g.opset >= 18 && !legacy && n.has("axes")) {
        axes = n.attrInts("axes");
        normAxes(n, axes, static_cast<int64_t>(rank));  // refuses a repeated axis; the order given is kept
        for (auto& a : axes) a = normAxis(n, a, static_cast<int64_t>(rank));
    } else {
        for (size_t d = 0; d < rank; ++d) axes.push_back(static_cast<int64_t>(d));
    }

    // roi: [starts, ends] for the listed axes; identity [0, 1] elsewhere.
    std::vector<float> roi(2 * rank, 0.0f);
    for (size_t d = 0; d < rank; ++d) roi[d + rank] = 1.0f;
    const bool crop = ctm == "tf_crop_and_resize";
    if (crop) {
        if (!hasInput(n, 1)) fail(n, "tf_crop_and_resize needs the roi input");
        const auto r = constIn(g, n, 1, "roi").asFloats();
        if (r.size() != 2 * axes.size()) fail(n, "roi must have 2 x " + std::to_string(axes.size()) + " values");
        for (size_t k = 0; k < axes.size(); ++k) {
            roi[static_cast<size_t>(axes[k])] = r[k];
            roi[static_cast<size_t>(axes[k]) + rank] = r[k + axes.size()];
        }
        for (float v : roi)
            if (!std::isfinite(v)) fail(n, "roi values must be finite");
    }

    std::vector<float> scales(rank, 1.0f);
    std::vector<int64_t> num(rank, 1), den(rank, 1);
    bool fromSizes = false;
    Shape out = x;
    if (upsample) {
        const std::vector<float> s = g.opset >= 9 ? constIn(g, n, 1, "scales").asFloats() : n.attrFloats("scales");
        for (float v : s)
            if (v < 1.0f) fail(n, "Upsample's scales must be at least 1");
        out = fromScales(n, x, axes, s, roi, false, scales);
    } else {
        const size_t scalesAt = g.opset < 11 ? 1 : 2;
        const bool hasScales = hasInput(n, scalesAt) && in(g, n, scalesAt).shape != Shape{0};
        const bool hasSizes = g.opset >= 11 && hasInput(n, 3);
        if (hasScales == hasSizes) fail(n, "exactly one of scales and sizes must be given");
        if (hasScales) {
            out = fromScales(n, x, axes, constIn(g, n, scalesAt, "scales").asFloats(), roi, crop, scales);
        } else {
            fromSizes = true;
            const std::vector<int64_t> sizes = constIn(g, n, 3, "sizes").asInts();
            if (sizes.size() != axes.size()) fail(n, "sizes has " + std::to_string(sizes.size()) + " values for " + std::to_string(axes.size()) + " axes");
            for (int64_t s : sizes)
                if (s < 1 || s > kMaxTensorElements) fail(n, "sizes must be positive and within the engine's limits");
            const std::string policy = g.opset >= 18 ? n.attrString("keep_aspect_ratio_policy", "stretch") : "stretch";
            if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller")
                fail(n, "keep_aspect_ratio_policy '" + policy + "' is not supported");
            // not_larger / not_smaller: one scale for every listed axis, the smallest / largest
            // of sizes/in, kept as the exact fraction of the axis that gave it.
            size_t pick = 0;
            for (size_t k = 1; k < axes.size(); ++k) {
                const double a = static_cast<double>(sizes[k]) / x[axes[k]], b = static_cast<double>(sizes[pick]) / x[axes[pick]];
                if ((policy == "not_larger" && a < b) || (policy == "not_smaller" && a > b)) pick = k;
            }
            for (size_t k = 0; k < axes.size(); ++k) {
                const size_t d = static_cast<size_t>(axes[k]);
                if (x[d] == 0) fail(n, "cannot resize an empty axis to a given size");
                const size_t src = policy == "stretch" ? k : pick;
                num[d] = sizes[src];
                den[d] = x[axes[src]];
                const double scale = static_cast<double>(num[d]) / static_cast<double>(den[d]);
                scales[d] = static_cast<float>(scale);
                // round half up, as the spec writes it for the aspect-ratio policies
                out[d] = policy == "stretch" ? sizes[k] : static_cast<int64_t>(std::floor(scale * static_cast<double>(x[d]) + 0.5));
                if (out[d] < 1 || out[d] > kMaxTensorElements) fail(n, "the output size exceeds the engine's limits");
            }
        }
    }
    setString(n, "mode", mode == "bilinear" ? "linear" : mode);
    setString(n, "coordinate_transformation_mode", ctm);
    setString(n, "nearest_mode", nearest);
    setFloat(n, "cubic_coeff_a", n.attrFloat("cubic_coeff_a", -0.75f));
    setInt(n, "exclude_outside", exclude != 0);
    setFloat(n, "extrapolation_value", n.attrFloat("extrapolation_value", 0.0f));
    setInt(n, "antialias", antialias != 0);
    setFloats(n, "scales", scales);
    setFloats(n, "roi", roi);
    if (fromSizes) {
        setInts(n, "scale_num", num);
        setInts(n, "scale_den", den);
    } else {
        n.attrs.erase("scale_num");
        n.attrs.erase("scale_den");
    }
    setOut(g, n, 0, out, xv.dtype);
}

int64_t flopsResize(const Graph& g, const Node& n) {
    // A multiply-add per tap and resized axis, roughly: 2 per output value per linear axis.
    const std::string mode = n.attrString("mode", "nearest");
    int64_t taps = 1;
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    for (size_t d = 0; d < x.size() && d < y.size(); ++d)
        if (x[d] != y[d]) taps *= mode == "cubic" ? 4 : mode == "linear" ? 2 : 1;
    return mode == "nearest" ? 0 : 2 * taps * elementCount(y);
}

}  // namespace percept::graph::schema
