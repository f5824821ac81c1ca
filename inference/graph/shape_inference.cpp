#include "graph/shape_inference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <type_traits>

#include "graph/limits.h"
#include "percept/error.h"

namespace percept::graph {
namespace {

[[noreturn]] void fail(const Node& n, const std::string& msg) { throw Error(n.describe() + ": " + msg); }

int64_t normAxis(const Node& n, int64_t axis, int64_t rank) {
    if (axis < -rank || axis >= rank)
        fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
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

const Value& in(const Graph& g, const Node& n, size_t k) {
    if (k >= n.inputs.size() || n.inputs[k] < 0) fail(n, "input " + std::to_string(k) + " is missing");
    return g.value(n.inputs[k]);
}
bool hasInput(const Node& n, size_t k) { return k < n.inputs.size() && n.inputs[k] >= 0; }

const TensorData& constIn(const Graph& g, const Node& n, size_t k, const char* what) {
    const Value& v = in(g, n, k);
    if (!v.constant) fail(n, std::string(what) + " (input '" + v.name + "') must be a constant; computed " + what + " are not supported");
    return *v.constant;
}

// ---- Constant folding of shape arithmetic -------------------------------------------------

ConstPtr makeInts(Shape shape, std::vector<int64_t> vals) {
    auto t = std::make_shared<TensorData>();
    t->dtype = DType::Int64;
    t->shape = std::move(shape);
    t->i = std::move(vals);
    return t;
}
ConstPtr makeFloats(Shape shape, std::vector<float> vals) {
    auto t = std::make_shared<TensorData>();
    t->dtype = DType::Float32;
    t->shape = std::move(shape);
    t->f = std::move(vals);
    return t;
}

// Strides of a row-major shape.
std::vector<int64_t> stridesOf(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (int k = static_cast<int>(s.size()) - 2; k >= 0; --k) st[k] = st[k + 1] * s[k + 1];
    return st;
}

// Applies f elementwise with broadcasting; used for folding only (small tensors).
template <class T, class F>
std::vector<T> broadcastApply(const std::vector<T>& a, const Shape& sa, const std::vector<T>& b, const Shape& sb,
                              const Shape& so, F f) {
    const size_t rank = so.size();
    Shape pa(rank - sa.size(), 1), pb(rank - sb.size(), 1);
    pa.insert(pa.end(), sa.begin(), sa.end());
    pb.insert(pb.end(), sb.begin(), sb.end());
    auto sta = stridesOf(pa), stb = stridesOf(pb), sto = stridesOf(so);
    std::vector<T> out(static_cast<size_t>(elementCount(so)));
    for (size_t idx = 0; idx < out.size(); ++idx) {
        int64_t rem = static_cast<int64_t>(idx), ia = 0, ib = 0;
        for (size_t d = 0; d < rank; ++d) {
            int64_t c = rank ? rem / sto[d] : 0;
            rem -= c * sto[d];
            if (pa[d] != 1) ia += c * sta[d];
            if (pb[d] != 1) ib += c * stb[d];
        }
        out[idx] = f(a[static_cast<size_t>(ia)], b[static_cast<size_t>(ib)]);
    }
    return out;
}

// Folds a node whose inputs are constant (and Shape). Returns false when the op is not one
// the folder knows; the node then stays and must be run by a backend.
bool tryFold(Graph& g, const Node& n) {
    const std::string& op = n.op;
    std::vector<ConstPtr> outs;
    if (op == "Constant") {
        if (n.has("value")) {
            outs.push_back(n.attrs.at("value").t);
            if (!outs.back()) fail(n, "attribute 'value' is not a tensor");
        } else if (n.has("value_float")) outs.push_back(makeFloats({}, {n.attrFloat("value_float", 0)}));
        else if (n.has("value_floats")) { auto v = n.attrFloats("value_floats"); outs.push_back(makeFloats({(int64_t)v.size()}, v)); }
        else if (n.has("value_int")) outs.push_back(makeInts({}, {n.attrInt("value_int", 0)}));
        else if (n.has("value_ints")) { auto v = n.attrInts("value_ints"); outs.push_back(makeInts({(int64_t)v.size()}, v)); }
        else fail(n, "has no value attribute");
    } else if (op == "Shape") {
        const Value& x = in(g, n, 0);
        if (!x.shapeKnown) return false;
        outs.push_back(makeInts({static_cast<int64_t>(x.shape.size())}, x.shape));
    } else {
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (n.inputs[k] >= 0 && !g.value(n.inputs[k]).constant) return false;
        // Input 0 may be an empty name (an omitted optional input); inferNode() then reports it.
        if (n.inputs.empty() || n.inputs[0] < 0) return false;
        const TensorData& a = *g.value(n.inputs[0]).constant;
        if (op == "Identity" || op == "Dropout") {
            outs.push_back(g.value(n.inputs[0]).constant);
        } else if (op == "Cast") {
            const int64_t to = n.attrInt("to", 1);
            if (to == 1 || to == 11) outs.push_back(makeFloats(a.shape, a.asFloats()));
            else outs.push_back(makeInts(a.shape, a.asInts()));
        } else if (op == "Gather") {
            const TensorData& idx = constIn(g, n, 1, "indices");
            const int64_t rank = static_cast<int64_t>(a.shape.size());
            if (rank == 0) fail(n, "cannot gather from a scalar");
            const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
            Shape os(a.shape.begin(), a.shape.begin() + axis);
            os.insert(os.end(), idx.shape.begin(), idx.shape.end());
            os.insert(os.end(), a.shape.begin() + axis + 1, a.shape.end());
            checkShape(n, os);
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
                        if (a.dtype == DType::Int64) t->i.push_back(a.i[src]); else t->f.push_back(a.f[src]);
                    }
                }
            outs.push_back(t);
        } else if (op == "Unsqueeze" || op == "Squeeze") {
            std::vector<int64_t> axes = hasInput(n, 1) ? constIn(g, n, 1, "axes").asInts() : n.attrInts("axes");
            Shape s = a.shape;
            if (op == "Unsqueeze") {
                const int64_t rank = static_cast<int64_t>(s.size() + axes.size());
                for (auto& ax : axes) ax = normAxis(n, ax, rank);
                std::sort(axes.begin(), axes.end());
                if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) fail(n, "repeated axes");
                for (int64_t ax : axes) s.insert(s.begin() + ax, 1);  // sorted and distinct: ax <= s.size()
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
            checkShape(n, s);
            auto t = std::make_shared<TensorData>(a);
            t->shape = s;
            outs.push_back(t);
        } else if (op == "Concat") {
            const int64_t rank = static_cast<int64_t>(a.shape.size());
            const int64_t axis = normAxis(n, n.attrInt("axis", 0), rank);
            if (rank != 1 || axis != 0) return false;  // only 1-D shape vectors are folded
            auto t = std::make_shared<TensorData>();
            t->dtype = a.dtype;
            for (int id : n.inputs) {
                const TensorData& p = *g.value(id).constant;
                if (p.shape.size() != 1) fail(n, "inputs of different rank");
                if (t->dtype == DType::Int64) { auto v = p.asInts(); t->i.insert(t->i.end(), v.begin(), v.end()); }
                else { auto v = p.asFloats(); t->f.insert(t->f.end(), v.begin(), v.end()); }
            }
            t->shape = {static_cast<int64_t>(t->dtype == DType::Int64 ? t->i.size() : t->f.size())};
            outs.push_back(t);
        } else if (op == "Slice") {
            if (a.shape.size() != 1) return false;
            std::vector<int64_t> starts, ends, axes, steps;
            if (g.opset < 10) { starts = n.attrInts("starts"); ends = n.attrInts("ends"); axes = n.attrInts("axes"); }
            else {
                starts = constIn(g, n, 1, "starts").asInts();
                ends = constIn(g, n, 2, "ends").asInts();
                if (hasInput(n, 3)) axes = constIn(g, n, 3, "axes").asInts();
                if (hasInput(n, 4)) steps = constIn(g, n, 4, "steps").asInts();
            }
            if (starts.size() != 1 || ends.size() != 1) fail(n, "only 1-D slices of constants are supported");
            const int64_t step = steps.empty() ? 1 : steps[0];
            if (step != 1) return false;
            const int64_t dim = a.shape[0];
            auto clampIdx = [&](int64_t v) { if (v < 0) v += dim; return std::clamp<int64_t>(v, 0, dim); };
            const int64_t b = clampIdx(starts[0]), e = clampIdx(ends[0]);
            auto t = std::make_shared<TensorData>();
            t->dtype = a.dtype;
            for (int64_t k = b; k < e; ++k) {
                if (a.dtype == DType::Int64) t->i.push_back(a.i[k]); else t->f.push_back(a.f[k]);
            }
            t->shape = {std::max<int64_t>(0, e - b)};
            outs.push_back(t);
        } else if (op == "ConstantOfShape") {
            auto dims = a.asInts();
            Shape s(dims.begin(), dims.end());
            checkShape(n, s);
            ConstPtr v = n.has("value") ? n.attrs.at("value").t : nullptr;
            const int64_t cnt = elementCount(s);
            if (v && v->dtype == DType::Int64) outs.push_back(makeInts(s, std::vector<int64_t>(cnt, v->i.empty() ? 0 : v->i[0])));
            else outs.push_back(makeFloats(s, std::vector<float>(cnt, v && !v->f.empty() ? v->f[0] : 0.0f)));
        } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
            const TensorData& b = constIn(g, n, 1, "operand");
            Shape so = broadcastShapes(a.shape, b.shape, n.describe());
            if (elementCount(so) > 4096 && a.dtype == DType::Int64) return false;
            auto fop = [&](auto x, auto y) -> decltype(x) {
                using T = decltype(x);
                if (op == "Div" && y == 0) fail(n, "division by zero while folding constants");
                if constexpr (std::is_integral_v<T>) {
                    // Hostile files can ask for any int64 arithmetic: overflow is an error, not UB.
                    T r{};
                    const bool overflow = op == "Add" ? __builtin_add_overflow(x, y, &r)
                                        : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                                        : op == "Mul" ? __builtin_mul_overflow(x, y, &r)
                                        : (x == std::numeric_limits<T>::min() && y == -1) || ((r = x / y), false);
                    if (overflow) fail(n, "integer overflow while folding constants");
                    return r;
                } else {
                    if (op == "Add") return x + y;
                    if (op == "Sub") return x - y;
                    if (op == "Mul") return x * y;
                    return x / y;
                }
            };
            if (a.dtype == DType::Int64 && b.dtype == DType::Int64)
                outs.push_back(makeInts(so, broadcastApply(a.i, a.shape, b.i, b.shape, so, fop)));
            else
                outs.push_back(makeFloats(so, broadcastApply(a.asFloats(), a.shape, b.asFloats(), b.shape, so, fop)));
        } else if (op == "Reshape" || op == "Flatten") {
            return false;  // shape computed by inference below; folded as a plain constant copy
        } else {
            return false;
        }
    }
    for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
        Value& v = g.value(n.outputs[k]);
        v.constant = outs[k];
        v.shape = outs[k]->shape;
        v.shapeKnown = true;
    }
    return true;
}

