// SPDX-License-Identifier: Apache-2.0
// foldChannelScaleIntoLinear (graph/fusion.h): a constant per-channel scale after a Linear
// layer becomes part of its weights. ConvNeXt's blocks end
//     u = Add(MatMul(x, W), b)    [N, H, W, C], channels last
//     t = Transpose(u, 0,3,1,2)   [N, C, H, W]
//     y = Mul(t, gamma)           gamma [C, 1, 1]: the layer scale
// and y = Transpose(MatMul(x, W * gamma) + b * gamma): one node and one pass over the
// activations fewer. The scale may also follow the Linear layer directly (no Transpose).
//
// foldScalarsIntoMatMul: attention scales its scores by 1/sqrt(d) with a Mul or Div of Q (and
// of K) by a constant scalar before Q K^T; the products take it as kMatMulAlpha instead.
#include <optional>

#include "graph/fusion.h"
#include "graph/fusion_util.h"
#include "graph/schemas.h"

namespace percept::graph {
namespace {

// The one axis of `scale` (right-aligned to `rank` axes) longer than 1, or -1 for a scalar;
// nullopt when two axes vary or the scale has more axes than the tensor.
std::optional<int> channelAxisOf(const Shape& scale, size_t rank) {
    if (scale.size() > rank) return std::nullopt;
    int axis = -1;
    for (size_t k = 0; k < scale.size(); ++k) {
        if (scale[k] == 1) continue;
        if (axis >= 0) return std::nullopt;
        axis = static_cast<int>(rank - scale.size() + k);
    }
    return axis;
}

}  // namespace

void foldChannelScaleIntoLinear(Graph& g) {
    std::vector<int> prod = producers(g);
    const auto readers = g.readerCounts();
    // The node making v, when v is read by one node only and is no graph output.
    auto soleProducer = [&](int v) -> Node* {
        const int p = v >= 0 ? prod[static_cast<size_t>(v)] : -1;
        if (p < 0 || readers[static_cast<size_t>(v)] != 1 || isGraphOutput(g, v)) return nullptr;
        return &g.nodes[static_cast<size_t>(p)];
    };

    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& mul = g.nodes[k];
        if (mul.op != OpKind::Mul || mul.act.any() || mul.inputs.size() != 2) continue;
        const int si = isPlainFloatConstant(g, mul.inputs[1]) ? 1 : isPlainFloatConstant(g, mul.inputs[0]) ? 0 : -1;
        if (si < 0) continue;
        const int t = mul.inputs[static_cast<size_t>(1 - si)];
        const Shape& ts = g.shapeOf(t);
        if (g.shapeOf(mul.outputs[0]) != ts) continue;  // the scale must not widen the result
        const std::optional<int> axis = channelAxisOf(g.value(mul.inputs[static_cast<size_t>(si)]).constant->shape, ts.size());
        if (!axis) continue;

        // Through an optional Transpose to the Linear layer: which of its axes the channel is.
        Node* first = soleProducer(t);
        if (!first || first->act.any()) continue;
        Node* transpose = first->op == OpKind::Transpose ? first : nullptr;
        int uAxis = *axis;
        Node* top = first;
        if (transpose) {
            const std::vector<int64_t> perm = transpose->attrInts("perm");
            if (perm.size() != ts.size()) continue;
            if (uAxis >= 0) uAxis = static_cast<int>(perm[static_cast<size_t>(uAxis)]);
            top = soleProducer(transpose->inputs.at(0));
            if (!top || top->act.any()) continue;
        }
        // top: Add(MatMul(x, W), b) or MatMul(x, W), W a 2-D constant, b a constant over the columns.
        Node* add = top->op == OpKind::Add ? top : nullptr;
        int biasInput = -1;
        Node* matmul = top;
        if (add) {
            if (add->inputs.size() != 2) continue;
            biasInput = isPlainFloatConstant(g, add->inputs[1]) ? 1 : isPlainFloatConstant(g, add->inputs[0]) ? 0 : -1;
            if (biasInput < 0) continue;
            matmul = soleProducer(add->inputs[static_cast<size_t>(1 - biasInput)]);
            if (!matmul) continue;
        }
        if (matmul->op != OpKind::MatMul || matmul->act.any() || matmul->inputs.size() != 2 || !isPlainFloatConstant(g, matmul->inputs[1])) continue;
        const TensorData& w = *g.value(matmul->inputs[1]).constant;
        if (w.shape.size() != 2) continue;
        const int64_t K = w.shape[0], N = w.shape[1];
        const Shape& us = g.shapeOf(top->outputs[0]);
        if (us.empty() || us.back() != N) continue;
        if (uAxis >= 0 && uAxis != static_cast<int>(us.size()) - 1) continue;  // the scale must run along W's columns
        const std::vector<float> scale = g.value(mul.inputs[static_cast<size_t>(si)]).constant->asFloats();
        if (uAxis >= 0 && static_cast<int64_t>(scale.size()) != N) continue;
        auto column = [&](int64_t j) { return scale[uAxis >= 0 ? static_cast<size_t>(j) : 0]; };  // the scale of column j
        int bias = -1;
        if (add) {
            bias = add->inputs[static_cast<size_t>(biasInput)];
            const Shape& bs = g.value(bias).constant->shape;
            const std::optional<int> bAxis = channelAxisOf(bs, us.size());
            if (!bAxis || (*bAxis >= 0 && (*bAxis != static_cast<int>(us.size()) - 1 || bs.back() != N))) continue;
        }

        auto nw = std::make_shared<TensorData>(w);
        for (int64_t r = 0; r < K; ++r)
            for (int64_t j = 0; j < N; ++j) nw->f[static_cast<size_t>(r * N + j)] *= column(j);
        matmul->inputs[1] = g.addConstant(g.value(matmul->inputs[1]).name + "_scaled", nw);
        if (add) {
            // b * scale, per column when either varies along the columns. The bias keeps its
            // rank, so the Add's output keeps its shape.
            const std::vector<float> b = g.value(bias).constant->asFloats();
            auto nb = std::make_shared<TensorData>();
            nb->shape = g.value(bias).constant->shape;
            if (b.size() == 1 && uAxis >= 0) {
                if (nb->shape.empty()) nb->shape = {N};
                nb->shape.back() = N;
            }
            nb->f.resize(static_cast<size_t>(elementCount(nb->shape)));
            for (size_t j = 0; j < nb->f.size(); ++j) nb->f[j] = b[b.size() == 1 ? 0 : j] * column(static_cast<int64_t>(j));
            add->inputs[static_cast<size_t>(biasInput)] = g.addConstant(g.value(bias).name + "_scaled", nb);
        }
        // The last node of the chain now writes the Mul's output.
        first->outputs[0] = mul.outputs[0];
        prod[static_cast<size_t>(mul.outputs[0])] = static_cast<int>(first - g.nodes.data());
        drop[k] = 1;
    }
    eraseNodes(g, drop);
}

