#include "graph/constant_folding.h"

#include <algorithm>
#include <limits>
#include <set>
#include <type_traits>

#include "graph/schema_util.h"
#include "graph/shape_inference.h"

namespace percept::graph {
namespace {

using schema::constIn;
using schema::fail;
using schema::hasInput;
using schema::normAxis;

ConstPtr makeInts(Shape shape, std::vector<int64_t> vals, DType t = DType::Int64) {
    auto d = std::make_shared<TensorData>();
    d->dtype = t;
    d->shape = std::move(shape);
    d->i = std::move(vals);
    return d;
}
ConstPtr makeFloats(Shape shape, std::vector<float> vals) {
    auto d = std::make_shared<TensorData>();
    d->dtype = DType::Float32;
    d->shape = std::move(shape);
    d->f = std::move(vals);
    return d;
}

// Strides of a row-major shape.
std::vector<int64_t> stridesOf(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (int k = static_cast<int>(s.size()) - 2; k >= 0; --k) st[k] = st[k + 1] * s[k + 1];
    return st;
}

// Applies f elementwise with broadcasting (small tensors only).
template <class T, class F>
std::vector<T> broadcastApply(const std::vector<T>& a, const Shape& sa, const std::vector<T>& b, const Shape& sb, const Shape& so, F f) {
    const size_t rank = so.size();
    Shape pa(rank - sa.size(), 1), pb(rank - sb.size(), 1);
    pa.insert(pa.end(), sa.begin(), sa.end());
    pb.insert(pb.end(), sb.begin(), sb.end());
    auto sta = stridesOf(pa), stb = stridesOf(pb), sto = stridesOf(so);
    std::vector<T> out(static_cast<size_t>(elementCount(so)));
    for (size_t idx = 0; idx < out.size(); ++idx) {
        int64_t rem = static_cast<int64_t>(idx), ia = 0, ib = 0;
        for (size_t d = 0; d < rank; ++d) {
            int64_t c = rem / sto[d];
            rem -= c * sto[d];
            if (pa[d] != 1) ia += c * sta[d];
            if (pb[d] != 1) ib += c * stb[d];
        }
        out[idx] = f(a[static_cast<size_t>(ia)], b[static_cast<size_t>(ib)]);
    }
    return out;
}

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

ConstPtr foldGather(const Graph& g, const Node& n, const TensorData& a) {
    const TensorData& idx = constIn(g, n, 1, "indices");
    const int64_t rank = static_cast<int64_t>(a.shape.size());
    if (rank == 0) fail(n, "cannot gather from a scalar");
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    Shape os(a.shape.begin(), a.shape.begin() + axis);
    os.insert(os.end(), idx.shape.begin(), idx.shape.end());
    os.insert(os.end(), a.shape.begin() + axis + 1, a.shape.end());
    schema::checkShape(n, os);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= a.shape[d];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= a.shape[d];
    const int64_t dim = a.shape[axis];
    auto ids = idx.asInts();
    auto t = std::make_shared<TensorData>();
    t->dtype = a.dtype;
    t->shape = os;
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j : ids) {
            if (j < -dim || j >= dim) fail(n, "index " + std::to_string(j) + " out of range");
            if (j < 0) j += dim;
            for (int64_t r = 0; r < inner; ++r) {
                size_t src = static_cast<size_t>((o * dim + j) * inner + r);
                if (a.dtype != DType::Float32) t->i.push_back(a.i[src]); else t->f.push_back(a.f[src]);
            }
        }
    return t;
}

ConstPtr foldSqueeze(const Graph& g, const Node& n, const TensorData& a) {
    std::vector<int64_t> axes = hasInput(n, 1) ? constIn(g, n, 1, "axes").asInts() : n.attrInts("axes");
    Shape s = a.shape;
    if (n.op == OpKind::Unsqueeze) {
        const int64_t rank = static_cast<int64_t>(s.size() + axes.size());
        for (int64_t ax : schema::normAxes(n, axes, rank)) s.insert(s.begin() + ax, 1);  // sorted, distinct: ax <= s.size()
    } else {
        const int64_t rank = static_cast<int64_t>(s.size());
        std::set<int64_t> drop;
        for (auto ax : axes) {
            const int64_t d = normAxis(n, ax, rank);
            if (s[d] != 1) fail(n, "cannot squeeze axis " + std::to_string(ax) + " of size " + std::to_string(s[d]));
            drop.insert(d);
        }
        Shape r;
        for (int64_t d = 0; d < rank; ++d)
            if (!(drop.count(d) || (axes.empty() && s[d] == 1))) r.push_back(s[d]);
        s = r;
    }
    schema::checkShape(n, s);
    auto t = std::make_shared<TensorData>(a);
    t->shape = s;
    return t;
}

// Only 1-D shape vectors; returns null for anything else (left to a backend).
ConstPtr foldConcat(const Graph& g, const Node& n, const TensorData& a) {
    const int64_t rank = static_cast<int64_t>(a.shape.size());
    const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
    if (rank != 1 || axis != 0) return nullptr;
    auto t = std::make_shared<TensorData>();
    t->dtype = a.dtype;
    for (int id : n.inputs) {
        const TensorData& p = *g.value(id).constant;
        if (p.shape.size() != 1) fail(n, "inputs of different rank");
        if (t->dtype != DType::Float32) { auto v = p.asInts(); t->i.insert(t->i.end(), v.begin(), v.end()); }
        else { auto v = p.asFloats(); t->f.insert(t->f.end(), v.begin(), v.end()); }
    }
    t->shape = {static_cast<int64_t>(t->dtype != DType::Float32 ? t->i.size() : t->f.size())};
    return t;
}

// Only 1-D slices with step 1; returns null for anything else.
ConstPtr foldSlice(const Graph& g, const Node& n, const TensorData& a) {
    if (a.shape.size() != 1) return nullptr;
    std::vector<int64_t> starts, ends, steps;
    if (g.opset < 10) {
        starts = n.attrInts("starts");
        ends = n.attrInts("ends");
    } else {
        starts = constIn(g, n, 1, "starts").asInts();
        ends = constIn(g, n, 2, "ends").asInts();
        if (hasInput(n, 4)) steps = constIn(g, n, 4, "steps").asInts();
    }
    if (starts.size() != 1 || ends.size() != 1) fail(n, "only 1-D slices of constants are supported");
    if (!steps.empty() && steps[0] != 1) return nullptr;
    const int64_t dim = a.shape[0];
    auto clampIdx = [&](int64_t v) {
        if (v < 0) v += dim;
        return std::clamp<int64_t>(v, 0, dim);
    };
    const int64_t b = clampIdx(starts[0]), e = clampIdx(ends[0]);
    auto t = std::make_shared<TensorData>();
    t->dtype = a.dtype;
    for (int64_t k = b; k < e; ++k) {
        if (a.dtype != DType::Float32) t->i.push_back(a.i[k]); else t->f.push_back(a.f[k]);
    }
    t->shape = {std::max<int64_t>(0, e - b)};
    return t;
}

ConstPtr foldConstantOfShape(const Node& n, const TensorData& a) {
    auto dims = a.asInts();
    Shape s(dims.begin(), dims.end());
    schema::checkShape(n, s);
    ConstPtr v = n.has("value") ? n.attrs.at("value").t : nullptr;
    const int64_t cnt = elementCount(s);
    if (v && v->dtype != DType::Float32) return makeInts(s, std::vector<int64_t>(cnt, v->i.empty() ? 0 : v->i[0]), v->dtype);
    return makeFloats(s, std::vector<float>(cnt, v && !v->f.empty() ? v->f[0] : 0.0f));
}

ConstPtr foldArithmetic(const Graph& g, const Node& n, const TensorData& a) {
    const TensorData& b = constIn(g, n, 1, "operand");
    const OpKind op = n.op;
    Shape so = broadcastShapes(a.shape, b.shape, n.describe());
    if (elementCount(so) > 4096 && a.dtype != DType::Float32) return nullptr;
    auto fop = [&](auto x, auto y) -> decltype(x) {
        using T = decltype(x);
        if (op == OpKind::Div && y == 0 && std::is_integral_v<T>) fail(n, "integer division by zero while folding constants");
        if constexpr (std::is_integral_v<T>) {
            // Hostile files can ask for any int64 arithmetic: overflow is an error, not UB.
            T r{};
            const bool overflow = op == OpKind::Add ? __builtin_add_overflow(x, y, &r)
                                : op == OpKind::Sub ? __builtin_sub_overflow(x, y, &r)
                                : op == OpKind::Mul ? __builtin_mul_overflow(x, y, &r)
                                : (x == std::numeric_limits<T>::min() && y == -1) || ((r = x / y), false);
            if (overflow) fail(n, "integer overflow while folding constants");
            return r;
        } else {
            if (op == OpKind::Add) return x + y;
            if (op == OpKind::Sub) return x - y;
            if (op == OpKind::Mul) return x * y;
            return x / y;
        }
    };
    if (a.dtype == DType::Int64 && b.dtype == DType::Int64) return makeInts(so, broadcastApply(a.i, a.shape, b.i, b.shape, so, fop));
    return makeFloats(so, broadcastApply(a.asFloats(), a.shape, b.asFloats(), b.shape, so, fop));
}

}  // namespace

