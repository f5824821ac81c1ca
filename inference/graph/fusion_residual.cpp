// SPDX-License-Identifier: Apache-2.0
// Adds that a backend may fold into the node producing their other operand (graph/fusion.h):
// a Conv's residual connection (ResNet's, MobileNetV2's and EfficientNet's skip Adds: a tensor
// of the conv's own shape that exists before the conv runs), and a MatMul's bias (transformers'
// Linear layers export as MatMul + Add of a constant row).
#include <algorithm>

#include "graph/fusion.h"
#include "graph/fusion_util.h"

namespace percept::graph {

std::vector<FusedAdd> fusedAddCandidates(const Graph& g) {
    const std::vector<int> readers = g.readerCounts();
    const std::vector<int> producer = producers(g);
    std::vector<FusedAdd> out;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& n = g.nodes[k];
        if ((n.op != OpKind::Conv && n.op != OpKind::MatMul) || n.act.any() || n.outputs.size() != 1 || n.outputs[0] < 0) continue;
        const int y = n.outputs[0];
        if (readers[static_cast<size_t>(y)] != 1 || isGraphOutput(g, y)) continue;
        size_t a = k + 1;
        while (a < g.nodes.size() && std::find(g.nodes[a].inputs.begin(), g.nodes[a].inputs.end(), y) == g.nodes[a].inputs.end()) ++a;
        if (a == g.nodes.size()) continue;
        const Node& add = g.nodes[a];
        if (add.op != OpKind::Add || add.inputs.size() != 2 || add.outputs.size() != 1 || add.outputs[0] < 0) continue;
        const int other = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
        if (other < 0 || other == y || g.shapeOf(add.outputs[0]) != g.shapeOf(y)) continue;
        if (n.op == OpKind::Conv) {
            // Same shape (no broadcasting), computed before the conv's step.
            if (g.value(other).isConstant() || g.shapeOf(other) != g.shapeOf(y)) continue;
            if (producer[static_cast<size_t>(other)] >= static_cast<int>(k)) continue;
        } else if (!isRowBias(g, other, g.shapeOf(y))) {
            continue;
        }
        out.push_back({k, a, other});
    }
    return out;
}

}  // namespace percept::graph
