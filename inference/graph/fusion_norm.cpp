// SPDX-License-Identifier: Apache-2.0
// The decomposed layer normalisation that exporters emit without LayerNormalization (torch
// before opset 17, Keras through tf2onnx), fused back into one LayerNormalization node:
//
//   mu  = ReduceMean(x, trailing axes, keepdims=1)
//   d   = Sub(x, mu)
//   sq  = Pow(d, 2) | Mul(d, d)
//   var = ReduceMean(sq, same axes, keepdims=1)
//   sd  = Sqrt(Add(var, eps))                      (eps a one-value constant, either operand)
// then the torch tail
//   n   = Div(d, sd) | Mul(d, Reciprocal(sd))      (Mul either way round)
//   y   = Add(Mul(n, gamma), beta)                 (both optional, constants, either operand)
// or the Keras one (tf.nn.batch_normalization: x * inv + (beta - mu * inv))
//   inv = Mul(Reciprocal(sd), gamma)               (gamma optional)
//   y   = Add(Mul(x, inv), Sub(beta, Mul(mu, inv)))
//       | Add(Mul(x, inv), Neg(Mul(mu, inv))) | Sub(Mul(x, inv), Mul(mu, inv))   (no beta)
//
// Only exact matches: every intermediate has exactly the readers the pattern gives it and is
// not a graph output, the same x feeds the first ReduceMean and the Sub, and gamma / beta vary
// along the normalised axes only (they are expanded to the normalised shape here, which is
// what the LayerNormalization schema and kernels take). Runs after shape inference, which put
// the ReduceMeans' axes in canonical form, and before the activation fusion, which would
// otherwise fold the Sqrt into the Add.
#include <algorithm>
#include <cmath>

#include "graph/fusion.h"
#include "graph/loop_nest.h"
#include "graph/shape_inference.h"

namespace percept::graph {
namespace {

class Matcher {
public:
    explicit Matcher(Graph& g) : g_(g), readers_(g.values.size()), isOutput_(g.values.size(), 0) {
        for (size_t k = 0; k < g.nodes.size(); ++k)
            for (int v : g.nodes[k].inputs)
                if (v >= 0) readers_[static_cast<size_t>(v)].push_back(static_cast<int>(k));
        for (int o : g.outputs) isOutput_[static_cast<size_t>(o)] = 1;
    }

    // The one node reading `v` (once or, for Mul(d, d), twice), when that is all that reads it
    // and it is not a graph output; -1 otherwise.
    int soleReader(int v) const {
        const auto& r = readers_[static_cast<size_t>(v)];
        if (r.empty() || isOutput_[static_cast<size_t>(v)]) return -1;
        for (int k : r)
            if (k != r[0]) return -1;
        return r[0];
    }
    // Distinct readers of `v`.
    std::vector<int> readersOf(int v) const {
        std::vector<int> r = readers_[static_cast<size_t>(v)];
        std::sort(r.begin(), r.end());
        r.erase(std::unique(r.begin(), r.end()), r.end());
        return r;
    }
    bool isOutput(int v) const { return isOutput_[static_cast<size_t>(v)] != 0; }

