// SPDX-License-Identifier: Apache-2.0
// Schemas of the indexed copies: Gather, GatherElements, GatherND (data of any type; indices
// constant, or computed at run time and held as fp32 integers), ScatterElements and ScatterND
// (indices constant; the backends group the updates by target once, at load time:
// graph/gather_plan.h). Constant indices are checked here; an index computed at run time that
// is out of range reads as 0 (the backends cannot raise an error mid-frame).
#include <algorithm>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

namespace {

// Indices must be integers: a constant of an integer type, or an Int64 value computed at run
// time (held as exact fp32 integers, graph/ir.h).
void requireIndices(const Graph& g, const Node& n, size_t k) {
    const Value& v = in(g, n, k);
    if (v.dtype != DType::Int64) fail(n, "indices (input '" + v.name + "') must be an integer tensor, not " + dtypeName(v.dtype));
}

// Every constant index along an axis of `dim` values lies in [-dim, dim).
void checkIndexRange(const Node& n, const std::vector<int64_t>& idx, int64_t dim, const char* what) {
    for (int64_t v : idx)
        if (v < -dim || v >= dim)
            fail(n, std::string(what) + " index " + std::to_string(v) + " is out of range for an axis of " + std::to_string(dim));
}

// The reduction of a Scatter op, from its opset's spelling.
void checkReduction(const Graph& g, Node& n) {
    const std::string r = n.attrString("reduction", "none");
    if (r != "none" && r != "add" && r != "mul" && r != "max" && r != "min") fail(n, "reduction '" + r + "' is not supported");
    if ((r == "add" || r == "mul") && g.opset < 16) fail(n, "reduction '" + r + "' needs opset 16");
    if ((r == "max" || r == "min") && g.opset < 18) fail(n, "reduction '" + r + "' needs opset 18");
    if (r != "none") requireFloat(g, n, 0);  // integer arithmetic on run-time values is refused
    n.attrs["reduction"].kind = Attribute::Kind::String;
    n.attrs["reduction"].s = r;
}

}  // namespace

void inferGather(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    requireIndices(g, n, 1);
    const int64_t rank = static_cast<int64_t>(data.shape.size());
    if (rank == 0) fail(n, "cannot gather from a scalar");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    if (idx.constant) checkIndexRange(n, idx.constant->asInts(), data.shape[axis], "Gather");
    Shape out(data.shape.begin(), data.shape.begin() + axis);
    out.insert(out.end(), idx.shape.begin(), idx.shape.end());
    out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
    setInt(n, "axis", axis);
    setOut(g, n, 0, out, data.dtype);
}

void inferGatherElements(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    requireIndices(g, n, 1);
    const int64_t rank = static_cast<int64_t>(data.shape.size());
    if (rank == 0) fail(n, "cannot gather from a scalar");
    if (static_cast<int64_t>(idx.shape.size()) != rank) fail(n, "indices must have the data's rank");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    for (int64_t d = 0; d < rank; ++d)
        if (d != axis && idx.shape[d] > data.shape[d])
            fail(n, "indices " + shapeToString(idx.shape) + " reach past the data " + shapeToString(data.shape) + " on axis " + std::to_string(d));
    if (idx.constant) checkIndexRange(n, idx.constant->asInts(), data.shape[axis], "GatherElements");
    setInt(n, "axis", axis);
    setOut(g, n, 0, idx.shape, data.dtype);
}

// GatherND's and ScatterND's index tuples: indices [..., k] address data [b..., k axes, rest].
namespace {
int64_t checkTuples(const Graph& g, const Node& n, int64_t batch) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    const int64_t r = static_cast<int64_t>(data.shape.size()), q = static_cast<int64_t>(idx.shape.size());
    if (r < 1 || q < 1) fail(n, "data and indices must have at least one axis");
    if (batch < 0 || batch >= std::min(r, q)) fail(n, "batch_dims " + std::to_string(batch) + " is out of range");
    for (int64_t d = 0; d < batch; ++d)
        if (idx.shape[d] != data.shape[d]) fail(n, "the batch axes of data and indices differ");
    const int64_t k = idx.shape.back();
    if (k < 1 || k > r - batch) fail(n, "the index tuples have " + std::to_string(k) + " entries; the data allows 1 to " + std::to_string(r - batch));
    if (idx.constant) {
        const auto v = idx.constant->asInts();
        for (size_t i = 0; i < v.size(); ++i) {
            const int64_t dim = data.shape[static_cast<size_t>(batch + static_cast<int64_t>(i % static_cast<size_t>(k)))];
            if (v[i] < -dim || v[i] >= dim)
                fail(n, "index " + std::to_string(v[i]) + " is out of range for an axis of " + std::to_string(dim));
        }
    }
    return k;
}
}  // namespace

