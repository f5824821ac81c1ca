// SPDX-License-Identifier: Apache-2.0
// Schemas of the ops along axes: the softmax family (Softmax, LogSoftmax, Hardmax), the
// reductions (Reduce*, and GlobalMaxPool as one), the arg-reductions (ArgMax, ArgMin) and
// CumSum. The normalisations are in schema_norm.cpp.
#include <algorithm>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {
namespace {

// Where an op takes its axes from: ReduceSum moved them to an optional input at opset 13, the
// other reductions at opset 18.
bool axesAsInput(const Graph& g, const Node& n) { return n.op == OpKind::ReduceSum ? g.opset >= 13 : g.opset >= 18; }

// Reductions whose value over a single element is not the element itself: for these,
// noop_with_empty_axes is ambiguous (ONNX's text says the input passes unchanged, its reference
// implementation applies the reduction to each element alone, e.g. np.square for
// ReduceSumSquare), so it is refused rather than guessed.
bool changesSingleElement(OpKind k) {
    return k == OpKind::ReduceL1 || k == OpKind::ReduceL2 || k == OpKind::ReduceSumSquare || k == OpKind::ReduceLogSum;
}

std::string opsetText(const Graph& g) { return "opset " + std::to_string(g.opset); }

}  // namespace

void inferSoftmax(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    // Opset < 13 flattens to 2-D at `axis` (default 1); 13+ works along `axis` (default -1).
    const int64_t axis = normAxis(n, n.attrInt("axis", g.opset >= 13 ? -1 : 1), rank);
    setInt(n, "axis", axis);
    // Canonical: coerce_2d = 1 when the op works along every axis from `axis` on as one (the
    // opset < 13 form; the same as the single axis when it is the last).
    setInt(n, "coerce_2d", g.opset < 13 && axis < rank - 1 ? 1 : 0);
    setOut(g, n, 0, x);
}

int64_t flopsSoftmax(const Graph& g, const Node& n) { return 4 * elementCount(g.shapeOf(n.outputs.at(0))); }

void inferReduce(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> axes;
    bool noop = false;
    if (axesAsInput(g, n)) {
        if (n.has("axes")) fail(n, "attribute 'axes' is not part of the op at " + opsetText(g) + " (axes are its second input)");
        if (hasInput(n, 1)) axes = constIn(g, n, 1, "axes").asInts();
        noop = n.attrInt("noop_with_empty_axes", 0) != 0;
    } else {
        if (hasInput(n, 1)) fail(n, "takes its axes as an attribute at " + opsetText(g) + ", not as an input");
        axes = n.attrInts("axes");
    }
    axes = normAxes(n, axes, rank);
    if (axes.empty() && noop && changesSingleElement(n.op))
        fail(n, "noop_with_empty_axes=1 with empty axes is not supported for this reduction (ONNX's specification and its "
                "reference implementation disagree on the result)");
    if (axes.empty() && !noop)
        for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
    const bool keep = n.attrInt("keepdims", 1) != 0;
    Shape out;
    for (int64_t a = 0; a < rank; ++a) {
        if (!std::binary_search(axes.begin(), axes.end(), a)) out.push_back(x[static_cast<size_t>(a)]);
        else if (keep) out.push_back(1);
    }
    // Canonical: `axes` lists exactly the reduced axes (all of them spelled out when the model
    // reduces everything; empty only for noop_with_empty_axes, where each output is its input).
    setInts(n, "axes", axes);
    setInt(n, "keepdims", keep ? 1 : 0);
    setOut(g, n, 0, out);
}

int64_t flopsReduce(const Graph& g, const Node& n) {
    const int64_t count = elementCount(g.shapeOf(n.inputs.at(0)));
    return n.op == OpKind::ReduceLogSumExp ? 3 * count : count;
}

void inferGlobalMaxPool(Graph& g, Node& n) {
    inferGlobalPool(g, n);
    // The reduction kernels run it: a max over every spatial axis.
    std::vector<int64_t> axes;
    for (int64_t a = 2; a < rankOf(g, n, 0); ++a) axes.push_back(a);
    setInts(n, "axes", axes);
    setInt(n, "keepdims", 1);
}

void inferArgMax(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    const int64_t len = x[static_cast<size_t>(axis)];
    if (len == 0) fail(n, "cannot take the index of an extreme along an empty axis");
    // Indices computed at run time are held as fp32 (graph/ir.h): exact up to 2^24.
    if (len > (int64_t{1} << 24))
        fail(n, "axis of length " + std::to_string(len) + " is too long: indices are held as float32 at run time, exact only up to 2^24");
    const bool keep = n.attrInt("keepdims", 1) != 0;
    Shape out = x;
    if (keep) out[static_cast<size_t>(axis)] = 1;
    else out.erase(out.begin() + axis);
    setInt(n, "axis", axis);
    setInt(n, "keepdims", keep ? 1 : 0);
    setInt(n, "select_last_index", n.attrInt("select_last_index", 0) != 0 ? 1 : 0);
    setOut(g, n, 0, out, DType::Int64);
}

void inferCumSum(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    const std::vector<int64_t> axis = constIn(g, n, 1, "axis").asInts();
    if (axis.size() != 1) fail(n, "axis must hold exactly one value");
    setInt(n, "axis", normAxis(n, axis[0], static_cast<int64_t>(x.size())));
    setInt(n, "exclusive", n.attrInt("exclusive", 0) != 0 ? 1 : 0);
    setInt(n, "reverse", n.attrInt("reverse", 0) != 0 ? 1 : 0);
    setOut(g, n, 0, x);
}

int64_t flopsAlongAxis(const Graph& g, const Node& n) { return elementCount(g.shapeOf(n.inputs.at(0))); }

}  // namespace percept::graph::schema
