// SPDX-License-Identifier: Apache-2.0
// Trilu: shaders/trilu.comp, the triangle kept by a comparison per value.
#include <algorithm>
#include <climits>

#include "vulkan/vk_op.h"

namespace percept::vk {

void buildTrilu(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    if (x.size() < 2) b.fail("the input must have at least 2 axes");
    if (n.act.any()) b.fail("a fused activation on Trilu is not supported");
    const int64_t count = elementCount(x), k = n.attrInt("k", 0);
    const bool upper = n.attrInt("upper", 1) != 0;
    b.setAlgo(upper ? "triu" : "tril");
    if (count == 0) return;
    struct Push {
        uint32_t count, rows, cols;
        int32_t k;
    } push{static_cast<uint32_t>(count), static_cast<uint32_t>(x[x.size() - 2]), static_cast<uint32_t>(x.back()),
           static_cast<int32_t>(std::clamp<int64_t>(k, INT32_MIN / 2, INT32_MAX / 2))};
    b.dispatch(b.pipeline("trilu", "ss", {upper ? 1u : 0u}), {b.input(0), b.output(0)}, 0b10, push,
               std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024)));
}

}  // namespace percept::vk
