// SPDX-License-Identifier: Apache-2.0
// Resize / Upsample: graph::planResize's per-axis tap tables as 32-bit words (weights as
// their float bits) for shaders/resize.comp.
#include <cstring>

#include "graph/resize_plan.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildResize(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    if (n.act.any()) b.fail("a fused activation on Resize is not supported");
    const graph::ResizePlan p = graph::planResize(g, n);
    const size_t rank = p.axes.size();
    if (rank == 0 || rank > 8) b.fail("Resize of rank " + std::to_string(rank) + " is not supported (1 to 8)");
    const int64_t count = elementCount(g.shapeOf(n.outputs.at(0)));
    bool nearest = true;
    for (const auto& a : p.axes) nearest &= a.taps == 1;
    b.setAlgo(nearest ? "resize-nearest" : "resize-taps");
    if (count == 0) return;
    std::vector<uint32_t> plan(6 * rank, 0);
    int64_t stride = 1;
    for (size_t k = rank; k-- > 0;) {
        const graph::ResizeAxis& a = p.axes[k];
        uint32_t* h = plan.data() + 6 * k;
        h[0] = static_cast<uint32_t>(a.out);
        h[1] = static_cast<uint32_t>(a.taps);
        h[2] = static_cast<uint32_t>(plan.size());
        for (int32_t i : a.index) plan.push_back(static_cast<uint32_t>(i));
        h = plan.data() + 6 * k;  // push_back may have moved the header
        h[3] = static_cast<uint32_t>(plan.size());
        for (float w : a.weight) {
            uint32_t bits;
            std::memcpy(&bits, &w, 4);
            plan.push_back(bits);
        }
        h = plan.data() + 6 * k;
        h[4] = static_cast<uint32_t>(plan.size());
        for (uint8_t o : a.outside) plan.push_back(o);
        h = plan.data() + 6 * k;
        h[5] = static_cast<uint32_t>(stride);
        stride *= a.in;
    }
    struct Push {
        uint32_t count, rank;
        float extrapolation;
    } push{static_cast<uint32_t>(count), static_cast<uint32_t>(rank), p.extrapolation};
    b.dispatch(b.pipeline("resize", "sss"), {b.input(0), b.rawWeights(plan), b.output(0)}, 0b100, push,
               std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024)));
}

}  // namespace percept::vk