    Node& node(int k) { return g_.nodes[static_cast<size_t>(k)]; }
    // Node k is `op` with one output and two inputs, one of which is `v`; the other operand.
    int otherOperand(int k, OpKind op, int v) {
        const Node& n = node(k);
        if (n.op != op || n.inputs.size() != 2 || n.outputs.size() != 1 || n.act.any()) return -2;
        if (n.inputs[0] == v) return n.inputs[1];
        if (n.inputs[1] == v) return n.inputs[0];
        return -2;
    }
    // A constant holding one value: float, or any type with anyType (Pow's exponent may be an
    // integer).
    const TensorData* scalarConst(int v, bool anyType = false) const {
        if (v < 0) return nullptr;
        const Value& val = g_.value(v);
        if (!val.constant || val.constant->count() != 1 || (!anyType && val.constant->dtype != DType::Float32)) return nullptr;
        return val.constant.get();
    }

private:
    Graph& g_;
    std::vector<std::vector<int>> readers_;
    std::vector<char> isOutput_;
};

bool isTrailingMean(const Node& n, int64_t rank, std::vector<int64_t>& axes) {
    if (n.op != OpKind::ReduceMean || n.outputs.size() != 1 || n.attrInt("keepdims", 1) == 0) return false;
    axes = n.attrInts("axes");
    if (axes.empty() || axes.back() != rank - 1) return false;
    for (size_t k = 1; k < axes.size(); ++k)
        if (axes[k] != axes[k - 1] + 1) return false;
    return true;
}

// gamma / beta expanded to the normalised shape `norm` (the trailing axes of x's shape `xs`),
// or null when the constant broadcasts along a kept axis or beyond x's shape.
ConstPtr expandAffine(const Value& v, const Shape& xs, const Shape& norm) {
    if (!v.constant || v.constant->dtype != DType::Float32) return nullptr;
    const Shape& s = v.shape;
    if (s.size() > xs.size()) return nullptr;
    const size_t lead = xs.size() - s.size();
    for (size_t k = 0; k < s.size(); ++k) {
        const size_t axis = lead + k;
        const bool normalised = axis >= xs.size() - norm.size();
        if (s[k] != 1 && (!normalised || s[k] != xs[axis])) return nullptr;
    }
    // Drop the kept axes (all 1 here), then broadcast over the normalised ones.
    const size_t keep = std::min(s.size(), norm.size());
    const Shape tail(s.end() - static_cast<std::ptrdiff_t>(keep), s.end());
    const std::vector<int64_t> st = broadcastStrides(tail, norm.size());
    auto out = std::make_shared<TensorData>();
    out->shape = norm;
    out->f.resize(static_cast<size_t>(elementCount(norm)));
    for (int64_t i = 0; i < elementCount(norm); ++i) out->f[static_cast<size_t>(i)] = v.constant->f[static_cast<size_t>(nestOffset(i, norm, st, norm.size()))];
    return out;
}

// The pattern's pieces found so far.
struct Match {
    int x = -1, mu = -1, d = -1, sd = -1, y = -1;
    int64_t axis = 0;
    float eps = 0.0f;
    ConstPtr gamma, beta;
    std::vector<int> nodes;
};

// After sd: the torch tail, n = Div(d, sd) | Mul(d, Reciprocal(sd)), then y = Add(Mul(n, gamma),
// beta) with each affine step optional. `normalise` is d's reader other than the square.
bool torchTail(Graph& g, Matcher& m, Match& t, int normalise, const Shape& xs, const Shape& norm) {
    const Node& nn = m.node(normalise);
    if (nn.op == OpKind::Div && nn.inputs == std::vector<int>{t.d, t.sd} && !nn.act.any() && m.soleReader(t.sd) == normalise) {
        // n = d / sd
    } else if (nn.op == OpKind::Mul) {
        const int recip = m.soleReader(t.sd);
        if (recip < 0 || m.node(recip).op != OpKind::Reciprocal || m.node(recip).act.any()) return false;
        const int rs = m.node(recip).outputs.at(0);
        if (m.soleReader(rs) != normalise || m.otherOperand(normalise, OpKind::Mul, rs) != t.d) return false;
        t.nodes.push_back(recip);
    } else {
        return false;
    }
    t.nodes.push_back(normalise);
    t.y = nn.outputs.at(0);
    auto affine = [&](OpKind op, ConstPtr& out) {
        const int r = m.soleReader(t.y);
        if (r < 0) return;
        const int c = m.otherOperand(r, op, t.y);
        if (c < 0 || !(out = expandAffine(g.value(c), xs, norm))) return;
        t.nodes.push_back(r);
        t.y = m.node(r).outputs[0];
    };
    affine(OpKind::Mul, t.gamma);
    affine(OpKind::Add, t.beta);
    return true;
}

// After sd: the Keras tail (tf.nn.batch_normalization as tf2onnx writes it), the mean read a
// second time:  inv = Mul(Reciprocal(sd), gamma)  (gamma optional),
//               y = Add(Mul(x, inv), Sub(beta, Mul(mu, inv)))  or, without beta,
//               y = Add(Mul(x, inv), Neg(Mul(mu, inv))) | Sub(Mul(x, inv), Mul(mu, inv)).
bool kerasTail(Graph& g, Matcher& m, Match& t, int meanReader, const Shape& xs, const Shape& norm) {
    const int recip = m.soleReader(t.sd);
    if (recip < 0 || m.node(recip).op != OpKind::Reciprocal || m.node(recip).act.any()) return false;
    t.nodes.push_back(recip);
    int inv = m.node(recip).outputs.at(0);
    if (const int r = m.soleReader(inv); r >= 0) {
        const int c = m.otherOperand(r, OpKind::Mul, inv);
        if (c < 0 || !(t.gamma = expandAffine(g.value(c), xs, norm))) return false;
        t.nodes.push_back(r);
        inv = m.node(r).outputs[0];
    }
    // inv feeds exactly Mul(x, inv) and Mul(mu, inv); the latter is the mean's second reader.
    const std::vector<int> invReaders = m.readersOf(inv);
    if (invReaders.size() != 2 || m.isOutput(inv) || m.otherOperand(meanReader, OpKind::Mul, t.mu) != inv) return false;
    const int scaleX = invReaders[0] == meanReader ? invReaders[1] : invReaders[0];
    if (m.otherOperand(scaleX, OpKind::Mul, inv) != t.x) return false;
    const int xs_ = m.node(scaleX).outputs[0], ms = m.node(meanReader).outputs[0];
    const int last = m.soleReader(ms);
    if (last < 0) return false;
    t.nodes.push_back(scaleX);
    t.nodes.push_back(meanReader);
    const Node& ln = m.node(last);
    if (ln.op == OpKind::Sub && ln.inputs == std::vector<int>{xs_, ms} && !ln.act.any() && m.soleReader(xs_) == last) {
        t.nodes.push_back(last);  // y = x * inv - mu * inv
        t.y = ln.outputs[0];
        return true;
    }
    // bb = Sub(beta, ms) | Neg(ms), then y = Add(xs, bb)
    if (ln.act.any()) return false;
    if (ln.op == OpKind::Sub && ln.inputs.size() == 2 && ln.inputs[1] == ms) {
        if (!(t.beta = expandAffine(g.value(ln.inputs[0]), xs, norm))) return false;
    } else if (ln.op != OpKind::Neg || ln.inputs != std::vector<int>{ms}) {
        return false;
    }
    const int bb = ln.outputs[0];
    const int add = m.soleReader(bb);
    if (add < 0 || m.soleReader(xs_) != add || m.otherOperand(add, OpKind::Add, bb) != xs_) return false;
    t.nodes.push_back(last);
    t.nodes.push_back(add);
    t.y = m.node(add).outputs[0];
    return true;
}

// The head, mean1 .. sd, then whichever tail follows.
bool matchLayerNorm(Graph& g, Matcher& m, int mean1, Match& t) {
    const Node& n1 = m.node(mean1);
    if (n1.inputs.empty() || n1.inputs[0] < 0) return false;
    t.x = n1.inputs[0];
    const Shape xs = g.shapeOf(t.x);
    const int64_t rank = static_cast<int64_t>(xs.size());
    std::vector<int64_t> axes, axes2;
    if (!isTrailingMean(n1, rank, axes)) return false;
    t.axis = axes.front();
    const Shape norm(xs.begin() + t.axis, xs.end());
    t.nodes = {mean1};
    t.mu = n1.outputs[0];
    // d = Sub(x, mu); the mean has no other reader (torch) or one Mul (Keras).
    const std::vector<int> muReaders = m.readersOf(t.mu);
    if (muReaders.empty() || muReaders.size() > 2 || m.isOutput(t.mu)) return false;
    int sub = -1, meanReader = -1;
    for (int r : muReaders) {
        const Node& n = m.node(r);
        if (n.op == OpKind::Sub && n.inputs == std::vector<int>{t.x, t.mu} && !n.act.any() && sub < 0) sub = r;
        else meanReader = r;
    }
    if (sub < 0 || (muReaders.size() == 2) != (meanReader >= 0)) return false;
    t.d = m.node(sub).outputs.at(0);
    t.nodes.push_back(sub);
    // d feeds the square and, in the torch form, the normalising Div / Mul; nothing else.
    const std::vector<int> dReaders = m.readersOf(t.d);
    if (dReaders.size() != (meanReader >= 0 ? 1u : 2u) || m.isOutput(t.d)) return false;
    int square = -1, normalise = -1;
    for (int r : dReaders) {
        const Node& n = m.node(r);
        const TensorData* two = n.op == OpKind::Pow && n.inputs.size() == 2 && n.inputs[0] == t.d ? m.scalarConst(n.inputs[1], true) : nullptr;
        if ((two && two->asFloats()[0] == 2.0f) || (n.op == OpKind::Mul && n.inputs == std::vector<int>{t.d, t.d})) square = r;
        else normalise = r;
    }
    if (square < 0 || m.node(square).act.any()) return false;
    t.nodes.push_back(square);
    // var = ReduceMean(sq) over the same axes
    const int mean2 = m.soleReader(m.node(square).outputs.at(0));
    if (mean2 < 0 || !isTrailingMean(m.node(mean2), rank, axes2) || axes2 != axes) return false;
    t.nodes.push_back(mean2);
    // sd = Sqrt(Add(var, eps))
    const int addEps = m.soleReader(m.node(mean2).outputs[0]);
    if (addEps < 0) return false;
    const TensorData* eps = m.scalarConst(m.otherOperand(addEps, OpKind::Add, m.node(mean2).outputs[0]));
    if (!eps || !(eps->f[0] >= 0.0f)) return false;
    t.eps = eps->f[0];
    t.nodes.push_back(addEps);
    const int sqrtNode = m.soleReader(m.node(addEps).outputs[0]);
    if (sqrtNode < 0 || m.node(sqrtNode).op != OpKind::Sqrt || m.node(sqrtNode).act.any()) return false;
    t.nodes.push_back(sqrtNode);
    t.sd = m.node(sqrtNode).outputs.at(0);
    const bool tail = meanReader >= 0 ? kerasTail(g, m, t, meanReader, xs, norm) : normalise >= 0 && torchTail(g, m, t, normalise, xs, norm);
    return tail && g.shapeOf(t.y) == xs;
}

}  // namespace

void fuseLayerNorm(Graph& g) {
    Matcher m(g);
    std::vector<char> drop(g.nodes.size(), 0);
    std::vector<std::pair<size_t, Node>> fused;  // (position of the pattern's last node, the LayerNormalization)
    for (size_t k0 = 0; k0 < g.nodes.size(); ++k0) {
        if (g.nodes[k0].op != OpKind::ReduceMean || drop[k0]) continue;
        Match t;
        if (!matchLayerNorm(g, m, static_cast<int>(k0), t)) continue;
        bool taken = false;  // a node of an earlier match (patterns cannot share nodes, but be sure)
        for (int k : t.nodes) taken = taken || drop[static_cast<size_t>(k)];
        if (taken) continue;
        const Shape xs = g.shapeOf(t.x);
        const Shape norm(xs.begin() + t.axis, xs.end());
        Node ln;
        ln.op = OpKind::LayerNormalization;
        ln.name = g.nodes[static_cast<size_t>(t.nodes.back())].name + "_layernorm";
        if (!t.gamma) {
            auto ones = std::make_shared<TensorData>();
            ones->shape = norm;
            ones->f.assign(static_cast<size_t>(elementCount(norm)), 1.0f);
            t.gamma = ones;
        }
        ln.inputs = {t.x, g.addConstant(ln.name + "_scale", t.gamma)};
        if (t.beta) ln.inputs.push_back(g.addConstant(ln.name + "_bias", t.beta));
        ln.outputs = {t.y};
        Attribute a;
        a.kind = Attribute::Kind::Int;
        a.i = t.axis;
        ln.attrs["axis"] = a;
        Attribute e;
        e.kind = Attribute::Kind::Float;
        e.f = t.eps;
        ln.attrs["epsilon"] = e;
        for (int k : t.nodes) drop[static_cast<size_t>(k)] = 1;
        fused.emplace_back(static_cast<size_t>(*std::max_element(t.nodes.begin(), t.nodes.end())), std::move(ln));
    }
    if (fused.empty()) return;
    std::vector<Node> kept;
    size_t f = 0;
    std::sort(fused.begin(), fused.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        if (!drop[k]) kept.push_back(std::move(g.nodes[k]));
        for (; f < fused.size() && fused[f].first == k; ++f) kept.push_back(std::move(fused[f].second));
    }
    g.nodes = std::move(kept);
}

}  // namespace percept::graph
