// SPDX-License-Identifier: Apache-2.0
// Folding of pointwise ops and reductions on constants: the integer shape arithmetic that
// exporters write (Mul / Div / Mod of dimensions, Min / Max clamps, Equal + Where selections,
// ReduceProd of a shape) and small float chains (Shape -> Cast -> Mul -> Floor -> Cast).
// Integers are int64 with every overflow an error; floats are computed in fp32 as the kernels
// would (reductions in double).
#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/fold_util.h"
#include "graph/shape_inference.h"

namespace percept::graph::fold {

namespace {

using schema::fail;
using schema::hasInput;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

[[noreturn]] void overflow(const Node& n) { fail(n, "integer overflow while folding constants"); }

int64_t intOp(const Node& n, OpKind op, int64_t x, int64_t y) {
    int64_t r = 0;
    switch (op) {
        case OpKind::Add:
        case OpKind::Sum:
            if (__builtin_add_overflow(x, y, &r)) overflow(n);
            return r;
        case OpKind::Sub:
            if (__builtin_sub_overflow(x, y, &r)) overflow(n);
            return r;
        case OpKind::Mul:
            if (__builtin_mul_overflow(x, y, &r)) overflow(n);
            return r;
        case OpKind::Div:
            if (y == 0) fail(n, "integer division by zero while folding constants");
            if (x == kMin && y == -1) overflow(n);
            return x / y;  // truncates toward zero, as ONNX Runtime does
        case OpKind::Mod: {
            if (y == 0) fail(n, "integer modulo by zero while folding constants");
            if (y == -1) return 0;  // also avoids INT64_MIN % -1
            r = x % y;
            // fmod=0: the result takes the divisor's sign (Python's %); fmod=1: the dividend's.
            if (n.attrInt("fmod", 0) == 0 && r != 0 && ((r < 0) != (y < 0))) r += y;
            return r;
        }
        case OpKind::Min: return std::min(x, y);
        case OpKind::Max: return std::max(x, y);
        default: fail(n, "internal error: not an integer operation");
    }
}

float floatOp(const Node& n, OpKind op, float x, float y) {
    switch (op) {
        case OpKind::Add:
        case OpKind::Sum: return x + y;
        case OpKind::Sub: return x - y;
        case OpKind::Mul: return x * y;
        case OpKind::Div: return x / y;
        case OpKind::Mod: return std::fmod(x, y);
        case OpKind::Min: return std::isnan(x) || std::isnan(y) ? std::numeric_limits<float>::quiet_NaN() : std::min(x, y);
        case OpKind::Max: return std::isnan(x) || std::isnan(y) ? std::numeric_limits<float>::quiet_NaN() : std::max(x, y);
        default: fail(n, "internal error: not a float operation");
    }
}

bool compare(OpKind op, double x, double y) {
    switch (op) {
        case OpKind::Equal: return x == y;
        case OpKind::Less: return x < y;
        case OpKind::LessOrEqual: return x <= y;
        case OpKind::Greater: return x > y;
        default: return x >= y;  // GreaterOrEqual
    }
}
bool compareInts(OpKind op, int64_t x, int64_t y) {
    switch (op) {
        case OpKind::Equal: return x == y;
        case OpKind::Less: return x < y;
        case OpKind::LessOrEqual: return x <= y;
        case OpKind::Greater: return x > y;
        default: return x >= y;
    }
}

struct Inputs {
    std::vector<const TensorData*> t;
    std::vector<Shape> shapes;
    Shape out;
    bool allInt = true, anyBool = false;
};

Inputs gather(const Graph& g, const Node& n) {
    Inputs in;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        if (!hasInput(n, k)) fail(n, "input " + std::to_string(k) + " is missing");
        const TensorData& t = *g.value(n.inputs[k]).constant;
        in.t.push_back(&t);
        in.shapes.push_back(t.shape);
        in.allInt &= t.dtype != DType::Float32;
        in.anyBool |= t.dtype == DType::Bool;
        in.out = k == 0 ? t.shape : broadcastShapes(in.out, t.shape, n.describe());
    }
    return in;
}

// Variadic arithmetic (Add, Sub, Mul, Div, Mod, Min, Max, Sum), folded left to right.
ConstPtr arithmetic(const Node& n, const Inputs& in) {
    if (in.anyBool) fail(n, "arithmetic on boolean tensors is not valid");
    if (!foldable(in.out)) {
        if (!in.allInt) return nullptr;  // a large float result: left to the kernels
        checkFoldShape(n, in.out);
    }
    schema::checkShape(n, in.out);
    const int64_t count = elementCount(in.out);
    if (in.allInt) {
        std::vector<int64_t> out(static_cast<size_t>(count));
        BroadcastWalk w(in.out, in.shapes);
        for (int64_t e = 0; e < count; ++e, w.next()) {
            int64_t acc = in.t[0]->i[static_cast<size_t>(w.at(0))];
            for (size_t k = 1; k < in.t.size(); ++k) acc = intOp(n, n.op, acc, in.t[k]->i[static_cast<size_t>(w.at(k))]);
            out[static_cast<size_t>(e)] = acc;
        }
        return makeInts(in.out, std::move(out));
    }
    if (n.op == OpKind::Mod && n.attrInt("fmod", 0) == 0) fail(n, "Mod of floats needs fmod=1");
    std::vector<std::vector<float>> vals;
    for (const TensorData* t : in.t) vals.push_back(t->asFloats());
    std::vector<float> out(static_cast<size_t>(count));
    BroadcastWalk w(in.out, in.shapes);
    for (int64_t e = 0; e < count; ++e, w.next()) {
        float acc = vals[0][static_cast<size_t>(w.at(0))];
        for (size_t k = 1; k < vals.size(); ++k) acc = floatOp(n, n.op, acc, vals[k][static_cast<size_t>(w.at(k))]);
        out[static_cast<size_t>(e)] = acc;
    }
    return makeFloats(in.out, std::move(out));
}

// Comparisons, And / Or / Xor, Where: results whose size the folder bounds.
ConstPtr selectOrCompare(const Node& n, const Inputs& in) {
    const bool where = n.op == OpKind::Where;
    if (where && in.t.size() != 3) fail(n, "Where takes 3 inputs");
    if (!where && in.t.size() != 2) fail(n, "takes 2 inputs");
    const bool floatResult = where && (in.t[1]->dtype == DType::Float32 || in.t[2]->dtype == DType::Float32);
    if (!foldable(in.out)) {
        if (floatResult) return nullptr;
        checkFoldShape(n, in.out);
    }
    schema::checkShape(n, in.out);
    const int64_t count = elementCount(in.out);
    BroadcastWalk w(in.out, in.shapes);
    auto truth = [&](size_t k, int64_t off) {
        const TensorData& t = *in.t[k];
        return t.dtype == DType::Float32 ? t.f[static_cast<size_t>(off)] != 0.0f : t.i[static_cast<size_t>(off)] != 0;
    };
    if (where) {
        if (floatResult) {
            const auto x = in.t[1]->asFloats(), y = in.t[2]->asFloats();
            std::vector<float> out(static_cast<size_t>(count));
            for (int64_t e = 0; e < count; ++e, w.next())
                out[static_cast<size_t>(e)] = truth(0, w.at(0)) ? x[static_cast<size_t>(w.at(1))] : y[static_cast<size_t>(w.at(2))];
            return makeFloats(in.out, std::move(out));
        }
        std::vector<int64_t> out(static_cast<size_t>(count));
        for (int64_t e = 0; e < count; ++e, w.next())
            out[static_cast<size_t>(e)] = truth(0, w.at(0)) ? in.t[1]->i[static_cast<size_t>(w.at(1))] : in.t[2]->i[static_cast<size_t>(w.at(2))];
        return makeInts(in.out, std::move(out), in.t[1]->dtype);
    }
    std::vector<int64_t> out(static_cast<size_t>(count));
    const bool logic = n.op == OpKind::And || n.op == OpKind::Or || n.op == OpKind::Xor;
    for (int64_t e = 0; e < count; ++e, w.next()) {
        bool r;
        if (logic) {
            const bool a = truth(0, w.at(0)), b = truth(1, w.at(1));
            r = n.op == OpKind::And ? (a && b) : n.op == OpKind::Or ? (a || b) : (a != b);
        } else if (in.allInt) {
            r = compareInts(n.op, in.t[0]->i[static_cast<size_t>(w.at(0))], in.t[1]->i[static_cast<size_t>(w.at(1))]);
        } else {
            const TensorData &a = *in.t[0], &b = *in.t[1];
            const double x = a.dtype == DType::Float32 ? a.f[static_cast<size_t>(w.at(0))] : static_cast<double>(a.i[static_cast<size_t>(w.at(0))]);
            const double y = b.dtype == DType::Float32 ? b.f[static_cast<size_t>(w.at(1))] : static_cast<double>(b.i[static_cast<size_t>(w.at(1))]);
            r = compare(n.op, x, y);
        }
        out[static_cast<size_t>(e)] = r ? 1 : 0;
    }
    return makeInts(in.out, std::move(out), DType::Bool);
}

ConstPtr unary(const Node& n, const TensorData& a) {
    if (!foldable(a.shape)) return nullptr;
    if (n.op == OpKind::Not) {
        std::vector<int64_t> out(static_cast<size_t>(a.count()));
        for (size_t k = 0; k < out.size(); ++k) out[k] = (a.dtype == DType::Float32 ? a.f[k] != 0.0f : a.i[k] != 0) ? 0 : 1;
        return makeInts(a.shape, std::move(out), DType::Bool);
    }
    if (a.dtype != DType::Float32) {
        if (a.dtype == DType::Bool) fail(n, "arithmetic on boolean tensors is not valid");
        if (n.op != OpKind::Neg && n.op != OpKind::Abs && n.op != OpKind::Sign) return nullptr;  // float-only ops
        std::vector<int64_t> out(a.i.size());
        for (size_t k = 0; k < out.size(); ++k) {
            if (n.op == OpKind::Sign) {
                out[k] = (a.i[k] > 0) - (a.i[k] < 0);
                continue;
            }
            if (a.i[k] == kMin) overflow(n);
            out[k] = n.op == OpKind::Neg ? -a.i[k] : std::abs(a.i[k]);
        }
        return makeInts(a.shape, std::move(out));
    }
    std::vector<float> out(a.f.size());
    for (size_t k = 0; k < out.size(); ++k) {
        const float v = a.f[k];
        switch (n.op) {
            case OpKind::Neg: out[k] = -v; break;
            case OpKind::Abs: out[k] = std::fabs(v); break;
            case OpKind::Sign: out[k] = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v; break;  // 0 and NaN pass through
            case OpKind::Floor: out[k] = std::floor(v); break;
            case OpKind::Ceil: out[k] = std::ceil(v); break;
            case OpKind::Round: out[k] = std::nearbyint(v); break;  // halves to even
            case OpKind::Sqrt: out[k] = std::sqrt(v); break;
            case OpKind::Reciprocal: out[k] = 1.0f / v; break;
            default: return nullptr;
        }
    }
    return makeFloats(a.shape, std::move(out));
}

}  // namespace

