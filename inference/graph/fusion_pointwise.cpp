// SPDX-License-Identifier: Apache-2.0
// The pointwise functions exporters spell out as several ops, put back together as one
// (graph/fusion.h fusePointwisePatterns): torch's SiLU/Swish (x * sigmoid(x)), HardSwish before
// opset 14 (x * HardSigmoid(x)), and GELU before opset 20 (x/2 (1 + erf(x / sqrt 2)), in the
// orders torch and hand-written models multiply it). Each becomes one unary node, which
// fuseActivations then folds into the Conv / Gemm / MatMul / Add producing x.
#include <cmath>
#include <optional>

#include "graph/fusion.h"
#include "graph/fusion_util.h"

namespace percept::graph {
namespace {

constexpr double kSqrtHalf = 0.70710678118654752440;  // 1 / sqrt 2

// The graph's producers and readers, for matching chains of single-reader values.
struct Uses {
    std::vector<int> producer;             // node index per value, -1 for inputs/constants
    std::vector<std::vector<int>> readers;  // node indices per value
    std::vector<char> isOutput;

    explicit Uses(const Graph& g) : producer(g.values.size(), -1), readers(g.values.size()), isOutput(g.values.size(), 0) {
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            for (int v : g.nodes[k].outputs)
                if (v >= 0) producer[static_cast<size_t>(v)] = static_cast<int>(k);
            for (int v : g.nodes[k].inputs)
                if (v >= 0) readers[static_cast<size_t>(v)].push_back(static_cast<int>(k));
        }
        for (int v : g.outputs) isOutput[static_cast<size_t>(v)] = 1;
    }
    // The one node reading v (an intermediate the pattern swallows), or -1.
    int soleReader(int v) const {
        const auto& r = readers[static_cast<size_t>(v)];
        return r.size() == 1 && !isOutput[static_cast<size_t>(v)] ? r[0] : -1;
    }
};

// A float constant holding one value close to `want` (exporters round sqrt 2 and 1/6).
bool isConstant(const Graph& g, int v, double want) {
    const Value& c = g.value(v);
    if (!c.constant || c.constant->dtype != DType::Float32 || c.constant->count() != 1) return false;
    return std::fabs(c.constant->f[0] - want) <= 1e-5 * std::fabs(want);
}

bool isOp(const Graph& g, int node, OpKind op) { return node >= 0 && g.nodes[static_cast<size_t>(node)].op == op; }

// For a two-input node: the input that is not `known` (-1 when neither is).
int otherInput(const Node& n, int known) {
    if (n.inputs.size() != 2) return -1;
    if (n.inputs[0] == known) return n.inputs[1];
    if (n.inputs[1] == known) return n.inputs[0];
    return -1;
}

// For Mul/Div(x, c) with a constant c of one value: x (and c's value), else -1.
int scaledInput(const Graph& g, const Node& n, double& c) {
    if (n.inputs.size() != 2) return -1;
    for (int k = 0; k < 2; ++k) {
        if (n.op == OpKind::Div && k == 0) continue;  // Div(c, x) is no scaling
        const Value& v = g.value(n.inputs[static_cast<size_t>(k)]);
        if (v.constant && v.constant->dtype == DType::Float32 && v.constant->count() == 1) {
            c = n.op == OpKind::Div ? 1.0 / v.constant->f[0] : v.constant->f[0];
            return n.inputs[static_cast<size_t>(1 - k)];
        }
    }
    return -1;
}

// The rewrite: node `at` becomes `op` (or Identity carrying `act`) reading x alone; `drop`
// lists the nodes it replaces.
struct Match {
    int at = -1;
    int x = -1;
    std::vector<int> drop;
};

void rewrite(Graph& g, const Match& m, OpKind op, const FusedActivation& act, std::vector<char>& dropped) {
    Node& n = g.nodes[static_cast<size_t>(m.at)];
    n.op = op;
    n.inputs = {m.x};
    n.attrs.clear();
    n.act = act;
    if (op == OpKind::Gelu) {
        Attribute a;
        a.kind = Attribute::Kind::String;
        a.s = "none";
        n.attrs["approximate"] = a;
    }
    for (int d : m.drop) dropped[static_cast<size_t>(d)] = 1;
}

// y = Mul(x, f(x)) with f a single-reader node of kind `inner` reading x: x * sigmoid(x) and
// x * hardsigmoid(x).
std::optional<Match> matchTimesInput(const Graph& g, const Uses& u, int mul, OpKind inner) {
    const Node& m = g.nodes[static_cast<size_t>(mul)];
    if (m.op != OpKind::Mul || m.inputs.size() != 2) return std::nullopt;
    for (int k = 0; k < 2; ++k) {
        const int s = m.inputs[static_cast<size_t>(k)], x = m.inputs[static_cast<size_t>(1 - k)];
        const int f = u.producer[static_cast<size_t>(s)];
        if (!isOp(g, f, inner) || g.nodes[static_cast<size_t>(f)].inputs.at(0) != x || u.soleReader(s) != mul) continue;
        return Match{mul, x, {f}};
    }
    return std::nullopt;
}

// GELU from the erf node e: Div(x, sqrt 2) or Mul(x, 1/sqrt 2) -> Erf -> Add 1 -> then
//   Mul(x, .) -> Mul(., 0.5)     (torch's nn.GELU),
//   Mul(., 0.5) -> Mul(x, .)     or
//   Mul(Mul(x, 0.5), .)          (x * 0.5 * (1 + erf(...)) written out).
std::optional<Match> matchGelu(const Graph& g, const Uses& u, int e) {
    const Node& erf = g.nodes[static_cast<size_t>(e)];
    if (erf.op != OpKind::Erf || erf.inputs.size() != 1) return std::nullopt;
    const int d = u.producer[static_cast<size_t>(erf.inputs[0])];
    if (d < 0 || u.soleReader(erf.inputs[0]) != e) return std::nullopt;
    const Node& div = g.nodes[static_cast<size_t>(d)];
    double c = 0.0;
    const int x = div.op == OpKind::Div || div.op == OpKind::Mul ? scaledInput(g, div, c) : -1;
    if (x < 0 || std::fabs(c - kSqrtHalf) > 1e-5 * kSqrtHalf) return std::nullopt;
    // + 1
    const int add = u.soleReader(erf.outputs[0]);
    if (!isOp(g, add, OpKind::Add)) return std::nullopt;
    const Node& a = g.nodes[static_cast<size_t>(add)];
    const int one = otherInput(a, erf.outputs[0]);
    if (one < 0 || !isConstant(g, one, 1.0)) return std::nullopt;
    // The two multiplications.
    const int m1 = u.soleReader(a.outputs[0]);
    if (!isOp(g, m1, OpKind::Mul)) return std::nullopt;
    const Node& mul1 = g.nodes[static_cast<size_t>(m1)];
    const int t = otherInput(mul1, a.outputs[0]);
    if (t < 0) return std::nullopt;
    if (t == x || isConstant(g, t, 0.5)) {
        // x * (1 + erf) then * 0.5, or 0.5 * (1 + erf) then * x.
        const int m2 = u.soleReader(mul1.outputs[0]);
        if (!isOp(g, m2, OpKind::Mul)) return std::nullopt;
        const int last = otherInput(g.nodes[static_cast<size_t>(m2)], mul1.outputs[0]);
        if (last < 0 || !(t == x ? isConstant(g, last, 0.5) : last == x)) return std::nullopt;
        return Match{m2, x, {d, e, add, m1}};
    }
    // (x * 0.5) * (1 + erf).
    const int h = u.producer[static_cast<size_t>(t)];
    if (!isOp(g, h, OpKind::Mul) || u.soleReader(t) != m1) return std::nullopt;
    double half = 0.0;
    if (scaledInput(g, g.nodes[static_cast<size_t>(h)], half) != x || std::fabs(half - 0.5) > 1e-6) return std::nullopt;
    return Match{m1, x, {d, e, add, h}};
}

}  // namespace

