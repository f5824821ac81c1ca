// SPDX-License-Identifier: Apache-2.0
// matMulOperandViews (graph/fusion.h): a MatMul operand made from one value by a chain of index
// mappings, read by the product through strides instead of being copied.
//
// A transformer's attention reaches its products through four to six data-movement nodes per
// operand (torch's export of nn.MultiheadAttention: Reshape, Unsqueeze, Transpose, Squeeze, a
// Gather of q / k / v, Reshape, Transpose), each a pass over the activations and, on a GPU, a
// dispatch and a barrier. Their composition is found by running the chain on the element
// indices of its first input (an "iota" tensor): the operand's element i comes from root
// element map[i], and when map is affine in the operand's coordinates (offset + sum of
// coordinate x stride) a GEMM whose operands are read through element strides can read the root
// directly.
#include <numeric>

#include "graph/fusion.h"
#include "graph/fusion_util.h"
#include "graph/gather_plan.h"
#include "graph/strided_view.h"

namespace percept::graph {
namespace {

// The chain's links: a view op (graph/strided_view.h) of one output, or a Gather by constant
// indices.
bool isChainLink(const Graph& g, const Node& n) {
    if (n.act.any() || n.outputs.size() != 1 || n.outputs[0] < 0 || n.inputs.empty() || n.inputs[0] < 0) return false;
    if (isViewOp(n.op)) return true;
    return n.op == OpKind::Gather && n.inputs.size() == 2 && n.inputs[1] >= 0 && g.value(n.inputs[1]).isConstant();
}

// out = the link applied to `in` (element indices of the chain's root).
std::vector<int64_t> applyLink(const Graph& g, const Node& n, const std::vector<int64_t>& in) {
    const Shape& ys = g.shapeOf(n.outputs[0]);
    std::vector<int64_t> out(static_cast<size_t>(elementCount(ys)));
    if (n.op == OpKind::Gather) {
        const GatherPlan plan = planGather(g, n);
        const std::vector<int64_t> idx = constantIndices(g, n);
        if (!out.empty()) gatherRows(plan, in.data(), idx.data(), out.data(), 0, plan.rows());
        return out;
    }
    const StridedView v = viewOf(g, n);
    if (v.count() > 0) copyViewRows(v, in.data(), out.data(), 0, viewRows(v));
    return out;
}

// map as offset + sum(coordinate x stride) over `shape`, when it is that.
bool affineFit(const std::vector<int64_t>& map, const Shape& shape, OperandView& ov) {
    const size_t r = shape.size();
    ov.offset = map.empty() ? 0 : map[0];
    ov.strides.assign(r, 0);
    int64_t unit = 1;
    for (size_t k = r; k-- > 0;) {
        if (shape[k] > 1) ov.strides[k] = map[static_cast<size_t>(unit)] - ov.offset;
        unit *= shape[k];
    }
    std::vector<int64_t> c(r, 0);
    int64_t want = ov.offset;
    for (size_t i = 0; i < map.size(); ++i) {
        if (map[i] != want) return false;
        for (size_t k = r; k-- > 0;) {  // the next coordinate, odometer-wise
            want += ov.strides[k];
            if (++c[k] < shape[k]) break;
            want -= c[k] * ov.strides[k];
            c[k] = 0;
        }
    }
    return true;
}

}  // namespace

std::vector<OperandView> matMulOperandViews(const Graph& g) {
    const std::vector<int> prod = producers(g);
    const auto readers = g.readerCounts();
    std::vector<OperandView> out;
    for (size_t m = 0; m < g.nodes.size(); ++m) {
        const Node& mm = g.nodes[m];
        if (mm.op != OpKind::MatMul || mm.inputs.size() != 2) continue;
        for (size_t k = 0; k < 2; ++k) {
            const int v = mm.inputs[k];
            if (v < 0 || g.value(v).isConstant() || g.value(v).dtype != DType::Float32 || g.shapeOf(v).size() < 2) continue;
            if (k == 1 && mm.inputs[0] == v) continue;
            // Up the chain while each link's output is read by the next link (or the MatMul) only.
            std::vector<size_t> chain;
            int cur = v;
            while (true) {
                const int p = prod[static_cast<size_t>(cur)];
                if (p < 0 || readers[static_cast<size_t>(cur)] != 1 || isGraphOutput(g, cur)) break;
                const Node& link = g.nodes[static_cast<size_t>(p)];
                const int x = link.inputs.empty() ? -1 : link.inputs[0];
                if (!isChainLink(g, link) || g.value(x).isConstant() || g.value(x).dtype != DType::Float32) break;
                chain.insert(chain.begin(), static_cast<size_t>(p));
                cur = x;
            }
            if (chain.empty()) continue;
            std::vector<int64_t> map(static_cast<size_t>(elementCount(g.shapeOf(cur))));
            std::iota(map.begin(), map.end(), int64_t{0});
            for (size_t link : chain) map = applyLink(g, g.nodes[link], map);
            OperandView ov;
            ov.node = m;
            ov.input = k;
            ov.root = cur;
            ov.chain = chain;
            ov.shape = g.shapeOf(v);
            if (!affineFit(map, ov.shape, ov)) continue;
            bool negative = false;
            for (int64_t s : ov.strides) negative |= s < 0;
            // A chain of views the memory plan makes free (dense reshapes, identity
            // transposes: graph/memory_planner.h) gains nothing.
            bool copies = false;
            for (size_t link : chain) {
                const Node& n = g.nodes[link];
                if (n.op == OpKind::Gather) {
                    copies = true;
                } else {
                    copies |= !viewOf(g, n).isIdentity();
                }
            }
            if (!negative && copies) out.push_back(std::move(ov));
        }
    }
    return out;
}

}  // namespace percept::graph