ConstPtr foldPointwise(const Graph& g, const Node& n) {
    switch (n.op) {
        case OpKind::Add:
        case OpKind::Sub:
        case OpKind::Mul:
        case OpKind::Div:
        case OpKind::Mod:
            if (n.inputs.size() != 2) fail(n, "takes 2 inputs");
            return arithmetic(n, gather(g, n));
        case OpKind::Min:
        case OpKind::Max:
        case OpKind::Sum:
            if (n.inputs.empty()) fail(n, "has no inputs");
            return arithmetic(n, gather(g, n));
        case OpKind::Equal:
        case OpKind::Less:
        case OpKind::LessOrEqual:
        case OpKind::Greater:
        case OpKind::GreaterOrEqual:
        case OpKind::And:
        case OpKind::Or:
        case OpKind::Xor:
        case OpKind::Where: return selectOrCompare(n, gather(g, n));
        case OpKind::Not:
        case OpKind::Neg:
        case OpKind::Abs:
        case OpKind::Sign:
        case OpKind::Floor:
        case OpKind::Ceil:
        case OpKind::Round:
        case OpKind::Sqrt:
        case OpKind::Reciprocal:
            if (n.inputs.size() != 1) fail(n, "takes 1 input");
            return unary(n, *g.value(n.inputs[0]).constant);
        default: return nullptr;
    }
}

