// Softmax (shaders/softmax.comp): opset < 13 coerces to 2-D [prod(dims[:axis]), prod(dims[axis:])]
// and normalises rows; opset >= 13 normalises along the one axis `axis`.
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildSoftmax(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.size());
    if (rank == 0) b.fail("cannot normalise a scalar");
    int64_t axis = n.attrInt("axis", g.opset >= 13 ? -1 : 1);
    if (axis < -rank || axis >= rank) b.fail("axis is out of range");
    if (axis < 0) axis += rank;
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t k = 0; k < rank; ++k) {
        if (k < axis) outer *= x[k];
        else if (k == axis || g.opset < 13) len *= x[k];
        else inner *= x[k];
    }
    struct Push {
        uint32_t outer, len, inner;
        float actA, actB;
    } push{static_cast<uint32_t>(outer), static_cast<uint32_t>(len), static_cast<uint32_t>(inner), 0, 0};
    const ActParams ap = activationParams(n.act);
    push.actA = ap.a;
    push.actB = ap.b;
    b.setAlgo(inner == 1 ? "softmax-rows" : "softmax-strided");
    if (outer * len * inner == 0) return;
    b.dispatch(b.pipeline("softmax", "ss", {activationCode(n.act.kind)}), {b.input(0), b.output(0)}, 0b10, push,
               groupCount(static_cast<uint64_t>(outer * inner), 64));
}

}  // namespace percept::vk
