// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the QDQ fusion. In a QDQ model every quantised op is written as
//     q_x -> DequantizeLinear -> x ─┐
//           (weights: an int8 constant through DequantizeLinear, folded at load)
//                                 op -> y [-> activation, fused by fuseActivations] -> QuantizeLinear -> q_y
// and this pass rewires `op` to read q_x and write q_y itself, taking the weights back as
// int8. The Q node goes; DequantizeLinear nodes nobody reads any more are dropped by
// removeDeadNodes. What may fuse is exactly INT8.md's table: every backend's int8 kernels
// implement that list and nothing else, so whatever does not fit here stays Q -> float op -> DQ
// and runs as the file defines it.
#include <optional>

#include "graph/fusion.h"
#include "graph/fusion_util.h"
#include "graph/quant.h"
#include "graph/schemas.h"

namespace percept::graph {
namespace {

struct Links {
    std::vector<int> producer;               // per value: its node, or -1
    std::vector<std::vector<int>> readers;   // per value: the nodes reading it
    std::vector<char> graphOutput;
};

Links linksOf(const Graph& g) {
    Links l;
    l.producer.assign(g.values.size(), -1);
    l.readers.resize(g.values.size());
    l.graphOutput.assign(g.values.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        for (int v : g.nodes[k].outputs)
            if (v >= 0) l.producer[static_cast<size_t>(v)] = static_cast<int>(k);
        for (int v : g.nodes[k].inputs)
            if (v >= 0) l.readers[static_cast<size_t>(v)].push_back(static_cast<int>(k));
    }
    for (int v : g.outputs) l.graphOutput[static_cast<size_t>(v)] = 1;
    return l;
}

// Input k of `n` as the 8-bit value a DequantizeLinear reads: a run-time value whose own
// parameters (one scale, one zero point) are exactly the DQ's. -1 otherwise.
int dequantizedInput(const Graph& g, const Links& l, const Node& n, size_t k) {
    if (k >= n.inputs.size() || n.inputs[k] < 0) return -1;
    const int p = l.producer[static_cast<size_t>(n.inputs[k])];
    if (p < 0) return -1;
    const Node& dq = g.nodes[static_cast<size_t>(p)];
    if (dq.op != OpKind::DequantizeLinear) return -1;
    const Value& q = g.value(dq.inputs.at(0));
    if (q.isConstant() || !isByteType(q.dtype) || !q.quant.perTensor() || q.quant != quantParamsOf(dq)) return -1;
    return dq.inputs[0];
}

// The QuantizeLinear that is the only reader of n's single output, when it quantises per
// tensor: its index, else -1.
int quantizingReader(const Graph& g, const Links& l, const Node& n) {
    if (n.outputs.size() != 1 || n.outputs[0] < 0) return -1;
    const size_t y = static_cast<size_t>(n.outputs[0]);
    if (l.graphOutput[y] || l.readers[y].size() != 1) return -1;
    const Node& q = g.nodes[static_cast<size_t>(l.readers[y][0])];
    if (q.op != OpKind::QuantizeLinear || !g.value(q.outputs.at(0)).quant.perTensor()) return -1;
    return l.readers[y][0];
}

// A Float32 constant weight folded from an 8-bit constant with one scale (and zero point) or
// one per index along `axis`: the integers as an Int8 constant carrying those parameters. uint8
// weights (ONNX Runtime's U8U8 form) become int8 with both the codes and the zero points
// shifted by 128, which leaves every real value as it was.
int int8Weights(Graph& g, int w, int64_t axis) {
    const Value& v = g.value(w);
    if (!v.constant || !v.constant->dequantizedFrom) return -1;
    const TensorData::Dequantized& from = *v.constant->dequantizedFrom;
    if (!isByteType(from.q->dtype)) return -1;
    if (from.quant.scale.size() > 1 && from.quant.axis != axis) return -1;
    QuantParams p = from.quant;
    if (p.scale.size() == 1) p.axis = 0;
    ConstPtr q = from.q;
    if (q->dtype == DType::UInt8) {
        auto s = std::make_shared<TensorData>(*q);
        s->dtype = DType::Int8;
        for (uint8_t& b : s->bytes) b ^= 0x80;
        for (int32_t& z : p.zeroPoint) z -= 128;
        q = s;
    }
    const int id = g.addConstant(v.name + "/int8", std::move(q));
    g.value(id).quant = std::move(p);
    return id;
}

struct Rewrite {
    std::vector<char> drop;  // per node
};

// Makes `n` write the QuantizeLinear's output (dropping the Q), when it has one.
void takeOutput(Graph& g, Node& n, int q, Rewrite& r) {
    if (q < 0) return;
    n.outputs[0] = g.nodes[static_cast<size_t>(q)].outputs[0];
    r.drop[static_cast<size_t>(q)] = 1;
}

// Conv (2-D), Gemm, MatMul: x through DQ, int8 weights, a float bias; output 8-bit or float.
void fuseWeighted(Graph& g, const Links& l, size_t k, Rewrite& r) {
    Node& n = g.nodes[k];
    const int x = dequantizedInput(g, l, n, 0);
    if (x < 0 || n.inputs.size() < 2) return;
    const Shape xs = g.shapeOf(x);
    int64_t wAxis = 0;
    if (n.op == OpKind::Conv) {
        if (xs.size() != 4 || xs[0] != 1) return;  // one 2-D image
    } else if (n.op == OpKind::Gemm) {
        if (n.attrInt("transA", 0) != 0 || n.attrFloat("alpha", 1.0f) != 1.0f || n.attrFloat("beta", 1.0f) != 1.0f || xs.size() != 2) return;
        wAxis = n.attrInt("transB", 0) ? 0 : 1;
    } else {  // MatMul
        // A scale folded in (graph::foldScalarsIntoMatMul): the int8 kernels have no alpha.
        if (n.attrFloat(kMatMulAlpha, 1.0f) != 1.0f) return;
        if (xs.size() < 2 || g.shapeOf(n.inputs[1]).size() != 2) return;
        wAxis = 1;
    }
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        if (!isPlainFloatConstant(g, n.inputs[2])) return;
        if (n.op == OpKind::Gemm) {
            const Shape ys = g.shapeOf(n.outputs.at(0));
            if (g.value(n.inputs[2]).constant->count() != ys[1] || g.shapeOf(n.inputs[2]).back() != ys[1]) return;  // one bias per column
        }
    }
    const int w = int8Weights(g, n.inputs[1], wAxis);
    if (w < 0) return;
    n.inputs[0] = x;
    n.inputs[1] = w;
    takeOutput(g, n, quantizingReader(g, l, n), r);
}

// Add of two same-shaped 8-bit inputs; output 8-bit or float.
void fuseAdd(Graph& g, const Links& l, size_t k, Rewrite& r) {
    Node& n = g.nodes[k];
    const int a = dequantizedInput(g, l, n, 0), b = dequantizedInput(g, l, n, 1);
    if (a < 0 || b < 0 || g.shapeOf(a) != g.shapeOf(b)) return;
    n.inputs[0] = a;
    n.inputs[1] = b;
    takeOutput(g, n, quantizingReader(g, l, n), r);
}

// Ops that move or pool values (and unary functions, as a table): every data input through DQ,
// the output into Q (or, floatOut, left Float32). `dataInputs`: how many leading inputs are data
// (Concat: all).
void fuseMoving(Graph& g, const Links& l, size_t k, size_t dataInputs, bool sameType, Rewrite& r, bool floatOut = false) {
    Node& n = g.nodes[k];
    const int q = quantizingReader(g, l, n);
    if (q < 0 && !floatOut) return;
    const DType outType = q < 0 ? DType::Float32 : g.value(g.nodes[static_cast<size_t>(q)].outputs[0]).dtype;
    if (q < 0) sameType = false;
    std::vector<int> ins;
    for (size_t i = 0; i < n.inputs.size() && i < dataInputs; ++i) {
        const int v = dequantizedInput(g, l, n, i);
        if (v < 0 || (sameType && g.value(v).dtype != outType)) return;
        ins.push_back(v);
    }
    for (size_t i = 0; i < ins.size(); ++i) n.inputs[i] = ins[i];
    takeOutput(g, n, q, r);
}

bool isView(OpKind k) { return k == OpKind::Reshape || k == OpKind::Flatten || k == OpKind::Squeeze || k == OpKind::Unsqueeze; }

}  // namespace