ConstPtr foldReduce(const Graph& g, const Node& n) {
    if (n.op != OpKind::ReduceSum && n.op != OpKind::ReduceProd && n.op != OpKind::ReduceMax && n.op != OpKind::ReduceMin) return nullptr;
    const TensorData& a = *g.value(n.inputs.at(0)).constant;
    if (a.dtype == DType::Bool) return nullptr;
    const int64_t rank = static_cast<int64_t>(a.shape.size());
    // Axes: an input from opset 13 (ReduceSum) or 18 (the others), an attribute before.
    const bool axesInput = g.opset >= (n.op == OpKind::ReduceSum ? 13 : 18);
    std::vector<int64_t> axes;
    if (axesInput) {
        if (hasInput(n, 1)) axes = schema::constIn(g, n, 1, "axes").asInts();
    } else {
        axes = n.attrInts("axes");
    }
    if (axes.empty()) {
        if (axesInput && n.attrInt("noop_with_empty_axes", 0) != 0) return g.value(n.inputs[0]).constant;
        for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    }
    axes = schema::normAxes(n, axes, rank);
    const bool keep = n.attrInt("keepdims", 1) != 0;
    std::vector<char> reduced(static_cast<size_t>(rank), 0);
    for (int64_t d : axes) reduced[static_cast<size_t>(d)] = 1;
    Shape kept, out;
    for (int64_t d = 0; d < rank; ++d) {
        kept.push_back(reduced[d] ? 1 : a.shape[d]);
        if (!reduced[d]) out.push_back(a.shape[d]);
        else if (keep) out.push_back(1);
    }
    if (!foldable(a.shape)) {
        if (a.dtype == DType::Float32) return nullptr;
        checkFoldShape(n, a.shape);
    }
    const int64_t outCount = elementCount(kept), inCount = a.count();
    if (inCount == 0 && (n.op == OpKind::ReduceMax || n.op == OpKind::ReduceMin) && outCount > 0)
        fail(n, "reducing an empty axis by max/min has no value");
    // Every input element meets its output element: walk the input, the output broadcast over it.
    BroadcastWalk w(a.shape, {kept});
    if (a.dtype == DType::Int64) {
        const int64_t init = n.op == OpKind::ReduceProd ? 1 : 0;
        std::vector<int64_t> acc(static_cast<size_t>(outCount), init);
        std::vector<char> seen(static_cast<size_t>(outCount), 0);
        for (int64_t e = 0; e < inCount; ++e, w.next()) {
            int64_t& r = acc[static_cast<size_t>(w.at(0))];
            const int64_t v = a.i[static_cast<size_t>(e)];
            char& s = seen[static_cast<size_t>(w.at(0))];
            if (n.op == OpKind::ReduceSum) { if (__builtin_add_overflow(r, v, &r)) overflow(n); }
            else if (n.op == OpKind::ReduceProd) { if (__builtin_mul_overflow(r, v, &r)) overflow(n); }
            else if (n.op == OpKind::ReduceMax) r = s ? std::max(r, v) : v;
            else r = s ? std::min(r, v) : v;
            s = 1;
        }
        return makeInts(out, std::move(acc));
    }
    const double init = n.op == OpKind::ReduceProd ? 1.0 : 0.0;
    std::vector<double> acc(static_cast<size_t>(outCount), init);
    std::vector<char> seen(static_cast<size_t>(outCount), 0);
    for (int64_t e = 0; e < inCount; ++e, w.next()) {
        double& r = acc[static_cast<size_t>(w.at(0))];
        const double v = a.f[static_cast<size_t>(e)];
        char& s = seen[static_cast<size_t>(w.at(0))];
        if (n.op == OpKind::ReduceSum) r += v;
        else if (n.op == OpKind::ReduceProd) r *= v;
        else if (n.op == OpKind::ReduceMax) r = s ? std::max(r, v) : v;
        else r = s ? std::min(r, v) : v;
        s = 1;
    }
    std::vector<float> f(acc.begin(), acc.end());
    return makeFloats(out, std::move(f));
}

}  // namespace percept::graph::fold
