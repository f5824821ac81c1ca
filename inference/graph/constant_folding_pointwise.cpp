// Constant folding of the pointwise ops exporters use in shape arithmetic (graph/constant_folding.h):
// comparisons, And / Or / Xor / Not, Where, Min / Max, integer Neg / Abs / Sign / Mod. torch's
// dynamic-shape exports compute Expand's and Reshape's shapes with Equal, Where and Not over
// Shape's output; folded here, those inputs are constants by the time their reader is checked.
// Everything else (float math) runs on a backend.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "graph/constant_folding.h"
#include "graph/schema_util.h"
#include "graph/shape_inference.h"

namespace percept::graph {
namespace {

using schema::fail;

// Folding makes a constant of the output: only small ones (shapes, masks), as for Add ... Div.
constexpr int64_t kMaxFolded = 4096;

// The value of operand k at output index i (numpy broadcasting).
struct Broadcast {
    Shape out;
    std::vector<std::vector<int64_t>> strides;  // per operand, per output axis (0 = repeated)
    Broadcast(const std::vector<const TensorData*>& ops, const std::string& who) {
        for (size_t k = 0; k < ops.size(); ++k) out = k == 0 ? ops[0]->shape : broadcastShapes(out, ops[k]->shape, who);
        for (const TensorData* t : ops) {
            std::vector<int64_t> st(out.size(), 0);
            int64_t step = 1;
            for (size_t a = t->shape.size(); a-- > 0;) {
                st[out.size() - t->shape.size() + a] = t->shape[a] == 1 ? 0 : step;
                step *= t->shape[a];
            }
            strides.push_back(std::move(st));
        }
    }
    int64_t at(size_t k, int64_t i) const {
        int64_t off = 0;
        for (size_t a = out.size(); a-- > 0;) {
            off += (i % out[a]) * strides[k][a];
            i /= out[a];
        }
        return off;
    }
};

std::shared_ptr<TensorData> make(DType t, Shape s) {
    auto d = std::make_shared<TensorData>();
    d->dtype = t;
    d->shape = std::move(s);
    return d;
}

// y[i] = f(values of every operand at i), each operand read as int64 (integers, booleans) or
// double (floats); the result stored as `t`.
ConstPtr mapAll(const Node& n, const std::vector<const TensorData*>& ops, DType t, const std::function<double(const std::vector<double>&)>& f) {
    const Broadcast bc(ops, n.describe());
    const int64_t count = elementCount(bc.out);
    if (count > kMaxFolded) return nullptr;
    auto y = make(t, bc.out);
    std::vector<double> v(ops.size());
    for (int64_t i = 0; i < count; ++i) {
        for (size_t k = 0; k < ops.size(); ++k) {
            const TensorData& o = *ops[k];
            const size_t j = static_cast<size_t>(bc.at(k, i));
            v[k] = o.dtype == DType::Float32 ? static_cast<double>(o.f[j]) : static_cast<double>(o.i[j]);
        }
        const double r = f(v);
        if (t == DType::Float32) y->f.push_back(static_cast<float>(r));
        else y->i.push_back(static_cast<int64_t>(r));
    }
    return y;
}

// The same with int64 arithmetic (no rounding through double for values past 2^53).
ConstPtr mapInts(const Node& n, const std::vector<const TensorData*>& ops, DType t, const std::function<int64_t(const std::vector<int64_t>&)>& f) {
    const Broadcast bc(ops, n.describe());
    const int64_t count = elementCount(bc.out);
    if (count > kMaxFolded) return nullptr;
    auto y = make(t, bc.out);
    std::vector<int64_t> v(ops.size());
    for (int64_t i = 0; i < count; ++i) {
        for (size_t k = 0; k < ops.size(); ++k) v[k] = ops[k]->i[static_cast<size_t>(bc.at(k, i))];
        y->i.push_back(f(v));
    }
    return y;
}

}  // namespace

ConstPtr foldPointwise(const Graph& g, const Node& n) {
    std::vector<const TensorData*> ops;
    for (int v : n.inputs) {
        if (v < 0) return nullptr;
        ops.push_back(g.value(v).constant.get());
    }
    if (ops.empty()) return nullptr;
    // One type for every operand (Where: its two values); mismatches are left to the schema.
    const size_t first = n.op == OpKind::Where ? 1 : 0;
    if (ops.size() <= first) return nullptr;
    const DType t = ops[first]->dtype;
    for (size_t k = first; k < ops.size(); ++k)
        if (ops[k]->dtype != t) return nullptr;
    const bool ints = t != DType::Float32;
    auto cmp = [&](auto f) {
        if (ints) return mapInts(n, ops, DType::Bool, [&](const auto& v) -> int64_t { return f(v[0], v[1]) ? 1 : 0; });
        return mapAll(n, ops, DType::Bool, [&](const auto& v) { return f(v[0], v[1]) ? 1.0 : 0.0; });
    };
    switch (n.op) {
        case OpKind::Equal: return ops.size() == 2 ? cmp([](auto a, auto b) { return a == b; }) : nullptr;
        case OpKind::Less: return ops.size() == 2 ? cmp([](auto a, auto b) { return a < b; }) : nullptr;
        case OpKind::LessOrEqual: return ops.size() == 2 ? cmp([](auto a, auto b) { return a <= b; }) : nullptr;
        case OpKind::Greater: return ops.size() == 2 ? cmp([](auto a, auto b) { return a > b; }) : nullptr;
        case OpKind::GreaterOrEqual: return ops.size() == 2 ? cmp([](auto a, auto b) { return a >= b; }) : nullptr;
        case OpKind::And:
        case OpKind::Or:
        case OpKind::Xor: {
            if (t != DType::Bool || ops.size() != 2) return nullptr;
            const OpKind op = n.op;
            return mapInts(n, ops, DType::Bool, [op](const auto& v) -> int64_t {
                const bool a = v[0] != 0, b = v[1] != 0;
                return op == OpKind::And ? a && b : op == OpKind::Or ? a || b : a != b;
            });
        }
        case OpKind::Not:
            if (t != DType::Bool) return nullptr;
            return mapInts(n, ops, DType::Bool, [](const auto& v) -> int64_t { return v[0] == 0; });
        case OpKind::Where: {
            if (ops.size() != 3 || ops[0]->dtype != DType::Bool) return nullptr;
            if (ints) return mapInts(n, ops, t, [](const auto& v) { return v[0] != 0 ? v[1] : v[2]; });
            return mapAll(n, ops, t, [](const auto& v) { return v[0] != 0 ? v[1] : v[2]; });
        }
        case OpKind::Min:
        case OpKind::Max: {
            if (t == DType::Bool) return nullptr;
            const bool isMin = n.op == OpKind::Min;
            if (ints)
                return mapInts(n, ops, t, [isMin](const auto& v) {
                    return isMin ? *std::min_element(v.begin(), v.end()) : *std::max_element(v.begin(), v.end());
                });
            return mapAll(n, ops, t, [isMin](const auto& v) {
                double r = v[0];
                for (double x : v) {
                    if (std::isnan(r) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();  // numpy: NaN wins
                    r = isMin ? std::min(r, x) : std::max(r, x);
                }
                return r;
            });
        }
        case OpKind::Neg:
        case OpKind::Abs:
        case OpKind::Sign: {
            if (t != DType::Int64) return nullptr;  // float math runs on a backend
            const OpKind op = n.op;
            return mapInts(n, ops, t, [&n, op](const auto& v) -> int64_t {
                const int64_t x = v[0];
                if (op == OpKind::Sign) return (x > 0) - (x < 0);
                if (x == std::numeric_limits<int64_t>::min()) fail(n, "integer overflow while folding constants");
                return op == OpKind::Neg || x < 0 ? -x : x;
            });
        }
        case OpKind::Mod: {
            if (t != DType::Int64 || ops.size() != 2) return nullptr;
            const bool cStyle = n.attrInt("fmod", 0) != 0;
            return mapInts(n, ops, t, [&n, cStyle](const auto& v) -> int64_t {
                const int64_t a = v[0], b = v[1];
                if (b == 0) fail(n, "integer modulus by zero while folding constants");
                if (b == -1) return 0;  // also INT64_MIN % -1, which overflows in C++
                int64_t r = a % b;
                // fmod=0: the sign of the divisor (Python's %); fmod=1: of the dividend (C's).
                if (!cStyle && r != 0 && (r < 0) != (b < 0)) r += b;
                return r;
            });
        }
        default: return nullptr;
    }
}

}  // namespace percept::graph
