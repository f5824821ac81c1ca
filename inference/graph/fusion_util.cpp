// SPDX-License-Identifier: Apache-2.0
#include "graph/fusion_util.h"

#include <algorithm>

namespace percept::graph {

std::vector<int> producers(const Graph& g) {
    std::vector<int> p(g.values.size(), -1);
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int v : g.nodes[k].outputs)
            if (v >= 0) p[static_cast<size_t>(v)] = static_cast<int>(k);
    return p;
}

bool isGraphOutput(const Graph& g, int v) { return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end(); }

bool isPlainFloatConstant(const Graph& g, int v) {
    if (v < 0) return false;
    const Value& val = g.value(v);
    return val.constant && val.constant->dtype == DType::Float32 && !val.constant->isCoded();
}

bool isRowBias(const Graph& g, int v, const Shape& out) {
    if (!isPlainFloatConstant(g, v)) return false;
    const Shape& c = g.shapeOf(v);
    if (c.empty() || out.empty() || c.size() > out.size() || c.back() != out.back()) return false;
    for (size_t k = 0; k + 1 < c.size(); ++k)
        if (c[k] != 1) return false;
    return true;
}

void eraseNodes(Graph& g, const std::vector<char>& drop) {
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (size_t k = 0; k < g.nodes.size(); ++k)
        if (!drop[k]) kept.push_back(std::move(g.nodes[k]));
    g.nodes = std::move(kept);
}

}  // namespace percept::graph