void inferGatherND(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    requireIndices(g, n, 1);
    const int64_t batch = n.attrInt("batch_dims", 0);
    const int64_t k = checkTuples(g, n, batch);
    Shape out(idx.shape.begin(), idx.shape.end() - 1);
    out.insert(out.end(), data.shape.begin() + batch + k, data.shape.end());
    setInt(n, "batch_dims", batch);
    setOut(g, n, 0, out, data.dtype);
}

// Compress with a constant condition is a Gather with the kept positions as its indices
// (canonical: "indices", "axis", and "flatten" when there was no axis); a condition computed
// at run time would make the output's shape depend on data, and is refused.
void inferCompress(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& cond = in(g, n, 1);
    if (!cond.constant) fail(n, "its output's shape depends on the condition '" + cond.name + "', which is computed at run time");
    if (cond.shape.size() != 1) fail(n, "the condition must be 1-D");
    const bool flatten = !n.has("axis");
    const Shape s = flatten ? Shape{elementCount(data.shape)} : data.shape;
    if (s.empty()) fail(n, "cannot compress a scalar along an axis");
    const int64_t axis = flatten ? 0 : normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(s.size()));
    const auto c = cond.constant->asInts();
    std::vector<int64_t> keep;
    for (size_t k = 0; k < c.size(); ++k) {
        if (!c[k]) continue;
        if (static_cast<int64_t>(k) >= s[axis]) fail(n, "the condition selects index " + std::to_string(k) + " past the axis' " + std::to_string(s[axis]));
        keep.push_back(static_cast<int64_t>(k));
    }
    Shape out = s;
    out[axis] = static_cast<int64_t>(keep.size());
    setInt(n, "axis", axis);
    setInt(n, "flatten", flatten ? 1 : 0);
    setInts(n, "indices", keep);
    setOut(g, n, 0, out, data.dtype);
}

void inferScatterElements(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    const Value& upd = in(g, n, 2);
    requireIndices(g, n, 1);
    constIn(g, n, 1, "indices");
    if (upd.dtype != data.dtype) fail(n, "updates and data differ in element type");
    checkReduction(g, n);
    const int64_t rank = static_cast<int64_t>(data.shape.size());
    if (rank == 0) fail(n, "cannot scatter into a scalar");
    if (idx.shape != upd.shape) fail(n, "indices and updates differ in shape");
    if (static_cast<int64_t>(idx.shape.size()) != rank) fail(n, "indices must have the data's rank");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    for (int64_t d = 0; d < rank; ++d)
        if (d != axis && idx.shape[d] > data.shape[d]) fail(n, "indices reach past the data on axis " + std::to_string(d));
    checkIndexRange(n, idx.constant->asInts(), data.shape[axis], "ScatterElements");
    setInt(n, "axis", axis);
    setOut(g, n, 0, data.shape, data.dtype);
}

void inferScatterND(Graph& g, Node& n) {
    const Value& data = in(g, n, 0);
    const Value& idx = in(g, n, 1);
    const Value& upd = in(g, n, 2);
    requireIndices(g, n, 1);
    constIn(g, n, 1, "indices");
    if (upd.dtype != data.dtype) fail(n, "updates and data differ in element type");
    checkReduction(g, n);
    const int64_t k = checkTuples(g, n, 0);
    Shape want(idx.shape.begin(), idx.shape.end() - 1);
    want.insert(want.end(), data.shape.begin() + k, data.shape.end());
    if (upd.shape != want) fail(n, "updates are " + shapeToString(upd.shape) + "; indices and data ask for " + shapeToString(want));
    setOut(g, n, 0, data.shape, data.dtype);
}

}  // namespace percept::graph::schema
