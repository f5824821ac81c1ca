// SPDX-License-Identifier: Apache-2.0
// sinkChannelsLastTransposes (graph/fusion.h): ConvNeXt's blocks go to channels last and back
// around the work they do per pixel,
//     t = Transpose(x, 0,2,3,1)               [N, H, W, C]
//     u = LayerNorm(t, axis -1); v = MatMul(u, W1) + b1; v = Gelu(v); ...   per pixel
//     y = Transpose(z, 0,3,1,2)               [N, D, H, W]
// (and LayerNorm2d, the Transposes around a LayerNorm alone). Every op between them works on
// each pixel's channel vector alone, so the same chain runs on NCHW without either Transpose:
// the LayerNorm over the channel axis (kNormOneAxis), each MatMul by a constant as a 1x1 Conv
// with the transposed weights (its bias Add as the conv's bias), the pointwise ops as they are.
// Two copies of the activations fewer per block (ConvNeXt-T: 44 Transposes), and the block's
// last conv then meets the residual Add in NCHW, where the backends fuse the two.
#include "graph/fusion.h"
#include "graph/fusion_util.h"
#include "graph/op_schema.h"
#include "graph/schemas.h"

namespace percept::graph {
namespace {

// [0, 2, ..., r-1, 1]: channels to the end; the way back is [0, r-1, 1, ..., r-2].
bool isToChannelsLast(const std::vector<int64_t>& p) {
    if (p.size() < 3 || p[0] != 0 || p.back() != 1) return false;
    for (size_t k = 1; k + 1 < p.size(); ++k)
        if (p[k] != static_cast<int64_t>(k) + 1) return false;
    return true;
}
bool isToChannelsFirst(const std::vector<int64_t>& p) {
    if (p.size() < 3 || p[0] != 0 || p[1] != static_cast<int64_t>(p.size()) - 1) return false;
    for (size_t k = 2; k < p.size(); ++k)
        if (p[k] != static_cast<int64_t>(k) - 1) return false;
    return true;
}

struct Step {
    size_t node;
    int bias = -1;         // a MatMul's bias, from the Add after it
    size_t add = 0;        // that Add's node index
};

}  // namespace

void sinkChannelsLastTransposes(Graph& g) {
    const auto readers = g.readerCounts();
    // The node reading v when it is v's only reader and v is no graph output; -1 otherwise.
    std::vector<int> soleReader(g.values.size(), -1);
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int v : g.nodes[k].inputs)
            if (v >= 0 && readers[static_cast<size_t>(v)] == 1 && !isGraphOutput(g, v)) soleReader[static_cast<size_t>(v)] = static_cast<int>(k);
    auto next = [&](int v) -> Node* {
        const int r = soleReader[static_cast<size_t>(v)];
        return r < 0 ? nullptr : &g.nodes[static_cast<size_t>(r)];
    };
    auto index = [&](const Node* n) { return static_cast<size_t>(n - g.nodes.data()); };
    // Outputs beyond the first that something reads (LayerNorm's Mean and InvStdDev).
    auto extraOutputsRead = [&](const Node& n) {
        for (size_t k = 1; k < n.outputs.size(); ++k)
            if (n.outputs[k] >= 0 && (readers[static_cast<size_t>(n.outputs[k])] > 0 || isGraphOutput(g, n.outputs[k]))) return true;
        return false;
    };

    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& in = g.nodes[k];
        if (in.op != OpKind::Transpose || drop[k] || !isToChannelsLast(in.attrInts("perm"))) continue;
        const size_t rank = g.shapeOf(in.inputs.at(0)).size();
        if (g.value(in.inputs[0]).dtype != DType::Float32) continue;

