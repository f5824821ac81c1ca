// Residual additions for backend-level fusion (graph/fusion.h): a convolution whose only reader
// is an Add with a tensor of its own shape that exists before the convolution runs (ResNet's,
// MobileNetV2's and EfficientNet's skip connections).
#include <algorithm>

#include "graph/fusion.h"

namespace percept::graph {

std::vector<ConvAdd> convAddCandidates(const Graph& g) {
    const std::vector<int> readers = g.readerCounts();
    std::vector<int> producer(g.values.size(), -1);
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int v : g.nodes[k].outputs)
            if (v >= 0) producer[static_cast<size_t>(v)] = static_cast<int>(k);
    auto isOutput = [&](int v) { return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end(); };
    std::vector<ConvAdd> out;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& conv = g.nodes[k];
        if (conv.op != OpKind::Conv || conv.act.any() || conv.outputs.size() != 1 || conv.outputs[0] < 0) continue;
        const int y = conv.outputs[0];
        if (readers[static_cast<size_t>(y)] != 1 || isOutput(y)) continue;
        size_t a = k + 1;
        while (a < g.nodes.size() && std::find(g.nodes[a].inputs.begin(), g.nodes[a].inputs.end(), y) == g.nodes[a].inputs.end()) ++a;
        if (a == g.nodes.size()) continue;
        const Node& add = g.nodes[a];
        if (add.op != OpKind::Add || add.inputs.size() != 2 || add.outputs.size() != 1 || add.outputs[0] < 0) continue;
        const int skip = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
        if (skip < 0 || skip == y || g.value(skip).isConstant()) continue;
        // Same shape everywhere (no broadcasting), and the skip tensor exists at the conv's step.
        if (g.shapeOf(skip) != g.shapeOf(y) || g.shapeOf(add.outputs[0]) != g.shapeOf(y)) continue;
        if (producer[static_cast<size_t>(skip)] >= static_cast<int>(k)) continue;
        out.push_back({k, a, skip});
    }
    return out;
}

}  // namespace percept::graph
