// SPDX-License-Identifier: Apache-2.0
// Schemas of Slice and Split: the parameters every opset spells differently (attributes before
// opset 10 / 13, constant inputs after, Split's num_outputs from opset 18) become one
// canonical form, and the backends copy through graph::viewOf (graph/strided_view.h).
#include <algorithm>
#include <limits>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

namespace {

struct AxisSlice {
    int64_t start = 0, step = 1, count = 0;
};

// ONNX's clamping of one axis: negative starts/ends count from the end, then both are clamped
// to [0, dim] (positive steps) or [-1, dim - 1] (negative steps). No step of any int64 value
// can overflow here (a hostile file may hold INT64_MIN).
AxisSlice sliceAxis(const Node& n, int64_t start, int64_t end, int64_t step, int64_t dim) {
    if (step == 0) fail(n, "a step of 0 is invalid");
    AxisSlice s;
    s.step = step;
    if (dim == 0) return s;
    if (start < 0) start += dim;  // both below 2^28 in magnitude after this or clamped next
    if (end < 0) end += dim;
    if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
        s.count = end > start ? (end - start - 1) / step + 1 : 0;
    } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
        const int64_t back = step == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -step;
        s.count = start > end ? (start - end - 1) / back + 1 : 0;
    }
    s.start = s.count > 0 ? start : 0;
    // The step only matters within the axis: clamp it so start + (count-1)*step stays small.
    s.step = std::clamp<int64_t>(step, -dim, dim);
    return s;
}

}  // namespace

void inferSlice(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> starts, ends, axes, steps;
    if (g.opset < 10) {
        starts = n.attrInts("starts");
        ends = n.attrInts("ends");
        axes = n.attrInts("axes");
    } else {
        if (n.inputs.size() < 3) fail(n, "starts and ends are missing");
        starts = constIn(g, n, 1, "starts").asInts();
        ends = constIn(g, n, 2, "ends").asInts();
        if (hasInput(n, 3)) axes = constIn(g, n, 3, "axes").asInts();
        if (hasInput(n, 4)) steps = constIn(g, n, 4, "steps").asInts();
    }
    if (starts.size() != ends.size()) fail(n, "starts and ends differ in length");
    if (axes.empty())
        for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size()) fail(n, "starts, ends, axes and steps differ in length");
    std::vector<AxisSlice> all(x.size());
    for (size_t d = 0; d < x.size(); ++d) all[d] = {0, 1, x[d]};
    std::vector<char> seen(x.size(), 0);
    for (size_t k = 0; k < axes.size(); ++k) {
        const int64_t a = normAxis(n, axes[k], rank);
        if (seen[a]) fail(n, "axis " + std::to_string(a) + " is sliced twice");
        seen[a] = 1;
        all[a] = sliceAxis(n, starts[k], ends[k], steps[k], x[a]);
    }
    Shape out(x.size());
    std::vector<int64_t> cs(x.size()), ce(x.size()), ca(x.size()), cst(x.size());
    for (size_t d = 0; d < x.size(); ++d) {
        out[d] = all[d].count;
        cs[d] = all[d].start;
        cst[d] = all[d].step;
        ce[d] = all[d].start + all[d].count * all[d].step;
        ca[d] = static_cast<int64_t>(d);
    }
    setInts(n, "starts", cs);
    setInts(n, "ends", ce);
    setInts(n, "axes", ca);
    setInts(n, "steps", cst);
    setOut(g, n, 0, out, xv.dtype);
}

void inferSplit(Graph& g, Node& n) {
    const Value& xv = in(g, n, 0);
    const Shape& x = xv.shape;
    if (x.empty()) fail(n, "cannot split a scalar");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(x.size()));
    const int64_t dim = x[axis];
    const int64_t parts = static_cast<int64_t>(n.outputs.size());
    if (parts == 0) fail(n, "has no outputs");
    std::vector<int64_t> sizes;
    const bool given = g.opset >= 13 ? hasInput(n, 1) : n.has("split");
    if (given) {
        sizes = g.opset >= 13 ? constIn(g, n, 1, "split").asInts() : n.attrInts("split");
        if (n.has("num_outputs")) fail(n, "both split and num_outputs are given");
        if (static_cast<int64_t>(sizes.size()) != parts) fail(n, "split has " + std::to_string(sizes.size()) + " sizes for " + std::to_string(parts) + " outputs");
        int64_t sum = 0;
        for (int64_t s : sizes) {
            if (s < 0 || s > dim) fail(n, "split size " + std::to_string(s) + " is out of range");
            sum += s;  // each at most dim: no overflow
        }
        if (sum != dim) fail(n, "split sizes add up to " + std::to_string(sum) + ", not the axis' " + std::to_string(dim));
    } else if (g.opset >= 18 && n.has("num_outputs")) {
        // Opset 18: equal chunks of ceil(dim / num_outputs), the last one smaller.
        if (n.attrInt("num_outputs", 0) != parts) fail(n, "num_outputs differs from the number of outputs");
        const int64_t chunk = (dim + parts - 1) / parts;
        if (chunk * (parts - 1) > dim) fail(n, "cannot split " + std::to_string(dim) + " into " + std::to_string(parts) + " chunks");
        sizes.assign(static_cast<size_t>(parts), chunk);
        sizes.back() = dim - chunk * (parts - 1);
    } else {
        if (dim % parts) fail(n, "cannot split " + std::to_string(dim) + " evenly into " + std::to_string(parts) + " outputs");
        sizes.assign(static_cast<size_t>(parts), dim / parts);
    }
    setInt(n, "axis", axis);
    setInts(n, "split", sizes);
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        Shape s = x;
        s[axis] = sizes[k];
        setOut(g, n, k, s, xv.dtype);
    }
}

}  // namespace percept::graph::schema
