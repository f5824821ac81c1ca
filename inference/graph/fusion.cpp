// SPDX-License-Identifier: Apache-2.0
#include "graph/fusion.h"

#include <cmath>
#include <optional>

#include "graph/fusion_util.h"
#include "graph/quant.h"
#include "graph/schemas.h"

namespace percept::graph {

void foldBatchNormIntoConv(Graph& g) {
    auto prod = producers(g);
    auto readers = g.readerCounts();
    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& bn = g.nodes[k];
        if (bn.op != OpKind::BatchNormalization) continue;
        const int x = bn.inputs.at(0);
        const int p = prod[static_cast<size_t>(x)];
        if (p < 0 || readers[static_cast<size_t>(x)] != 1 || isGraphOutput(g, x)) continue;
        Node& conv = g.nodes[static_cast<size_t>(p)];
        if (conv.op != OpKind::Conv || conv.act.any()) continue;
        if (g.value(conv.inputs.at(1)).constant->isCoded()) continue;  // compressed weights stay as coded
        const TensorData& w = *g.value(conv.inputs.at(1)).constant;
        const int64_t m = w.shape[0], per = w.count() / m;
        const float eps = bn.attrFloat("epsilon", 1e-5f);
        const auto scale = g.value(bn.inputs[1]).constant->asFloats();
        const auto bias = g.value(bn.inputs[2]).constant->asFloats();
        const auto mean = g.value(bn.inputs[3]).constant->asFloats();
        const auto var = g.value(bn.inputs[4]).constant->asFloats();
        auto nw = std::make_shared<TensorData>(w);
        auto nb = std::make_shared<TensorData>();
        nb->shape = {m};
        nb->f.assign(static_cast<size_t>(m), 0.0f);
        const bool hasBias = conv.inputs.size() > 2 && conv.inputs[2] >= 0;
        const float* ob = hasBias ? g.constFloats(conv.inputs[2]) : nullptr;
        for (int64_t o = 0; o < m; ++o) {
            // y = s * (conv(x) + b - mean) / sqrt(var + eps) + beta, computed in double.
            const double f = scale[o] / std::sqrt(static_cast<double>(var[o]) + eps);
            for (int64_t j = 0; j < per; ++j) nw->f[static_cast<size_t>(o * per + j)] = static_cast<float>(w.f[static_cast<size_t>(o * per + j)] * f);
            nb->f[static_cast<size_t>(o)] = static_cast<float>(((ob ? ob[o] : 0.0) - mean[o]) * f + bias[o]);
        }
        conv.inputs.resize(3);
        conv.inputs[1] = g.addConstant(g.value(conv.inputs[1]).name + "_bnfolded", nw);
        conv.inputs[2] = g.addConstant(bn.name + "_bias", nb);
        // The conv now writes the BN's output value.
        const int y = bn.outputs[0];
        conv.outputs[0] = y;
        drop[k] = 1;
    }
    eraseNodes(g, drop);
}

void fuseActivations(Graph& g) {
    auto prod = producers(g);
    auto readers = g.readerCounts();
    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& a = g.nodes[k];
        const std::optional<FusedActivation> act = activationOf(a);
        // A unary op that carries a second function of its own stays as it is (an Identity's
        // fused function is its whole work: activationOf returns it).
        if (!act || (a.act.any() && a.op != OpKind::Identity)) continue;
        const int x = a.inputs.at(0);
        const int p = prod[static_cast<size_t>(x)];
        if (p < 0 || readers[static_cast<size_t>(x)] != 1 || isGraphOutput(g, x)) continue;
        Node& src = g.nodes[static_cast<size_t>(p)];
        if (src.act.any() || src.outputs.size() != 1) continue;
        if (src.op != OpKind::Conv && src.op != OpKind::ConvTranspose && src.op != OpKind::Gemm && src.op != OpKind::MatMul && src.op != OpKind::Add)
            continue;
        src.act = *act;
        src.outputs[0] = a.outputs[0];
        drop[k] = 1;
    }
    eraseNodes(g, drop);
}

namespace {

// (k, k + 1) where node k is a Conv whose only reader is node k + 1, of op `next`, reading it as
// its first input; float nodes only (the fused kernels are float ones).
std::vector<std::pair<size_t, size_t>> convThen(const Graph& g, OpKind next) {
    std::vector<std::pair<size_t, size_t>> pairs;
    const auto readers = g.readerCounts();
    for (size_t k = 0; k + 1 < g.nodes.size(); ++k) {
        const Node& n = g.nodes[k];
        const Node& r = g.nodes[k + 1];
        if (n.op != OpKind::Conv || n.outputs.size() != 1 || n.outputs[0] < 0 || readers[static_cast<size_t>(n.outputs[0])] != 1 ||
            r.op != next || r.inputs.empty() || r.inputs[0] != n.outputs[0] || r.outputs.size() != 1 || r.outputs[0] < 0)
            continue;
        if (isQuantizedNode(g, n) || isQuantizedNode(g, r)) continue;
        pairs.emplace_back(k, k + 1);
    }
    return pairs;
}

}  // namespace

std::vector<std::pair<size_t, size_t>> convMaxPoolCandidates(const Graph& g) { return convThen(g, OpKind::MaxPool); }

std::vector<std::pair<size_t, size_t>> convConvCandidates(const Graph& g) { return convThen(g, OpKind::Conv); }

}  // namespace percept::graph
