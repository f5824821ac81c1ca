// SPDX-License-Identifier: Apache-2.0
// Constant folding during shape inference (see constant_folding.h). The data-movement ops
// fold through their own schema and index plan -- the node's canonical attributes are worked
// out by its infer() on a scratch copy, then the same strided view (graph/strided_view.h) or
// gather / scatter plan (graph/gather_plan.h) the backends run is applied to the constant's
// int64 or float values -- so folding and running can never disagree about an op's meaning.
// Pointwise ops and reductions are in fold_elementwise.cpp, generators in fold_generate.cpp.
#include "graph/constant_folding.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "graph/fold_util.h"
#include "graph/gather_plan.h"
#include "graph/half.h"
#include "graph/op_schema.h"
#include "graph/strided_view.h"

namespace percept::graph {
namespace {

using fold::makeFloats;
using fold::makeInts;
using schema::fail;
using schema::hasInput;

// Runs the op's schema on a copy of the node: checks it, sets the outputs' shapes and types
// in `g` and returns the node with its canonical attributes.
Node canonical(Graph& g, const Node& n) {
    const OpSchema& s = schemaOf(n.op);
    const int count = static_cast<int>(n.inputs.size());
    if (!s.infer || count < s.minInputs || (s.maxInputs >= 0 && count > s.maxInputs)) fail(n, "has the wrong number of inputs");
    Node tmp = n;
    s.infer(g, tmp);
    return tmp;
}

// Whether every present output's shape is small enough to fold; fails for integer results
// that are not (they could never run).
bool outputsFoldable(const Graph& g, const Node& n) {
    for (int v : n.outputs) {
        if (v < 0) continue;
        const Value& o = g.value(v);
        if (fold::foldable(o.shape)) continue;
        if (o.dtype == DType::Float32) return false;
        fold::checkFoldShape(n, o.shape);
    }
    return true;
}

template <class T>
std::vector<T> viewCopy(const StridedView& v, const std::vector<T>& in) {
    std::vector<T> out(static_cast<size_t>(v.count()));
    copyViewRows(v, in.data(), out.data(), 0, viewRows(v));
    return out;
}

std::vector<ConstPtr> foldView(Graph& g, const Node& n, const TensorData& a) {
    const Node c = canonical(g, n);
    if (!outputsFoldable(g, c)) return {};
    std::vector<ConstPtr> outs;
    for (size_t k = 0; k < c.outputs.size(); ++k) {
        if (c.outputs[k] < 0) {
            outs.push_back(nullptr);
            continue;
        }
        const StridedView v = viewOf(g, c, k);
        auto t = std::make_shared<TensorData>();
        t->dtype = a.dtype;
        t->shape = g.shapeOf(c.outputs[k]);
        if (a.dtype == DType::Float32) t->f = viewCopy(v, a.f);
        else t->i = viewCopy(v, a.i);
        outs.push_back(t);
    }
    return outs;
}

ConstPtr foldGather(Graph& g, const Node& n, const TensorData& a) {
    const Node c = canonical(g, n);
    if (!outputsFoldable(g, c)) return nullptr;
    const GatherPlan p = planGather(g, c);
    const std::vector<int64_t> idx = constantIndices(g, c);
    auto t = std::make_shared<TensorData>();
    t->dtype = a.dtype;
    t->shape = g.shapeOf(c.outputs[0]);
    const int64_t rows = p.rows();
    const size_t count = static_cast<size_t>(elementCount(t->shape));
    bool ok;
    if (a.dtype == DType::Float32) {
        t->f.resize(count);
        ok = gatherRows(p, a.f.data(), idx.data(), t->f.data(), 0, rows);
    } else {
        t->i.resize(count);
        ok = gatherRows(p, a.i.data(), idx.data(), t->i.data(), 0, rows);
    }
    if (!ok) fail(n, "an index is out of range");
    return t;
}

ConstPtr foldScatter(Graph& g, const Node& n, const TensorData& a) {
    const Node c = canonical(g, n);
    if (!outputsFoldable(g, c)) return nullptr;
    const ScatterPlan p = planScatter(g, c);
    const TensorData& upd = *g.value(c.inputs[2]).constant;
    auto t = std::make_shared<TensorData>(a);
    const int64_t groups = static_cast<int64_t>(p.target.size());
    if (a.dtype == DType::Float32) scatterGroups(p, upd.f.data(), t->f.data(), 0, groups);
    else scatterGroups(p, upd.i.data(), t->i.data(), 0, groups);
    return t;
}

ConstPtr foldConcat(Graph& g, const Node& n) {
    const Node c = canonical(g, n);
    if (!outputsFoldable(g, c)) return nullptr;
    const Shape& y = g.shapeOf(c.outputs[0]);
    const size_t axis = static_cast<size_t>(c.attrInt("axis", 0));
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= y[d];
    for (size_t d = axis + 1; d < y.size(); ++d) inner *= y[d];
    auto t = std::make_shared<TensorData>();
    t->dtype = g.value(c.outputs[0]).dtype;
    t->shape = y;
    for (int64_t o = 0; o < outer; ++o)
        for (int id : c.inputs) {
            const TensorData& p = *g.value(id).constant;
            const int64_t blk = p.shape[axis] * inner;
            const auto from = static_cast<std::ptrdiff_t>(o * blk), to = static_cast<std::ptrdiff_t>((o + 1) * blk);
            if (t->dtype == DType::Float32) t->f.insert(t->f.end(), p.f.begin() + from, p.f.begin() + to);
            else t->i.insert(t->i.end(), p.i.begin() + from, p.i.begin() + to);
        }
    return t;
}

ConstPtr foldTrilu(Graph& g, const Node& n, const TensorData& a) {
    const Node c = canonical(g, n);
    if (!outputsFoldable(g, c)) return nullptr;
    const int64_t k = c.attrInt("k", 0);
    const bool upper = c.attrInt("upper", 1) != 0;
    const int64_t rows = a.shape[a.shape.size() - 2], cols = a.shape.back();
    auto t = std::make_shared<TensorData>(a);
    for (int64_t e = 0; e < a.count(); ++e) {
        const int64_t j = e % cols, i = (e / cols) % rows;
        if (upper ? j - i >= k : j - i <= k) continue;
        if (a.dtype == DType::Float32) t->f[static_cast<size_t>(e)] = 0.0f;
        else t->i[static_cast<size_t>(e)] = 0;
    }
    return t;
}

// fp32 -> bfloat16 -> fp32: the top 16 bits, rounded to nearest even (NaN kept a NaN).
float roundToBfloat16(float f) {
    if (std::isnan(f)) return f;
    uint32_t x;
    std::memcpy(&x, &f, 4);
    x += 0x7fffu + ((x >> 16) & 1u);
    x &= 0xffff0000u;
    std::memcpy(&f, &x, 4);
    return f;
}

// Cast / CastLike of a constant, to any numeric type ONNX has: an integer target truncates
// floats toward zero and must hold every value (an overflowing cast is an error, not a wrap).
ConstPtr foldCast(Graph& g, const Node& n, const TensorData& a) {
    int64_t to;
    if (n.op == OpKind::CastLike) {
        const DType like = schema::in(g, n, 1).dtype;
        to = like == DType::Float32 ? 1 : like == DType::Int64 ? 7 : 9;
    } else {
        if (!n.has("to")) fail(n, "attribute 'to' is missing");
        to = n.attrInt("to", 0);
    }
    const DType t = fold::dtypeOfOnnx(n, to);
    if (!fold::foldable(a.shape)) return nullptr;
    if (t == DType::Float32) {
        std::vector<float> f = a.asFloats();
        if (to == 10)
            for (float& v : f) v = halfToFloat(floatToHalf(v));
        if (to == 16)
            for (float& v : f) v = roundToBfloat16(v);
        return makeFloats(a.shape, std::move(f));
    }
    if (t == DType::Bool) {
        std::vector<int64_t> b(static_cast<size_t>(a.count()));
        for (size_t k = 0; k < b.size(); ++k) b[k] = a.dtype == DType::Float32 ? a.f[k] != 0.0f : a.i[k] != 0;
        return makeInts(a.shape, std::move(b), DType::Bool);
    }
    int64_t lo, hi;
    switch (to) {
        case 2: lo = 0, hi = 255; break;                       // uint8
        case 3: lo = -128, hi = 127; break;                    // int8
        case 4: lo = 0, hi = 65535; break;                     // uint16
        case 5: lo = -32768, hi = 32767; break;                // int16
        case 6: lo = INT32_MIN, hi = INT32_MAX; break;         // int32
        case 12: lo = 0, hi = UINT32_MAX; break;               // uint32
        case 13: lo = 0, hi = std::numeric_limits<int64_t>::max(); break;  // uint64 (as far as int64 holds it)
        default: lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max(); break;
    }
    std::vector<int64_t> v(static_cast<size_t>(a.count()));
    for (size_t k = 0; k < v.size(); ++k) {
        if (a.dtype == DType::Float32) {
            const double f = std::trunc(static_cast<double>(a.f[k]));
            if (!(f >= static_cast<double>(lo) && f <= static_cast<double>(hi)) || f >= 9.2e18 || f <= -9.2e18)
                fail(n, "value " + std::to_string(a.f[k]) + " does not fit the target type");
            v[k] = static_cast<int64_t>(f);
        } else {
            if (a.i[k] < lo || a.i[k] > hi) fail(n, "value " + std::to_string(a.i[k]) + " does not fit the target type");
            v[k] = a.i[k];
        }
    }
    return makeInts(a.shape, std::move(v));
}

// A node whose inputs are all constant.
std::vector<ConstPtr> foldConstantInputs(Graph& g, const Node& n) {
    const TensorData& a = *g.value(n.inputs[0]).constant;
    switch (n.op) {
        case OpKind::Identity:
        case OpKind::Dropout: return {g.value(n.inputs[0]).constant};  // Dropout's mask is never read
        case OpKind::Gather:
        case OpKind::GatherElements:
        case OpKind::GatherND:
        case OpKind::Compress: return {foldGather(g, n, a)};
        case OpKind::ScatterND:
        case OpKind::ScatterElements: return {foldScatter(g, n, a)};
        case OpKind::Concat: return {foldConcat(g, n)};
        case OpKind::Trilu: return {foldTrilu(g, n, a)};
        case OpKind::Cast:
        case OpKind::CastLike: return {foldCast(g, n, a)};
        case OpKind::ConstantOfShape: return {fold::foldConstantOfShape(g, n)};
        case OpKind::Range: return {fold::foldRange(g, n)};
        case OpKind::OneHot: return {fold::foldOneHot(g, n)};
        case OpKind::QuantizeLinear:
        case OpKind::DequantizeLinear: return {fold::foldQuantization(g, n)};  // int8
        default: break;
    }
    if (isViewOp(n.op)) return foldView(g, n, a);
    if (ConstPtr r = fold::foldReduce(g, n)) return {r};
    return {fold::foldPointwise(g, n)};
}

}  // namespace

bool tryFold(Graph& g, const Node& n) {
    std::vector<ConstPtr> outs;
    switch (n.op) {
        case OpKind::Constant: outs = {fold::foldConstant(n)}; break;
        // Shapes are static: these fold whatever their input.
        case OpKind::Shape: outs = {fold::foldShape(g, n)}; break;
        case OpKind::Size: outs = {fold::foldSize(g, n)}; break;
        case OpKind::EyeLike: outs = {fold::foldEyeLike(g, n)}; break;
        // A data-dependent shape: folded, or refused with that reason. (Compress with a
        // constant condition runs as a gather; its schema refuses a computed one.)
        case OpKind::NonZero: outs = {fold::foldNonZero(g, n)}; break;
        default: {
            for (size_t k = 0; k < n.inputs.size(); ++k)
                if (n.inputs[k] >= 0 && !g.value(n.inputs[k]).constant) return false;
            // Input 0 may be an empty name (an omitted optional input); inference then reports it.
            if (n.inputs.empty() || n.inputs[0] < 0) return false;
            outs = foldConstantInputs(g, n);
        }
    }
    if (outs.empty() || !outs[0]) return false;
    for (size_t k = 0; k < outs.size() && k < n.outputs.size(); ++k) {
        if (!outs[k] || n.outputs[k] < 0) continue;
        Value& v = g.value(n.outputs[k]);
        v.constant = outs[k];
        v.shape = outs[k]->shape;
        v.shapeKnown = true;
        v.dtype = outs[k]->dtype;
    }
    return true;
}

}  // namespace percept::graph
