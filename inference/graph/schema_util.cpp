// SPDX-License-Identifier: Apache-2.0
#include "graph/schema_util.h"

#include <algorithm>

#include "graph/shape_inference.h"

namespace percept::graph::schema {

const TensorData& constIn(const Graph& g, const Node& n, size_t k, const char* what) {
    const Value& v = in(g, n, k);
    if (!v.constant) fail(n, std::string(what) + " (input '" + v.name + "') must be a constant; computed " + what + " are not supported");
    return *v.constant;
}

void requireFloat(const Graph& g, const Node& n, size_t k) {
    const Value& v = in(g, n, k);
    if (v.dtype != DType::Float32)
        fail(n, "input '" + v.name + "' is " + (v.dtype == DType::Bool ? "a boolean" : "an integer") + " tensor (" + dtypeName(v.dtype) + ")" +
                    (v.constant ? "" : " computed at run time") + "; this op computes on float32 data only");
}

void requireFloatInputs(const Graph& g, const Node& n) {
    for (size_t k = 0; k < n.inputs.size(); ++k)
        if (hasInput(n, k)) requireFloat(g, n, k);
}

int64_t normAxis(const Node& n, int64_t axis, int64_t rank) {
    if (axis < -rank || axis >= rank)
        fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> normAxes(const Node& n, std::vector<int64_t> axes, int64_t rank) {
    for (auto& a : axes) a = normAxis(n, a, rank);
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) fail(n, "an axis is repeated");
    return axes;
}

void checkShape(const Node& n, const Shape& s) {
    if (s.size() > static_cast<size_t>(kMaxRank)) fail(n, "output rank " + std::to_string(s.size()) + " is too large");
    int64_t count = 1;
    for (int64_t d : s) {
        if (d < 0) fail(n, "computed a negative dimension in " + shapeToString(s));
        if (d != 0 && count > kMaxTensorElements / d) fail(n, "output " + shapeToString(s) + " exceeds the engine's tensor size limit");
        count *= d;
    }
}

void setOut(Graph& g, const Node& n, size_t k, Shape s, DType t) {
    checkShape(n, s);
    if (k >= n.outputs.size() || n.outputs[k] < 0) return;  // an omitted optional output
    Value& v = g.value(n.outputs[k]);
    v.shape = std::move(s);
    v.shapeKnown = true;
    v.dtype = t;
}

void setInts(Node& n, const std::string& key, std::vector<int64_t> v) {
    Attribute a;
    a.kind = Attribute::Kind::Ints;
    a.ints = std::move(v);
    n.attrs[key] = std::move(a);
}
void setInt(Node& n, const std::string& key, int64_t v) {
    Attribute a;
    a.kind = Attribute::Kind::Int;
    a.i = v;
    n.attrs[key] = std::move(a);
}
void setFloat(Node& n, const std::string& key, float v) {
    Attribute a;
    a.kind = Attribute::Kind::Float;
    a.f = v;
    n.attrs[key] = std::move(a);
}

Shape broadcastAll(const Graph& g, const Node& n, size_t first, size_t count) {
    Shape out;
    const size_t end = std::min(n.inputs.size(), count == SIZE_MAX ? n.inputs.size() : first + count);
    bool any = false;
    for (size_t k = first; k < end; ++k) {
        const Shape& s = inShape(g, n, k);
        out = any ? broadcastShapes(out, s, n.describe()) : s;
        any = true;
    }
    return out;
}

}  // namespace percept::graph::schema
