// The decomposed layer normalisation that exporters emit without LayerNormalization (torch
// before opset 17, Keras through tf2onnx), fused back into one LayerNormalization node:
//
//   mu  = ReduceMean(x, trailing axes, keepdims=1)
//   d   = Sub(x, mu)
//   sq  = Pow(d, 2) | Mul(d, d)
//   var = ReduceMean(sq, same axes, keepdims=1)
//   sd  = Sqrt(Add(var, eps))                      (eps a one-value constant, either operand)
//   n   = Div(d, sd) | Mul(d, Reciprocal(sd))      (Mul either way round)
//   y   = Add(Mul(n, gamma), beta)                 (both optional, constants, either operand)
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
    // A float constant holding one value.
    const TensorData* scalarConst(int v) const {
        if (v < 0) return nullptr;
        const Value& val = g_.value(v);
        return val.constant && val.constant->dtype == DType::Float32 && val.constant->count() == 1 ? val.constant.get() : nullptr;
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

}  // namespace

void fuseLayerNorm(Graph& g) {
    Matcher m(g);
    std::vector<char> drop(g.nodes.size(), 0);
    std::vector<std::pair<size_t, Node>> fused;  // (position of the pattern's last node, the LayerNormalization)
    for (size_t k0 = 0; k0 < g.nodes.size(); ++k0) {
        const Node& mean1 = g.nodes[k0];
        if (mean1.op != OpKind::ReduceMean || drop[k0] || mean1.inputs.empty() || mean1.inputs[0] < 0) continue;
        const int x = mean1.inputs[0];
        const Shape xs = g.shapeOf(x);
        const int64_t rank = static_cast<int64_t>(xs.size());
        std::vector<int64_t> axes, axes2;
        if (!isTrailingMean(mean1, rank, axes)) continue;
        std::vector<int> nodes = {static_cast<int>(k0)};
        // d = Sub(x, mu)
        const int sub = m.soleReader(mean1.outputs[0]);
        if (sub < 0 || m.node(sub).op != OpKind::Sub || m.node(sub).inputs != std::vector<int>{x, mean1.outputs[0]} || m.node(sub).act.any()) continue;
        const int d = m.node(sub).outputs.at(0);
        nodes.push_back(sub);
        // d feeds the square and the normalising Div / Mul, nothing else.
        const std::vector<int> dReaders = m.readersOf(d);
        if (dReaders.size() != 2 || m.isOutput(d)) continue;
        int square = -1, normalise = -1;
        for (int r : dReaders) {
            const Node& n = m.node(r);
            const TensorData* two = n.op == OpKind::Pow && n.inputs.size() == 2 && n.inputs[0] == d ? m.scalarConst(n.inputs[1]) : nullptr;
            if ((two && two->f[0] == 2.0f) || (n.op == OpKind::Mul && n.inputs == std::vector<int>{d, d})) square = r;
            else normalise = r;
        }
        if (square < 0 || normalise < 0 || m.node(square).act.any()) continue;
        nodes.push_back(square);
        // var = ReduceMean(sq) over the same axes
        const int mean2 = m.soleReader(m.node(square).outputs.at(0));
        if (mean2 < 0 || !isTrailingMean(m.node(mean2), rank, axes2) || axes2 != axes) continue;
        nodes.push_back(mean2);
        // sd = Sqrt(Add(var, eps))
        const int addEps = m.soleReader(m.node(mean2).outputs[0]);
        if (addEps < 0) continue;
        const TensorData* eps = m.scalarConst(m.otherOperand(addEps, OpKind::Add, m.node(mean2).outputs[0]));
        if (!eps || !(eps->f[0] >= 0.0f)) continue;
        nodes.push_back(addEps);
        const int sqrtNode = m.soleReader(m.node(addEps).outputs[0]);
        if (sqrtNode < 0 || m.node(sqrtNode).op != OpKind::Sqrt || m.node(sqrtNode).act.any()) continue;
        nodes.push_back(sqrtNode);
        const int sd = m.node(sqrtNode).outputs.at(0);
        // n = Div(d, sd) | Mul(d, Reciprocal(sd))
        int normalised = -1;
        const Node& nn = m.node(normalise);
        if (nn.op == OpKind::Div && nn.inputs == std::vector<int>{d, sd} && !nn.act.any() && m.soleReader(sd) == normalise) {
            normalised = nn.outputs.at(0);
        } else if (nn.op == OpKind::Mul) {
            const int recip = m.soleReader(sd);
            if (recip < 0 || m.node(recip).op != OpKind::Reciprocal || m.node(recip).act.any()) continue;
            const int rs = m.node(recip).outputs.at(0);
            if (m.soleReader(rs) != normalise || m.otherOperand(normalise, OpKind::Mul, rs) != d) continue;
            nodes.push_back(recip);
            normalised = nn.outputs.at(0);
        } else {
            continue;
        }
        nodes.push_back(normalise);
        // y = Add(Mul(n, gamma), beta), each optional
        const int64_t axis = axes.front();
        const Shape norm(xs.begin() + axis, xs.end());
        int y = normalised;
        ConstPtr gamma, beta;
        auto affine = [&](OpKind op, ConstPtr& out) {
            const int r = m.soleReader(y);
            if (r < 0) return;
            const int c = m.otherOperand(r, op, y);
            if (c < 0 || !(out = expandAffine(g.value(c), xs, norm))) return;
            nodes.push_back(r);
            y = m.node(r).outputs[0];
        };
        affine(OpKind::Mul, gamma);
        affine(OpKind::Add, beta);
        if (g.shapeOf(y) != xs) continue;
        // Every intermediate read only inside the pattern (soleReader checked each link; the
        // last value may be read by anything).
        Node ln;
        ln.op = OpKind::LayerNormalization;
        ln.name = g.nodes[static_cast<size_t>(nodes.back())].name + "_layernorm";
        if (!gamma) {
            auto ones = std::make_shared<TensorData>();
            ones->shape = norm;
            ones->f.assign(static_cast<size_t>(elementCount(norm)), 1.0f);
            gamma = ones;
        }
        ln.inputs = {x, g.addConstant(ln.name + "_scale", gamma)};
        if (beta) ln.inputs.push_back(g.addConstant(ln.name + "_bias", beta));
        ln.outputs = {y};
        Attribute a;
        a.kind = Attribute::Kind::Int;
        a.i = axis;
        ln.attrs["axis"] = a;
        Attribute e;
        e.kind = Attribute::Kind::Float;
        e.f = eps->f[0];
        ln.attrs["epsilon"] = e;
        for (int k : nodes) drop[static_cast<size_t>(k)] = 1;
        fused.emplace_back(static_cast<size_t>(*std::max_element(nodes.begin(), nodes.end())), std::move(ln));
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
