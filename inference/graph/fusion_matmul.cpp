// MatMul + bias Add pairs for backend-level fusion (graph/fusion.h).
#include <algorithm>

#include "graph/fusion.h"

namespace percept::graph {

std::vector<MatMulBias> matMulBiasCandidates(const Graph& g) {
    const std::vector<int> readers = g.readerCounts();
    std::vector<MatMulBias> out;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const Node& mm = g.nodes[k];
        if (mm.op != OpKind::MatMul || mm.act.any() || mm.outputs.size() != 1 || mm.outputs[0] < 0) continue;
        const int y = mm.outputs[0];
        if (readers[static_cast<size_t>(y)] != 1 || std::find(g.outputs.begin(), g.outputs.end(), y) != g.outputs.end()) continue;
        const Shape& ys = g.shapeOf(y);
        if (ys.size() < 2) continue;
        for (size_t a = k + 1; a < g.nodes.size(); ++a) {
            const Node& add = g.nodes[a];
            if (std::find(add.inputs.begin(), add.inputs.end(), y) == add.inputs.end()) continue;
            // The reader: an Add of y and a constant bias along the last axis, shaped like y.
            if (add.op != OpKind::Add || add.inputs.size() != 2 || add.outputs.size() != 1 || add.outputs[0] < 0 ||
                g.shapeOf(add.outputs[0]) != ys)
                break;
            const int b = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
            if (b == y || b < 0 || !g.value(b).constant || g.value(b).constant->dtype != DType::Float32) break;
            const Shape& bs = g.shapeOf(b);
            bool lastAxis = !bs.empty() && bs.size() <= ys.size() && bs.back() == ys.back();
            for (size_t d = 0; lastAxis && d + 1 < bs.size(); ++d) lastAxis = bs[d] == 1;
            if (lastAxis) out.push_back({k, a, b});
            break;
        }
    }
    return out;
}

}  // namespace percept::graph
