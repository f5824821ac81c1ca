// SPDX-License-Identifier: Apache-2.0
// Standalone pointwise ops (graph/activations.def) and the pointwise copy helpers other
// families use (shaders/unary.comp).
#include <optional>

#include "graph/schemas.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

struct UnaryPush {
    uint32_t count, blk, dstStride, dstStart;
    float a1, b1, a2, b2;
};

// Grid-stride shaders: enough groups to fill any device, few enough that each invocation
// loops a few times (cheap on a CPU device, where every workgroup has a launch cost).
uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

void unary(Builder& b, const TensorRef& x, const TensorRef& y, uint64_t count, uint64_t blk, uint64_t dstStride, uint64_t dstStart,
           bool block, const graph::FusedActivation& first, const graph::FusedActivation& second) {
    if (count == 0) return;
    const ActParams p1 = activationParams(first), p2 = activationParams(second);
    const UnaryPush push{static_cast<uint32_t>(count), static_cast<uint32_t>(std::max<uint64_t>(blk, 1)), static_cast<uint32_t>(dstStride),
                         static_cast<uint32_t>(dstStart), p1.a, p1.b, p2.a, p2.b};
    const Pipeline& pipe = b.pipeline("unary", "ss", {activationCode(first.kind), activationCode(second.kind), block ? 1u : 0u});
    b.dispatch(pipe, {x, y}, 0b10, push, strideGroups(count));
}

}  // namespace

void emitUnary(Builder& b, const TensorRef& x, const TensorRef& y, uint64_t count, const graph::FusedActivation& first,
               const graph::FusedActivation& second) {
    unary(b, x, y, count, 0, 0, 0, false, first, second);
}

void emitBlockCopy(Builder& b, const TensorRef& x, const TensorRef& y, uint64_t outer, uint64_t blk, uint64_t dstStride,
                   uint64_t dstStart, const graph::FusedActivation& act) {
    unary(b, x, y, outer * blk, blk, dstStride, dstStart, true, act, graph::FusedActivation{});
}

void buildActivation(Builder& b) {
    const graph::Node& n = b.node();
    const std::optional<graph::FusedActivation> act = graph::activationOf(n);
    if (!act) b.fail("is not a pointwise function");
    b.setAlgo("pointwise");
    // A boolean constant input (Not) is held as integers on the host: uploaded as floats.
    const graph::Value& x = b.graph().value(n.inputs.at(0));
    const TensorRef in = x.constant && x.constant->dtype != graph::DType::Float32 ? b.weights(x.constant->asFloats()) : b.input(0);
    emitUnary(b, in, b.output(0), static_cast<uint64_t>(elementCount(x.shape)), *act, n.act);
}

}  // namespace percept::vk
