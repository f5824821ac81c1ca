// SPDX-License-Identifier: Apache-2.0
// Every pure index mapping (Transpose, Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth)
// as its graph::viewOf view, one per output: a buffer copy when the view is one contiguous
// run, else shaders/strided_copy.comp. Cast / CastLike too: the Truncate / NonZero pointwise
// functions through emitUnary, float16 through the strided copy's half-precision round trip.
#include "graph/strided_view.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

// y = x read through view v (element offsets relative to the refs).
void emitViewCopy(Builder& b, const graph::StridedView& v, const TensorRef& x, const TensorRef& y, bool roundHalf) {
    const int64_t count = v.count();
    if (count == 0) return;
    const VkDeviceSize eb = b.elementBytes();
    if (!roundHalf && v.dims.size() == 1 && v.st[0] == 1) {
        const VkDeviceSize bytes = static_cast<VkDeviceSize>(count) * eb;
        const VkDeviceSize src = x.offset + static_cast<VkDeviceSize>(v.offset) * eb;
        if (x.res == y.res && src == y.offset) return;  // the memory plan made them one (a view of its input)
        b.copy(TensorRef{x.res, src, bytes}, TensorRef{y.res, y.offset, bytes});
        return;
    }
    if (v.dims.size() > 12) b.fail("a copy of more than 12 axes (after merging) is not supported");
    struct Push {
        uint32_t count, rank;
        int32_t offset;
        uint32_t dims[12];
        int32_t st[12];
    } push{};
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(v.dims.size());
    push.offset = static_cast<int32_t>(v.offset);
    for (size_t k = 0; k < v.dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(v.dims[k]);
        push.st[k] = static_cast<int32_t>(v.st[k]);
    }
    b.dispatch(b.pipeline("strided_copy", "ss", {roundHalf ? 1u : 0u}), {x, y}, 0b10, push, strideGroups(static_cast<uint64_t>(count)));
}

}  // namespace

void buildStridedCopy(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    if (n.act.any()) b.fail("a fused activation on a strided copy is not supported");
    bool contiguous = true;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
        if (n.outputs[k] < 0) continue;
        const graph::StridedView v = graph::viewOf(g, n, k);
        contiguous &= v.dims.size() == 1 && v.st[0] == 1;
        emitViewCopy(b, v, b.input(0), b.output(k), false);
    }
    b.setAlgo(contiguous ? "copy" : "strided");
}

void buildCast(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const std::string convert = n.attrString("convert", "");
    const int64_t count = elementCount(g.shapeOf(n.inputs.at(0)));
    if (n.act.any()) b.fail("a fused activation on Cast is not supported");
    graph::FusedActivation act;
    if (convert == "truncate") act.kind = graph::Activation::Truncate;
    else if (convert == "nonzero") act.kind = graph::Activation::NonZero;
    else if (convert != "copy" && convert != "half") b.fail("internal error: the cast is not canonical");
    if (act.any()) {
        b.setAlgo("pointwise");
        emitUnary(b, b.input(0), b.output(0), static_cast<uint64_t>(count), act, graph::FusedActivation{});
        return;
    }
    // fp16 storage holds every value in half precision already: the round trip is the store.
    const bool half = convert == "half" && !b.fp16();
    b.setAlgo(half ? "cast-fp16" : "copy");
    emitViewCopy(b, graph::StridedView::dense({count}).merged(), b.input(0), b.output(0), half);
}

}  // namespace percept::vk
