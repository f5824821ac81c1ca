// SPDX-License-Identifier: Apache-2.0
// Squeeze-and-excitation blocks for backend-level fusion (graph/fusion.h).
#include <algorithm>

#include "graph/fusion.h"
#include "graph/fusion_util.h"
#include "graph/quant.h"

namespace percept::graph {
namespace {

// A 1x1 convolution, ungrouped, unpadded, from `in` channels to `out` (its input plane is 1x1).
bool isPointwiseConv(const Graph& g, const Node& n, int64_t in, int64_t out) {
    if (n.op != OpKind::Conv || n.inputs.size() < 2 || n.outputs.size() != 1 || n.attrInt("group", 1) != 1) return false;
    const Shape& w = g.shapeOf(n.inputs[1]);
    if (w.size() < 3 || w[0] != out || w[1] != in || elementCount(w) != in * out) return false;
    for (int64_t p : n.attrInts("pads"))
        if (p != 0) return false;
    return true;
}

// The single node reading value v (after node `from`), or -1; readers: g.readerCounts().
int onlyReader(const Graph& g, const std::vector<int>& readers, int v, size_t from) {
    if (v < 0 || readers[static_cast<size_t>(v)] != 1 || isGraphOutput(g, v)) return -1;
    for (size_t k = from + 1; k < g.nodes.size(); ++k)
        for (int in : g.nodes[k].inputs)
            if (in == v) return static_cast<int>(k);
    return -1;
}

}  // namespace

std::vector<SqueezeExcite> squeezeExciteCandidates(const Graph& g) {
    const std::vector<int> readers = g.readerCounts();
    auto onlyReader = [&](int v, size_t from) { return graph::onlyReader(g, readers, v, from); };
    std::vector<SqueezeExcite> out;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& pool = g.nodes[k];
        if (pool.op != OpKind::GlobalAveragePool || pool.act.any() || pool.outputs.size() != 1) continue;
        if (isQuantizedNode(g, pool)) continue;  // int8: the fused kernels are float ones
        const int x = pool.inputs.at(0);
        const Shape& xs = g.shapeOf(x);
        if (xs.size() < 3) continue;
        const int64_t C = xs[1];
        const int r = onlyReader(pool.outputs[0], k);
        if (r < 0) continue;
        const Node& reduce = g.nodes[static_cast<size_t>(r)];
        if (reduce.inputs[0] != pool.outputs[0] || reduce.inputs.size() < 2) continue;
        const int64_t Cr = g.shapeOf(reduce.inputs[1])[0];
        if (!isPointwiseConv(g, reduce, C, Cr)) continue;
        const int e = onlyReader(reduce.outputs[0], static_cast<size_t>(r));
        if (e < 0) continue;
        const Node& expand = g.nodes[static_cast<size_t>(e)];
        if (expand.inputs[0] != reduce.outputs[0] || !isPointwiseConv(g, expand, Cr, C)) continue;
        const int m = onlyReader(expand.outputs[0], static_cast<size_t>(e));
        if (m < 0) continue;
        const Node& mul = g.nodes[static_cast<size_t>(m)];
        const int gate = expand.outputs[0];
        if (mul.op != OpKind::Mul || mul.inputs.size() != 2 || mul.outputs.size() != 1 ||
            !((mul.inputs[0] == x && mul.inputs[1] == gate) || (mul.inputs[0] == gate && mul.inputs[1] == x)) ||
            g.shapeOf(mul.outputs[0]) != xs)
            continue;
        out.push_back({k, static_cast<size_t>(r), static_cast<size_t>(e), static_cast<size_t>(m)});
    }
    return out;
}

std::vector<SqueezeExciteConv> squeezeExciteConvCandidates(const Graph& g) {
    const std::vector<int> readers = g.readerCounts();
    const std::vector<int> producer = producers(g);
    const std::vector<FusedAdd> adds = fusedAddCandidates(g);
    std::vector<SqueezeExciteConv> out;
    for (const SqueezeExcite& se : squeezeExciteCandidates(g)) {
        const Node& mul = g.nodes[se.mul];
        if (mul.act.any()) continue;  // the conv could scale its input, not activate it
        const int y = mul.outputs[0];
        const int c = onlyReader(g, readers, y, se.mul);
        if (c < 0 || g.nodes[static_cast<size_t>(c)].op != OpKind::Conv || g.nodes[static_cast<size_t>(c)].inputs[0] != y) continue;
        SqueezeExciteConv f{se, static_cast<size_t>(c), {}};
        f.add.node = f.conv;
        const auto fa = std::find_if(adds.begin(), adds.end(), [&](const FusedAdd& a) { return a.node == f.conv; });
        if (fa != adds.end()) {
            // The fused kernel runs at the pool's step: the addend must exist by then.
            if (producer[static_cast<size_t>(fa->addend)] >= static_cast<int>(se.pool)) continue;
            f.add = *fa;
        }
        out.push_back(f);
    }
    return out;
}

}  // namespace percept::graph