bool tryFold(Graph& g, const Node& n) {
    ConstPtr out;
    if (n.op == OpKind::Constant) {
        out = foldConstant(n);
    } else if (n.op == OpKind::Shape) {
        const Value& x = schema::in(g, n, 0);
        if (!x.shapeKnown) return false;
        out = makeInts({static_cast<int64_t>(x.shape.size())}, x.shape);
    } else {
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (n.inputs[k] >= 0 && !g.value(n.inputs[k]).constant) return false;
        // Input 0 may be an empty name (an omitted optional input); inference then reports it.
        if (n.inputs.empty() || n.inputs[0] < 0) return false;
        const TensorData& a = *g.value(n.inputs[0]).constant;
        switch (n.op) {
            case OpKind::Identity:
            case OpKind::Dropout: out = g.value(n.inputs[0]).constant; break;
            case OpKind::Cast: {
                const int64_t to = n.attrInt("to", 1);
                if (to == 1 || to == 11) out = makeFloats(a.shape, a.asFloats());
                else if (to == 9) {
                    auto v = a.asFloats();
                    std::vector<int64_t> b(v.size());
                    for (size_t k = 0; k < v.size(); ++k) b[k] = v[k] != 0.0f;
                    out = makeInts(a.shape, b, DType::Bool);
                } else out = makeInts(a.shape, a.asInts());
                break;
            }
            case OpKind::Gather: out = foldGather(g, n, a); break;
            case OpKind::Unsqueeze:
            case OpKind::Squeeze: out = foldSqueeze(g, n, a); break;
            case OpKind::Concat: out = foldConcat(g, n, a); break;
            case OpKind::Slice: out = foldSlice(g, n, a); break;
            case OpKind::ConstantOfShape: out = foldConstantOfShape(n, a); break;
            case OpKind::Add:
            case OpKind::Sub:
            case OpKind::Mul:
            case OpKind::Div: out = foldArithmetic(g, n, a); break;
            // Pointwise family: shape arithmetic (constant_folding_pointwise.cpp).
            case OpKind::Equal:
            case OpKind::Less:
            case OpKind::LessOrEqual:
            case OpKind::Greater:
            case OpKind::GreaterOrEqual:
            case OpKind::And:
            case OpKind::Or:
            case OpKind::Xor:
            case OpKind::Not:
            case OpKind::Where:
            case OpKind::Min:
            case OpKind::Max:
            case OpKind::Neg:
            case OpKind::Abs:
            case OpKind::Sign:
            case OpKind::Mod: out = foldPointwise(g, n); break;
            default: return false;
        }
    }
    if (!out) return false;
    // Extra outputs (Dropout's mask) of a folded node are never read; inference of their
    // readers would report it.
    Value& v = g.value(n.outputs.at(0));
    v.constant = out;
    v.shape = out->shape;
    v.shapeKnown = true;
    v.dtype = out->dtype;
    return true;
}

}  // namespace percept::graph