// ---- Shape inference for ops that run ------------------------------------------------------

struct Window {
    std::vector<int64_t> kernel, strides, pads, dilations;  // pads: begin..., end...
};

// Resolves auto_pad / pads / strides / dilations for a 2-D window op on input [N,C,H,W] and
// rewrites them as explicit attributes so backends see one form.
Window resolveWindow(Node& n, const Shape& x, std::vector<int64_t> kernel, bool ceilMode, Shape& out) {
    Window w;
    w.kernel = std::move(kernel);
    const size_t sp = w.kernel.size();
    if (sp != 2 || x.size() != 4) fail(n, "only 2-D spatial windows on 4-D NCHW tensors are supported (input " + shapeToString(x) + ")");
    w.strides = n.attrInts("strides", std::vector<int64_t>(sp, 1));
    w.dilations = n.attrInts("dilations", std::vector<int64_t>(sp, 1));
    w.pads = n.attrInts("pads", std::vector<int64_t>(2 * sp, 0));
    if (w.strides.size() != sp || w.dilations.size() != sp || w.pads.size() != 2 * sp)
        fail(n, "strides/dilations/pads do not match the kernel's rank");
    for (size_t k = 0; k < sp; ++k) {
        if (w.kernel[k] <= 0 || w.strides[k] <= 0 || w.dilations[k] <= 0) fail(n, "kernel, strides and dilations must be positive");
        if (w.pads[k] < 0 || w.pads[k + sp] < 0) fail(n, "negative pads are not supported");
        // Each at most the tensor size limit (2^28), so the arithmetic below stays far from int64 overflow.
        for (int64_t v : {w.kernel[k], w.strides[k], w.dilations[k], w.pads[k], w.pads[k + sp]})
            if (v > kMaxTensorElements) fail(n, "a kernel/stride/dilation/pad value of " + std::to_string(v) + " exceeds the engine's limits");
    }
    const std::string autoPad = n.attrString("auto_pad", "NOTSET");
    out = {x[0], x[1], 0, 0};
    for (size_t k = 0; k < sp; ++k) {
        const int64_t inDim = x[2 + k], ext = (w.kernel[k] - 1) * w.dilations[k] + 1;
        if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            const int64_t o = (inDim + w.strides[k] - 1) / w.strides[k];
            const int64_t total = std::max<int64_t>(0, (o - 1) * w.strides[k] + ext - inDim);
            const int64_t small = total / 2, big = total - small;
            w.pads[k] = autoPad == "SAME_UPPER" ? small : big;
            w.pads[k + sp] = autoPad == "SAME_UPPER" ? big : small;
        } else if (autoPad == "VALID") {
            w.pads[k] = w.pads[k + sp] = 0;
        } else if (autoPad != "NOTSET") {
            fail(n, "auto_pad '" + autoPad + "' is not valid");
        }
        const int64_t span = inDim + w.pads[k] + w.pads[k + sp] - ext;
        if (span < 0) fail(n, "the window is larger than the padded input " + shapeToString(x));
        int64_t o = ceilMode ? (span + w.strides[k] - 1) / w.strides[k] + 1 : span / w.strides[k] + 1;
        // ceil_mode: the last window must start inside the input or left padding.
        if (ceilMode && (o - 1) * w.strides[k] >= inDim + w.pads[k]) --o;
        out[2 + k] = o;
    }
    Attribute a;
    a.kind = Attribute::Kind::Ints;
    a.ints = w.pads; n.attrs["pads"] = a;
    a.ints = w.strides; n.attrs["strides"] = a;
    a.ints = w.dilations; n.attrs["dilations"] = a;
    a.ints = w.kernel; n.attrs["kernel_shape"] = a;
    n.attrs.erase("auto_pad");
    return w;
}

