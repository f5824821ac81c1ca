// SPDX-License-Identifier: Apache-2.0
// Folding of the ops that make a tensor from parameters or from a shape: Constant,
// ConstantOfShape, Shape (with opset 15's start/end), Size, EyeLike, Range, OneHot, NonZero.
// Shapes are static, so Shape / Size / EyeLike fold even on tensors computed at run time; the
// others need constant inputs (NonZero's output shape depends on its input's values).
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/fold_util.h"

namespace percept::graph::fold {

using schema::constIn;
using schema::fail;
using schema::hasInput;

namespace {

// One value of a scalar (or one-element) constant input as a double / an int64.
const TensorData& scalarIn(const Graph& g, const Node& n, size_t k, const char* what) {
    const TensorData& t = constIn(g, n, k, what);
    if (t.count() != 1) fail(n, std::string(what) + " must hold exactly one value");
    return t;
}

}  // namespace

ConstPtr foldConstant(const Node& n) {
    if (n.has("value")) {
        if (!n.attrs.at("value").t) fail(n, "attribute 'value' is not a tensor");
        return n.attrs.at("value").t;
    }
    if (n.has("value_float")) return makeFloats({}, {n.attrFloat("value_float", 0)});
    if (n.has("value_floats")) {
        auto v = n.attrFloats("value_floats");
        return makeFloats({static_cast<int64_t>(v.size())}, v);
    }
    if (n.has("value_int")) return makeInts({}, {n.attrInt("value_int", 0)});
    if (n.has("value_ints")) {
        auto v = n.attrInts("value_ints");
        return makeInts({static_cast<int64_t>(v.size())}, v);
    }
    fail(n, "has no value attribute (sparse and string constants are not supported)");
}

ConstPtr foldConstantOfShape(const Graph& g, const Node& n) {
    const auto dims = constIn(g, n, 0, "the shape").asInts();
    const Shape s(dims.begin(), dims.end());
    ConstPtr v = n.has("value") ? n.attrs.at("value").t : nullptr;
    if (v && v->count() != 1) fail(n, "value must hold one element");
    const bool isFloat = !v || v->dtype == DType::Float32;
    checkFoldShape(n, s);
    const size_t cnt = static_cast<size_t>(elementCount(s));
    if (!isFloat) return makeInts(s, std::vector<int64_t>(cnt, v->i.at(0)), v->dtype);
    return makeFloats(s, std::vector<float>(cnt, v ? v->f.at(0) : 0.0f));
}

ConstPtr foldShape(const Graph& g, const Node& n) {
    const Value& x = schema::in(g, n, 0);
    if (!x.shapeKnown) return nullptr;
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    // Opset 15: a slice [start, end) of the shape, clamped like Slice's.
    int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
    if (start < 0) start = std::max<int64_t>(start, -rank) + rank;
    if (end < 0) end = std::max<int64_t>(end, -rank) + rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    std::vector<int64_t> dims(x.shape.begin() + start, x.shape.begin() + end);
    return makeInts({end - start}, std::move(dims));
}

ConstPtr foldSize(const Graph& g, const Node& n) {
    const Value& x = schema::in(g, n, 0);
    if (!x.shapeKnown) return nullptr;
    return makeInts({}, {elementCount(x.shape)});
}

ConstPtr foldEyeLike(const Graph& g, const Node& n) {
    const Value& x = schema::in(g, n, 0);
    if (!x.shapeKnown) return nullptr;
    if (x.shape.size() != 2) fail(n, "the input must be 2-D");
    checkFoldShape(n, x.shape);
    const DType t = n.has("dtype") ? dtypeOfOnnx(n, n.attrInt("dtype", 1)) : x.dtype;
    const int64_t rows = x.shape[0], cols = x.shape[1];
    // Diagonals beyond the matrix are all zero: clamping k keeps the sum below from overflowing.
    const int64_t k = std::clamp<int64_t>(n.attrInt("k", 0), -cols - rows, cols + rows);
    std::vector<int64_t> v(static_cast<size_t>(rows * cols), 0);
    for (int64_t r = 0; r < rows; ++r)
        if (r + k >= 0 && r + k < cols) v[static_cast<size_t>(r * cols + r + k)] = 1;
    if (t == DType::Float32) return makeFloats(x.shape, std::vector<float>(v.begin(), v.end()));
    return makeInts(x.shape, std::move(v), t);
}

ConstPtr foldRange(const Graph& g, const Node& n) {
    const TensorData& s = scalarIn(g, n, 0, "start");
    const TensorData& l = scalarIn(g, n, 1, "limit");
    const TensorData& d = scalarIn(g, n, 2, "delta");
    if (s.dtype == DType::Int64 && l.dtype == DType::Int64 && d.dtype == DType::Int64) {
        const int64_t start = s.i[0], limit = l.i[0], delta = d.i[0];
        if (delta == 0) fail(n, "delta is 0");
        int64_t span;  // limit - start, checked
        if (__builtin_sub_overflow(limit, start, &span)) fail(n, "integer overflow while folding constants");
        int64_t count = 0;
        if ((span > 0 && delta > 0) || (span < 0 && delta < 0)) {
            const int64_t step = delta == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : std::abs(delta);
            count = (std::abs(span == std::numeric_limits<int64_t>::min() ? span + 1 : span) - 1) / step + 1;
        }
        checkFoldShape(n, {count});
        std::vector<int64_t> v(static_cast<size_t>(count));
        for (int64_t k = 0; k < count; ++k) v[static_cast<size_t>(k)] = start + k * delta;  // stays between start and limit
        return makeInts({count}, std::move(v));
    }
    const double start = s.asFloats()[0], limit = l.asFloats()[0], delta = d.asFloats()[0];
    if (delta == 0.0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) fail(n, "start, limit and delta must be finite, delta nonzero");
    const double c = std::ceil((limit - start) / delta);
    if (c > static_cast<double>(kMaxFoldElements)) checkFoldShape(n, {kMaxFoldElements + 1});
    const int64_t count = c > 0.0 ? static_cast<int64_t>(c) : 0;
    std::vector<float> v(static_cast<size_t>(count));
    for (int64_t k = 0; k < count; ++k) v[static_cast<size_t>(k)] = static_cast<float>(start + static_cast<double>(k) * delta);
    return makeFloats({count}, std::move(v));
}

ConstPtr foldOneHot(const Graph& g, const Node& n) {
    const TensorData& idx = constIn(g, n, 0, "indices");
    const TensorData& dt = scalarIn(g, n, 1, "depth");
    const TensorData& values = constIn(g, n, 2, "values");
    if (values.count() != 2) fail(n, "values must hold [off, on]");
    const double dd = dt.dtype == DType::Float32 ? static_cast<double>(dt.f[0]) : static_cast<double>(dt.i[0]);
    if (!(dd >= 1.0) || dd > static_cast<double>(kMaxFoldElements)) fail(n, "depth must be positive and within the engine's limits");
    const int64_t depth = static_cast<int64_t>(dd);
    const int64_t rank = static_cast<int64_t>(idx.shape.size()) + 1;
    const int64_t axis = schema::normAxis(n, n.attrInt("axis", -1), rank);
    Shape out = idx.shape;
    out.insert(out.begin() + axis, depth);
    checkFoldShape(n, out);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= idx.shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis); d < idx.shape.size(); ++d) inner *= idx.shape[d];
    const auto ids = idx.asInts();
    const int64_t count = elementCount(out);
    // hot[e] says whether output element e is "on".
    std::vector<char> hot(static_cast<size_t>(count), 0);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
            int64_t v = ids[static_cast<size_t>(o * inner + i)];
            if (v < 0) v += depth;
            if (v >= 0 && v < depth) hot[static_cast<size_t>((o * depth + v) * inner + i)] = 1;  // out of range: all off
        }
    if (values.dtype == DType::Float32) {
        std::vector<float> f(static_cast<size_t>(count));
        for (size_t e = 0; e < f.size(); ++e) f[e] = values.f[hot[e] ? 1 : 0];
        return makeFloats(out, std::move(f));
    }
    std::vector<int64_t> v(static_cast<size_t>(count));
    for (size_t e = 0; e < v.size(); ++e) v[e] = values.i[hot[e] ? 1 : 0];
    return makeInts(out, std::move(v), values.dtype);
}

ConstPtr foldNonZero(const Graph& g, const Node& n) {
    const Value& x = schema::in(g, n, 0);
    if (!x.constant) fail(n, "its output's shape depends on the values of '" + x.name + "', which is computed at run time; only constant inputs are supported");
    const TensorData& a = *x.constant;
    const size_t rank = a.shape.size();
    std::vector<int64_t> hits;
    for (int64_t e = 0; e < a.count(); ++e)
        if (a.dtype == DType::Float32 ? a.f[static_cast<size_t>(e)] != 0.0f : a.i[static_cast<size_t>(e)] != 0) hits.push_back(e);
    const int64_t nnz = static_cast<int64_t>(hits.size());
    checkFoldShape(n, {static_cast<int64_t>(rank), nnz});
    std::vector<int64_t> out(rank * hits.size());
    for (size_t h = 0; h < hits.size(); ++h) {
        int64_t rem = hits[h];
        for (size_t d = rank; d-- > 0;) {
            out[d * hits.size() + h] = rem % a.shape[d];
            rem /= a.shape[d];
        }
    }
    return makeInts({static_cast<int64_t>(rank), nnz}, std::move(out));
}

}  // namespace percept::graph::fold