        // Walk the chain from the Transpose to its way back, each value read once.
        std::vector<Step> steps;
        Node* out = nullptr;
        int v = in.outputs.at(0);
        for (Node* n = next(v); n && n->inputs.at(0) == v && !extraOutputsRead(*n); n = next(v)) {
            if (n->op == OpKind::Transpose) {
                if (isToChannelsFirst(n->attrInts("perm"))) out = n;
                break;
            }
            Step s{index(n)};
            if (n->op == OpKind::LayerNormalization) {
                if (n->act.any() || n->attrInt("axis", -1) != static_cast<int64_t>(rank) - 1) break;
            } else if (n->op == OpKind::MatMul) {
                if (n->act.any() || !isPlainFloatConstant(g, n->inputs.at(1)) || g.value(n->inputs[1]).constant->dequantizedFrom ||
                    g.shapeOf(n->inputs[1]).size() != 2 || g.shapeOf(v).size() != rank)
                    break;
                // Its bias, when the only reader is an Add of a constant row.
                Node* add = next(n->outputs.at(0));
                if (add && add->op == OpKind::Add && !add->act.any() && add->inputs.size() == 2) {
                    const int other = add->inputs[0] == n->outputs[0] ? 1 : 0;
                    if (add->inputs[1 - other] == n->outputs[0] && isRowBias(g, add->inputs[static_cast<size_t>(other)], g.shapeOf(n->outputs[0])) &&
                        g.shapeOf(add->outputs.at(0)) == g.shapeOf(n->outputs[0])) {
                        s.bias = add->inputs[static_cast<size_t>(other)];
                        s.add = index(add);
                    }
                }
            } else {
                // A pointwise function of one value (Gelu, Relu ...) works on any layout.
                const auto act = activationOf(*n);
                if (!act || (n->act.any() && n->op != OpKind::Identity) || n->outputs.size() != 1) break;
            }
            steps.push_back(s);
            v = s.bias >= 0 ? g.nodes[s.add].outputs.at(0) : n->outputs.at(0);
        }
        if (!out || steps.empty()) continue;

        // Rewrite: the chain reads x and writes the Transpose's result, in NCHW.
        g.nodes[steps.front().node].inputs[0] = in.inputs[0];
        for (const Step& s : steps) {
            Node& n = g.nodes[s.node];
            if (n.op == OpKind::LayerNormalization) {
                n.attrs["axis"].i = 1;
                n.attrs[kNormOneAxis].i = 1;  // an Int attribute
                n.outputs.resize(1);  // Mean and InvStdDev, which nothing reads
            } else if (n.op == OpKind::MatMul) {
                const TensorData& w = *g.value(n.inputs[1]).constant;
                const int64_t C = w.shape[0], D = w.shape[1];
                auto wt = std::make_shared<TensorData>();
                wt->shape = Shape(rank, 1);
                wt->shape[0] = D;
                wt->shape[1] = C;
                wt->f.resize(static_cast<size_t>(C * D));
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t d = 0; d < D; ++d) wt->f[static_cast<size_t>(d * C + c)] = w.f[static_cast<size_t>(c * D + d)];
                n.op = OpKind::Conv;
                n.attrs.clear();
                n.inputs = {n.inputs[0], g.addConstant(g.value(n.inputs[1]).name + "_1x1", wt)};
                if (s.bias >= 0) {
                    auto b = std::make_shared<TensorData>(*g.value(s.bias).constant);
                    b->shape = {D};
                    n.inputs.push_back(g.addConstant(g.value(s.bias).name + "_conv", b));
                    n.outputs[0] = g.nodes[s.add].outputs[0];
                    drop[s.add] = 1;
                }
            }
        }
        g.nodes[steps.back().node].outputs[0] = out->outputs.at(0);
        drop[k] = 1;
        drop[index(out)] = 1;
        // Shapes and canonical attributes along the chain, in NCHW now.
        for (const Step& s : steps) schemaOf(g.nodes[s.node].op).infer(g, g.nodes[s.node]);
    }
    eraseNodes(g, drop);
}

}  // namespace percept::graph