void setOut(Graph& g, const Node& n, size_t k, Shape s) {
    checkShape(n, s);
    Value& v = g.value(n.outputs.at(k));
    v.shape = std::move(s);
    v.shapeKnown = true;
}

void inferNode(Graph& g, Node& n) {
    for (size_t k = 0; k < n.inputs.size(); ++k)
        if (n.inputs[k] >= 0 && !g.value(n.inputs[k]).shapeKnown)
            fail(n, "the shape of input '" + g.value(n.inputs[k]).name + "' is unknown (the model's input needs a fixed shape)");
    const std::string& op = n.op;
    // Backends read every constant input of a run-time node as float data, except the integer
    // parameters consumed here (Reshape's shape, Pad's pads). An integer initializer anywhere
    // else is a type error in the file (found by fuzzing: Mul with an int8 operand).
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const bool integerParam = (op == "Reshape" || op == "Pad") && k == 1;
        if (n.inputs[k] < 0 || integerParam) continue;
        const Value& v = g.value(n.inputs[k]);
        if (v.constant && v.constant->dtype != DType::Float32)
            fail(n, "input '" + v.name + "' is an integer tensor, but this op needs float data");
    }
    const Shape& x = in(g, n, 0).shape;
    if (op == "Relu" || op == "Clip" || op == "LeakyRelu" || op == "Sigmoid" || op == "Identity" || op == "Dropout" ||
        op == "Softmax" || op == "LRN" || op == "BatchNormalization") {
        if (op == "BatchNormalization" || op == "LRN") {
            if (x.size() < 2) fail(n, "needs an input of rank >= 2, got " + shapeToString(x));
            if (op == "BatchNormalization") {
                for (size_t k = 1; k <= 4; ++k) {
                    const Value& p = in(g, n, k);
                    if (!p.constant) fail(n, "scale/bias/mean/var must be constants");
                    if (p.constant->count() != x[1]) fail(n, "parameter '" + p.name + "' does not have C = " + std::to_string(x[1]) + " values");
                }
            }
            if (op == "LRN" && n.attrInt("size", 0) <= 0) fail(n, "attribute 'size' must be positive");
        }
        if (op == "Softmax") normAxis(n, n.attrInt("axis", g.opset >= 13 ? -1 : 1), static_cast<int64_t>(x.size()));
        if (op == "Clip" && g.opset >= 11) {
            for (size_t k = 1; k <= 2; ++k)
                if (hasInput(n, k) && (!in(g, n, k).constant || in(g, n, k).constant->count() != 1))
                    fail(n, "min/max must be constants with one value");
        }
        setOut(g, n, 0, x);
        for (size_t k = 1; k < n.outputs.size(); ++k) setOut(g, n, k, x);  // Dropout mask / BN training outputs
    } else if (op == "Conv") {
        const Value& w = in(g, n, 1);
        if (!w.constant) fail(n, "weights must be a constant initializer");
        const Shape& ws = w.shape;
        if (ws.size() != 4 || x.size() != 4) fail(n, "only 2-D convolutions (4-D input and weights) are supported; input " + shapeToString(x) + ", weights " + shapeToString(ws));
        const int64_t group = n.attrInt("group", 1);
        if (group <= 0 || x[1] % group != 0 || ws[0] % group != 0 || ws[1] * group != x[1])
            fail(n, "group " + std::to_string(group) + " does not match input channels " + std::to_string(x[1]) + " and weights " + shapeToString(ws));
        if (hasInput(n, 2)) {
            const Value& b = in(g, n, 2);
            if (!b.constant || b.constant->count() != ws[0]) fail(n, "bias must be a constant with " + std::to_string(ws[0]) + " values");
        }
        auto ks = n.attrInts("kernel_shape", {ws[2], ws[3]});
        if (ks.size() != 2 || ks[0] != ws[2] || ks[1] != ws[3]) fail(n, "kernel_shape does not match the weights");
        Shape out;
        resolveWindow(n, x, ks, false, out);
        out[1] = ws[0];
        setOut(g, n, 0, out);
    } else if (op == "MaxPool" || op == "AveragePool") {
        if (n.outputs.size() > 1 && n.outputs[1] >= 0 && op == "MaxPool") fail(n, "the Indices output is not supported");
        auto ks = n.attrInts("kernel_shape");
        if (ks.empty()) fail(n, "attribute 'kernel_shape' is missing");
        if (op == "AveragePool" && n.has("dilations")) {
            for (auto d : n.attrInts("dilations")) if (d != 1) fail(n, "dilated average pooling is not supported");
        }
        if (n.attrInt("storage_order", 0) != 0) fail(n, "storage_order 1 is not supported");
        Shape out;
        resolveWindow(n, x, ks, n.attrInt("ceil_mode", 0) != 0, out);
        setOut(g, n, 0, out);
    } else if (op == "GlobalAveragePool") {
        if (x.size() < 3) fail(n, "needs an NC... input, got " + shapeToString(x));
        Shape out = x;
        for (size_t k = 2; k < out.size(); ++k) out[k] = 1;
        setOut(g, n, 0, out);
    } else if (op == "Gemm") {
        const Shape& b = in(g, n, 1).shape;
        if (x.size() != 2 || b.size() != 2) fail(n, "A and B must be 2-D, got " + shapeToString(x) + " and " + shapeToString(b));
        const bool ta = n.attrInt("transA", 0), tb = n.attrInt("transB", 0);
        const int64_t m = ta ? x[1] : x[0], k = ta ? x[0] : x[1];
        const int64_t kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
        if (k != kb) fail(n, "inner dimensions differ: " + shapeToString(x) + " x " + shapeToString(b));
        if (hasInput(n, 2)) broadcastShapes(in(g, n, 2).shape, {m, nn}, n.describe());
        setOut(g, n, 0, {m, nn});
    } else if (op == "MatMul") {
        Shape a = x, b = in(g, n, 1).shape;
        if (a.empty() || b.empty()) fail(n, "scalar operands are not allowed");
        const bool a1 = a.size() == 1, b1 = b.size() == 1;
        if (a1) a.insert(a.begin(), 1);
        if (b1) b.push_back(1);
        if (a.back() != b[b.size() - 2]) fail(n, "inner dimensions differ: " + shapeToString(x) + " x " + shapeToString(in(g, n, 1).shape));
        Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
        Shape out = broadcastShapes(ba, bb, n.describe());
        if (!a1) out.push_back(a[a.size() - 2]);
        if (!b1) out.push_back(b.back());
        setOut(g, n, 0, out);
    } else if (op == "Add" || op == "Mul" || op == "Sub" || op == "Div") {
        setOut(g, n, 0, broadcastShapes(x, in(g, n, 1).shape, n.describe()));
    } else if (op == "Concat") {
        if (!n.has("axis")) fail(n, "attribute 'axis' is missing");
        const int64_t axis = normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(x.size()));
        Shape out = x;
        out[axis] = 0;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const Shape& s = in(g, n, k).shape;
            if (s.size() != x.size()) fail(n, "inputs have different ranks");
            for (size_t d = 0; d < s.size(); ++d)
                if (static_cast<int64_t>(d) != axis && s[d] != x[d]) fail(n, "inputs differ outside the concat axis: " + shapeToString(s) + " vs " + shapeToString(x));
            out[axis] += s[axis];
        }
        setOut(g, n, 0, out);
    } else if (op == "Flatten") {
        const int64_t rank = static_cast<int64_t>(x.size());
        int64_t axis = n.attrInt("axis", 1);
        if (axis < -rank || axis > rank) fail(n, "axis out of range");
        if (axis < 0) axis += rank;
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= x[d];
        setOut(g, n, 0, {outer, elementCount(x) / std::max<int64_t>(outer, 1)});
    } else if (op == "Reshape") {
        std::vector<int64_t> spec = g.opset >= 5 ? constIn(g, n, 1, "the target shape").asInts() : n.attrInts("shape");
        const bool allowZero = n.attrInt("allowzero", 0) != 0;
        Shape out;
        int64_t known = 1, inferAt = -1;
        for (size_t k = 0; k < spec.size(); ++k) {
            int64_t d = spec[k];
            if (d == 0 && !allowZero) {
                if (k >= x.size()) fail(n, "a 0 in the target shape refers past the input's rank");
                d = x[k];
            }
            if (d == -1) {
                if (inferAt >= 0) fail(n, "more than one -1 in the target shape");
                inferAt = static_cast<int64_t>(k);
                out.push_back(1);
                continue;
            }
            if (d < 0) fail(n, "invalid target dimension " + std::to_string(d));
            if (d > 0 && known > kMaxTensorElements / d) fail(n, "target shape " + shapeToString(spec) + " exceeds the engine's tensor size limit");
            out.push_back(d);
            known *= d;
        }
        const int64_t total = elementCount(x);
        if (inferAt >= 0) {
            if (known == 0 || total % known) fail(n, "cannot reshape " + shapeToString(x) + " to " + shapeToString(spec));
            out[inferAt] = total / known;
        }
        if (elementCount(out) != total) fail(n, "cannot reshape " + shapeToString(x) + " (" + std::to_string(total) + " elements) to " + shapeToString(out));
        setOut(g, n, 0, out);
    } else if (op == "Transpose") {
        const int64_t rank = static_cast<int64_t>(x.size());
        std::vector<int64_t> perm = n.attrInts("perm");
        if (perm.empty())
            for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
        if (static_cast<int64_t>(perm.size()) != rank) fail(n, "perm has the wrong length");
        std::vector<char> seen(static_cast<size_t>(rank), 0);
        Shape out;
        for (int64_t p : perm) {
            if (p < 0 || p >= rank || seen[p]) fail(n, "perm is not a permutation");
            seen[p] = 1;
            out.push_back(x[p]);
        }
        setOut(g, n, 0, out);
    } else if (op == "Pad") {
        std::vector<int64_t> pads = g.opset >= 11 ? constIn(g, n, 1, "pads").asInts() : n.attrInts("pads");
        if (pads.size() != 2 * x.size()) fail(n, "pads must have 2 x rank entries");
        const std::string mode = n.attrString("mode", "constant");
        if (mode != "constant" && mode != "reflect" && mode != "edge") fail(n, "pad mode '" + mode + "' is not supported");
        if (g.opset >= 11 && hasInput(n, 2) && !in(g, n, 2).constant) fail(n, "constant_value must be a constant");
        Shape out = x;
        for (size_t d = 0; d < x.size(); ++d) {
            if (pads[d] < 0 || pads[d + x.size()] < 0) fail(n, "negative pads (cropping) are not supported");
            if (pads[d] > kMaxTensorElements || pads[d + x.size()] > kMaxTensorElements) fail(n, "pads exceed the engine's tensor size limit");
            if (mode == "reflect" && (pads[d] >= x[d] || pads[d + x.size()] >= x[d])) fail(n, "reflect pads must be smaller than the dimension");
            out[d] += pads[d] + pads[d + x.size()];
        }
        Attribute a;
        a.kind = Attribute::Kind::Ints;
        a.ints = pads;
        n.attrs["pads"] = a;
        setOut(g, n, 0, out);
    } else if (isFoldOnlyOp(op)) {
        fail(n, "is only supported on constant inputs (shape arithmetic), but its input is computed at run time");
    } else {
        fail(n, "op '" + op + "' is not supported by the engine");
    }
}

}  // namespace

bool isFoldOnlyOp(const std::string& op) {
    static const std::set<std::string> ops = {"Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Slice", "ConstantOfShape"};
    return ops.count(op) != 0;
}

Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& who) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t k = 0; k < rank; ++k) {
        const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
        const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            throw Error(who + ": shapes " + shapeToString(a) + " and " + shapeToString(b) + " cannot be broadcast");
        out[k] = da == 1 ? db : da;
    }
    return out;
}

void inferShapesAndFold(Graph& g) {
    for (int id : g.inputs) {
        Value& v = g.value(id);
        if (!v.shapeKnown || v.shape.empty())
            throw Error("input '" + v.name + "' has no fixed shape; the engine needs one (e.g. [1,3,224,224])");
    }
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (Node& n : g.nodes) {
        if (tryFold(g, n)) continue;  // the node's outputs are constants now
        inferNode(g, n);
        kept.push_back(std::move(n));
    }
    g.nodes = std::move(kept);
}

}  // namespace percept::graph