void fuseQuantized(Graph& g) {
    // A view of an 8-bit value written by the file itself (QLinearConv -> Flatten ->
    // QLinearMatMul) holds the same bytes, so the same reals: it gets the same parameters.
    for (const Node& n : g.nodes) {
        if (!isView(n.op) || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1 || n.outputs[0] < 0) continue;
        const Value& x = g.value(n.inputs[0]);
        Value& y = g.value(n.outputs[0]);
        if (isByteType(x.dtype) && y.dtype == x.dtype && y.quant.empty()) y.quant = x.quant;
    }
    const Links l = linksOf(g);
    Rewrite r;
    r.drop.assign(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& n = g.nodes[k];
        if (r.drop[k] || isQuantizedNode(g, n)) continue;
        switch (n.op) {
            case OpKind::Conv:
            case OpKind::Gemm:
            case OpKind::MatMul: fuseWeighted(g, l, k, r); break;
            case OpKind::Add: fuseAdd(g, l, k, r); break;
            case OpKind::Concat: fuseMoving(g, l, k, n.inputs.size(), true, r); break;
            case OpKind::MaxPool:
                if (n.outputs.size() > 1 && n.outputs[1] >= 0) break;  // the Indices output
                fuseMoving(g, l, k, 1, true, r);
                break;
            // The averages may end in float (a classifier's pooled logits).
            case OpKind::AveragePool:
            case OpKind::GlobalAveragePool: fuseMoving(g, l, k, 1, true, r, true); break;
            case OpKind::Reshape:
            case OpKind::Flatten:
            case OpKind::Squeeze:
            case OpKind::Unsqueeze: fuseMoving(g, l, k, 1, false, r); break;  // a table when the parameters differ
            default:
                // A unary pointwise function: a 256-entry table from the input's codes.
                if (activationOf(n) && n.inputs.size() == 1 && g.value(n.outputs.at(0)).dtype == DType::Float32) fuseMoving(g, l, k, 1, false, r);
                break;
        }
    }
    eraseNodes(g, r.drop);
}

}  // namespace percept::graph
