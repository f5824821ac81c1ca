// SPDX-License-Identifier: Apache-2.0
// Ops that move data without arithmetic: Flatten / Reshape / Squeeze / Unsqueeze / Identity /
// Dropout (a buffer copy -- a dense row-major tensor's bytes do not change -- or nothing when
// the memory plan gave the output its input's bytes) and Pad (shaders/pad.comp). The index
// mappings (Transpose, Slice ...) are in vk_strided_copy.cpp.
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

// Pattern of 1.0 in the session's precision, twice for fp16 (fills are 32-bit).
uint32_t onePattern(bool fp16) { return fp16 ? 0x3c003c00u : 0x3f800000u; }

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

}  // namespace

void buildCopy(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const int64_t count = elementCount(g.shapeOf(n.inputs.at(0)));
    if (elementCount(g.shapeOf(n.outputs.at(0))) != count) b.fail("output and input sizes differ");
    b.setAlgo("copy");
    const TensorRef x = b.input(0), y = b.output(0);
    if (count > 0) {
        if (n.act.any()) {
            emitUnary(b, x, y, static_cast<uint64_t>(count), n.act, graph::FusedActivation{});
        } else if (x.res != y.res || x.offset != y.offset) {
            const VkDeviceSize bytes = static_cast<VkDeviceSize>(count) * b.elementBytes();
            b.copy(TensorRef{x.res, x.offset, bytes}, TensorRef{y.res, y.offset, bytes});
        }
    }
    // Dropout's optional mask output: everything kept.
    if (n.op == graph::OpKind::Dropout && n.outputs.size() > 1 && n.outputs[1] >= 0) b.fill(b.output(1), onePattern(b.fp16()));
}

void buildPad(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (x.empty()) b.fail("cannot pad a scalar");
    if (x.size() > 6) b.fail("tensors of rank > 6 are not supported");
    const std::vector<int64_t> pads = n.attrInts("pads");
    if (pads.size() != 2 * x.size()) b.fail("pads must have 2 x rank entries");
    for (int64_t p : pads)
        if (p < 0) b.fail("negative pads (cropping) are not supported");
    const std::string m = n.attrString("mode", "constant");
    uint32_t mode = 0;
    if (m == "reflect") mode = 1;
    else if (m == "edge") mode = 2;
    else if (m == "wrap") mode = 3;
    else if (m != "constant") b.fail("pad mode '" + m + "' is not supported");
    const float value = n.attrFloat("value", 0.0f);  // canonical: the schema copies opset 11's input here
    for (size_t k = 0; k < x.size(); ++k) {
        if (mode == 1 && (pads[k] >= x[k] || pads[k + x.size()] >= x[k]) && x[k] > 1) b.fail("reflect pads must be smaller than the dimension");
        if (mode != 0 && x[k] == 0 && (pads[k] > 0 || pads[k + x.size()] > 0)) b.fail("cannot reflect or extend an empty axis");
    }
    if (n.act.any()) b.fail("a fused activation on Pad is not supported");
    struct Push {
        uint32_t count, rank;
        uint32_t outDims[6];
        uint32_t inDims[6];
        int32_t padBegin[6];
        float value;
    } push{};
    const int64_t count = elementCount(y);
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(x.size());
    for (size_t k = 0; k < x.size(); ++k) {
        push.outDims[k] = static_cast<uint32_t>(y[k]);
        push.inDims[k] = static_cast<uint32_t>(x[k]);
        push.padBegin[k] = static_cast<int32_t>(pads[k]);
    }
    push.value = value;
    static constexpr const char* kAlgo[] = {"pad-constant", "pad-reflect", "pad-edge", "pad-wrap"};
    b.setAlgo(kAlgo[mode]);
    if (count == 0) return;
    b.dispatch(b.pipeline("pad", "ss", {mode}), {b.input(0), b.output(0)}, 0b10, push, strideGroups(static_cast<uint64_t>(count)));
}

}  // namespace percept::vk
