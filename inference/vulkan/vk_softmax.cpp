// SPDX-License-Identifier: Apache-2.0
// The softmax family (shaders/softmax.comp): Softmax, LogSoftmax, Hardmax along the schema's
// canonical `axis`, or along every axis from it on when coerce_2d (the opset < 13 form).
#include "graph/loop_nest.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildSoftmax(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.size());
    const int64_t axis = n.attrInt("axis", -1);
    if (axis < 0 || axis >= rank) b.fail("axis is out of range");
    const graph::AxisSplit s = graph::splitAtAxis(x, axis, n.attrInt("coerce_2d", 0) != 0);
    struct Push {
        uint32_t outer, len, inner;
        float actA, actB;
    } push{static_cast<uint32_t>(s.outer), static_cast<uint32_t>(s.len), static_cast<uint32_t>(s.inner), 0, 0};
    const ActParams ap = activationParams(n.act);
    push.actA = ap.a;
    push.actB = ap.b;
    const uint32_t mode = n.op == graph::OpKind::LogSoftmax ? 1u : n.op == graph::OpKind::Hardmax ? 2u : 0u;
    const char* names[] = {"softmax", "logsoftmax", "hardmax"};
    // A workgroup per row for contiguous rows of 64 or more (not Hardmax, whose first-maximum
    // rule the tree would have to carry indices for).
    const bool rows = s.inner == 1 && s.len >= 64 && mode != 2;
    b.setAlgo(std::string(names[mode]) + (rows ? "-rows-wide" : s.inner == 1 ? "-rows" : "-strided"));
    if (s.outer * s.len * s.inner == 0) return;
    b.dispatch(b.pipeline("softmax", "ss", {activationCode(n.act.kind), mode, rows ? 1u : 0u}), {b.input(0), b.output(0)}, 0b10, push,
               rows ? static_cast<uint32_t>(std::min<int64_t>(s.outer, 65535)) : groupCount(static_cast<uint64_t>(s.outer * s.inner), 64));
}

}  // namespace percept::vk
