// Add / Sub / Mul / Div with numpy broadcasting (shaders/eltwise.comp), walking the loop nest
// graph::planBroadcast merges (the CPU kernel's too): a few axes with per-operand strides
// (0 = repeated).
#include "graph/loop_nest.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildEltwise(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& a = g.shapeOf(n.inputs.at(0));
    const Shape& bs = g.shapeOf(n.inputs.at(1));
    const Shape& out = g.shapeOf(n.outputs.at(0));
    const size_t rank = out.size();
    if (a.size() > rank || bs.size() > rank) b.fail("operand rank exceeds the output's");
    const graph::BroadcastNest nest = graph::planBroadcast(a, bs, out);
    if (nest.dims.size() > 6) b.fail("broadcasts over more than 6 (merged) axes are not supported");
    uint32_t op = 0;
    if (n.op == graph::OpKind::Add) op = 0;
    else if (n.op == graph::OpKind::Sub) op = 1;
    else if (n.op == graph::OpKind::Mul) op = 2;
    else if (n.op == graph::OpKind::Div) op = 3;
    else b.fail("is not an elementwise binary op");

    const bool same = nest.dims.size() == 1 && nest.sa[0] == 1 && nest.sb[0] == 1;
    struct Push {
        uint32_t count, rank;
        uint32_t dims[6];
        uint32_t sa[6];
        uint32_t sb[6];
        float actA, actB;
    } push{};
    const int64_t count = elementCount(out);
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(nest.dims.size());
    for (size_t k = 0; k < nest.dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(nest.dims[k]);
        push.sa[k] = static_cast<uint32_t>(nest.sa[k]);
        push.sb[k] = static_cast<uint32_t>(nest.sb[k]);
    }
    const ActParams ap = activationParams(n.act);
    push.actA = ap.a;
    push.actB = ap.b;
    if (nest.dims.size() == 1) b.setAlgo(same ? "same-shape" : "scalar");
    else if (nest.dims.size() <= 3 && (nest.sa.back() == 0 || nest.sb.back() == 0)) b.setAlgo("per-channel");
    else b.setAlgo("broadcast");
    if (count == 0) return;
    const uint32_t groups = std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024));
    b.dispatch(b.pipeline("eltwise", "sss", {op, activationCode(n.act.kind), same ? 1u : 0u}), {b.input(0), b.input(1), b.output(0)}, 0b100,
               push, groups);
}

}  // namespace percept::vk