void fusePointwisePatterns(Graph& g) {
    std::vector<char> dropped(g.nodes.size(), 0);
    // Matches never overlap: each swallows only single-reader intermediates, and a node already
    // rewritten or dropped is not matched again (the Uses are of the graph as it was).
    const Uses u(g);
    auto untouched = [&](const Match& m) {
        if (dropped[static_cast<size_t>(m.at)]) return false;
        for (int d : m.drop)
            if (dropped[static_cast<size_t>(d)]) return false;
        return g.shapeOf(g.nodes[static_cast<size_t>(m.at)].outputs.at(0)) == g.shapeOf(m.x);  // no broadcast by the pattern
    };
    std::vector<char> rewritten(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        if (g.nodes[k].op != OpKind::Erf) continue;
        const auto m = matchGelu(g, u, static_cast<int>(k));
        if (!m || !untouched(*m) || rewritten[static_cast<size_t>(m->at)]) continue;
        rewrite(g, *m, OpKind::Gelu, FusedActivation{}, dropped);
        rewritten[static_cast<size_t>(m->at)] = 1;
    }
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        if (rewritten[k] || dropped[k]) continue;
        if (auto m = matchTimesInput(g, u, static_cast<int>(k), OpKind::Sigmoid); m && untouched(*m)) {
            // SiLU has no ONNX op: an Identity carrying it (activationOf reads it from there).
            FusedActivation silu;
            silu.kind = Activation::Silu;
            rewrite(g, *m, OpKind::Identity, silu, dropped);
            rewritten[k] = 1;
            continue;
        }
        if (auto m = matchTimesInput(g, u, static_cast<int>(k), OpKind::HardSigmoid); m && untouched(*m)) {
            const Node& hs = g.nodes[static_cast<size_t>(m->drop[0])];
            if (std::fabs(hs.attrFloat("alpha", 0.2f) - 1.0 / 6.0) > 1e-6 || std::fabs(hs.attrFloat("beta", 0.5f) - 0.5) > 1e-7) continue;
            rewrite(g, *m, OpKind::HardSwish, FusedActivation{}, dropped);
            rewritten[k] = 1;
        }
    }
    eraseNodes(g, dropped);
}

}  // namespace percept::graph