void foldScalarsIntoMatMul(Graph& g) {
    const std::vector<int> prod = producers(g);
    const auto readers = g.readerCounts();
    std::vector<char> drop(g.nodes.size(), 0);
    for (Node& mm : g.nodes) {
        if (mm.op != OpKind::MatMul || mm.inputs.size() != 2 || mm.inputs[0] < 0 || mm.inputs[1] < 0) continue;
        // Both operands computed: a MatMul by constant weights is a Linear layer, whose
        // rewrites (sinkChannelsLastTransposes's 1x1 convs, the int8 fusions) carry no alpha.
        if (g.value(mm.inputs[0]).isConstant() || g.value(mm.inputs[1]).isConstant()) continue;
        float alpha = mm.attrFloat(kMatMulAlpha, 1.0f);
        for (int& in : mm.inputs) {
            const int p = prod[static_cast<size_t>(in)];
            if (p < 0 || drop[static_cast<size_t>(p)] || readers[static_cast<size_t>(in)] != 1 || isGraphOutput(g, in)) continue;
            const Node& op = g.nodes[static_cast<size_t>(p)];
            if ((op.op != OpKind::Mul && op.op != OpKind::Div) || op.act.any() || op.inputs.size() != 2) continue;
            // The scalar: either operand of a Mul, the divisor of a Div.
            const int si = isPlainFloatConstant(g, op.inputs[1]) ? 1 : op.op == OpKind::Mul && isPlainFloatConstant(g, op.inputs[0]) ? 0 : -1;
            if (si < 0 || g.value(op.inputs[static_cast<size_t>(si)]).constant->count() != 1) continue;
            const int t = op.inputs[static_cast<size_t>(1 - si)];
            if (t < 0 || g.value(t).isConstant() || g.value(t).dtype != DType::Float32 || g.shapeOf(t) != g.shapeOf(op.outputs.at(0))) continue;
            const float c = g.value(op.inputs[static_cast<size_t>(si)]).constant->asFloats()[0];
            if (op.op == OpKind::Div && c == 0.0f) continue;
            alpha *= op.op == OpKind::Mul ? c : 1.0f / c;
            in = t;
            drop[static_cast<size_t>(p)] = 1;
        }
        if (alpha != 1.0f) {
            Attribute a;
            a.kind = Attribute::Kind::Float;
            a.f = alpha;
            mm.attrs[kMatMulAlpha] = a;
        }
    }
    eraseNodes(g, drop);
}

}  // namespace percept::graph
