// SPDX-License-Identifier: Apache-2.0
// Local response normalisation across channels (shaders/lrn.comp).
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildLrn(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    if (x.size() < 2) b.fail("needs an input of rank >= 2");
    const int64_t size = n.attrInt("size", 0);
    if (size <= 0) b.fail("attribute 'size' must be positive");
    int64_t plane = 1;
    for (size_t k = 2; k < x.size(); ++k) plane *= x[k];
    struct Push {
        uint32_t count, C, plane, before, after;
        float scale, beta, bias, actA, actB;
    } p{};
    const int64_t count = elementCount(x);
    p.count = static_cast<uint32_t>(count);
    p.C = static_cast<uint32_t>(x[1]);
    p.plane = static_cast<uint32_t>(plane);
    p.before = static_cast<uint32_t>((size - 1) / 2);
    p.after = static_cast<uint32_t>(size - 1 - (size - 1) / 2);
    p.scale = n.attrFloat("alpha", 1e-4f) / static_cast<float>(size);
    p.beta = n.attrFloat("beta", 0.75f);
    p.bias = n.attrFloat("bias", 1.0f);
    const ActParams ap = activationParams(n.act);
    p.actA = ap.a;
    p.actB = ap.b;
    b.setAlgo("lrn");
    if (count == 0) return;
    b.dispatch(b.pipeline("lrn", "ss", {activationCode(n.act.kind)}), {b.input(0), b.output(0)}, 0b10, p,
               std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024)));
}

}  // namespace percept::vk
