// SPDX-License-Identifier: Apache-2.0
// Concat along any axis: per input, one block copy (shaders/unary.comp, BLOCK mode) of
// `outer` rows of its extent on the axis times everything after, into its column of the
// output's rows. At batch 1 on the channel axis that is one contiguous copy per input, and none
// for a part the memory plan placed inside the output already (graph::ConcatPlacement::
// InPlaceAligned: its producer wrote it there; SqueezeNet's fire modules): only a fused
// activation is applied to it, in place.
#include "vulkan/vk_op.h"

namespace percept::vk {

ConcatRows concatRows(Builder& b) {
    const Shape& y = b.graph().shapeOf(b.node().outputs.at(0));
    const int64_t rank = static_cast<int64_t>(y.size());
    ConcatRows r;
    r.axis = b.node().attrInt("axis", 0);
    if (r.axis < -rank || r.axis >= rank) b.fail("axis is out of range");
    if (r.axis < 0) r.axis += rank;
    for (int64_t k = 0; k < r.axis; ++k) r.outer *= y[static_cast<size_t>(k)];
    for (int64_t k = r.axis + 1; k < rank; ++k) r.inner *= y[static_cast<size_t>(k)];
    r.outBlock = y[static_cast<size_t>(r.axis)] * r.inner;
    for (int in : b.node().inputs)
        if (static_cast<int64_t>(b.graph().shapeOf(in).size()) != rank) b.fail("inputs have different ranks");
    return r;
}

void buildConcat(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const ConcatRows rows = concatRows(b);
    const int64_t axis = rows.axis, outer = rows.outer, inner = rows.inner, outBlock = rows.outBlock;
    const TensorRef out = b.output(0);
    int64_t start = 0;
    b.setAlgo("copy");
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const Shape& s = g.shapeOf(n.inputs[k]);
        const int64_t blk = s[static_cast<size_t>(axis)] * inner;
        if (blk > 0 && outer > 0) {
            const TensorRef in = b.input(k);
            const VkDeviceSize at = out.offset + static_cast<VkDeviceSize>(start) * b.elementBytes();
            if (outer == 1 && in.res == out.res && in.offset == at) {
                if (n.act.any()) emitUnary(b, in, in, static_cast<uint64_t>(blk), n.act, {});
            } else if (outer == 1 && !n.act.any()) {
                // One contiguous run: a buffer copy.
                const VkDeviceSize eb = b.elementBytes();
                b.copy(TensorRef{in.res, in.offset, static_cast<VkDeviceSize>(blk) * eb},
                       TensorRef{out.res, out.offset + static_cast<VkDeviceSize>(start) * eb, static_cast<VkDeviceSize>(blk) * eb});
            } else {
                emitBlockCopy(b, in, out, static_cast<uint64_t>(outer), static_cast<uint64_t>(blk), static_cast<uint64_t>(outBlock),
                              static_cast<uint64_t>(start), n.act);
            }
        }
        start += blk;
    }
}

}  // namespace percept::vk
