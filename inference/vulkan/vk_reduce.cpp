// SPDX-License-Identifier: Apache-2.0
// The reductions and the other ops along one axis on Vulkan: Reduce* and GlobalMaxPool
// (shaders/reduce.comp, over graph::planReduce's nest), ArgMax / ArgMin (argmax.comp) and
// CumSum (cumsum.comp), reading the schema's canonical attributes.
#include "vulkan/vk_reduce_nest.h"

namespace percept::vk {
namespace {

using graph::OpKind;

// reduce.comp's OP codes (RED_*), in its order.
uint32_t reduceCode(Builder& b, OpKind k) {
    switch (k) {
        case OpKind::ReduceSum: return 0;
        case OpKind::ReduceMean: return 1;
        case OpKind::ReduceMax:
        case OpKind::GlobalMaxPool: return 2;
        case OpKind::ReduceMin: return 3;
        case OpKind::ReduceProd: return 4;
        case OpKind::ReduceL1: return 5;
        case OpKind::ReduceL2: return 6;
        case OpKind::ReduceSumSquare: return 7;
        case OpKind::ReduceLogSum: return 8;
        case OpKind::ReduceLogSumExp: return 9;
        default: b.fail("is not a reduction");
    }
}

// Grid-stride shaders: enough groups to fill any device, a bounded number on lavapipe.
uint32_t strideGroups(uint64_t items, uint64_t perGroup, uint32_t cap) {
    return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(items, perGroup), cap));
}

// The [outer, len, inner] push of the single-axis ops.
struct AxisPush {
    uint32_t outer, len, inner;
};
AxisPush axisPush(Builder& b, const Shape& x, int64_t axis) {
    if (axis < 0 || axis >= static_cast<int64_t>(x.size())) b.fail("axis is out of range");
    if (elementCount(x) > int64_t{UINT32_MAX}) b.fail("the input is too large for 32-bit indices");
    const graph::AxisSplit s = graph::splitAtAxis(x, axis);
    return {static_cast<uint32_t>(s.outer), static_cast<uint32_t>(s.len), static_cast<uint32_t>(s.inner)};
}

}  // namespace

ReduceNestPush reduceNestPush(Builder& b, const graph::ReduceNest& nest) {
    if (nest.keptDims.size() > 4 || nest.redDims.size() > 4) b.fail("more than 4 blocks of kept or reduced axes");
    const int64_t limit = int64_t{UINT32_MAX};
    ReduceNestPush p{};
    auto put = [&](int64_t v) {
        if (v > limit) b.fail("the input is too large for 32-bit indices");
        return static_cast<uint32_t>(v);
    };
    p.outCount = put(nest.outputs());
    p.redCount = put(nest.reduced());
    p.nKept = static_cast<uint32_t>(nest.keptDims.size());
    p.nRed = static_cast<uint32_t>(nest.redDims.size());
    for (size_t k = 0; k < nest.keptDims.size(); ++k) p.keptDims[k] = put(nest.keptDims[k]), p.keptStrides[k] = put(nest.keptStrides[k]);
    for (size_t k = 0; k < nest.redDims.size(); ++k) p.redDims[k] = put(nest.redDims[k]), p.redStrides[k] = put(nest.redStrides[k]);
    return p;
}

void buildReduce(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::ReduceNest nest = graph::planReduce(g.shapeOf(n.inputs.at(0)), n.attrInts("axes"));
    const ReduceNestPush push = reduceNestPush(b, nest);
    const uint32_t op = reduceCode(b, n.op);
    // Long reductions get a workgroup each; short ones an invocation each.
    const bool group = push.redCount >= 128;
    b.setAlgo(group ? "reduce-group" : "reduce-thread");
    if (push.outCount == 0) return;
    const uint32_t groups = group ? std::min<uint32_t>(push.outCount, 4096) : strideGroups(push.outCount, 64, 4096);
    b.dispatch(b.pipeline("reduce", "ss", {op, group ? 1u : 0u}), {b.input(0), b.output(0)}, 0b10, push, groups);
}

void buildArgExtreme(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const AxisPush push = axisPush(b, g.shapeOf(n.inputs.at(0)), n.attrInt("axis", 0));
    if (push.len == 0) b.fail("cannot take the index of an extreme along an empty axis");
    const bool isMax = n.op == OpKind::ArgMax;
    b.setAlgo(isMax ? "argmax" : "argmin");
    const uint64_t columns = uint64_t{push.outer} * push.inner;
    if (columns == 0) return;
    b.dispatch(b.pipeline("argmax", "ss", {isMax ? 1u : 0u, n.attrInt("select_last_index", 0) != 0 ? 1u : 0u}), {b.input(0), b.output(0)},
               0b10, push, strideGroups(columns, 64, 4096));
}

void buildCumSum(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const AxisPush push = axisPush(b, g.shapeOf(n.inputs.at(0)), n.attrInt("axis", 0));
    b.setAlgo("cumsum");
    const uint64_t columns = uint64_t{push.outer} * push.inner;
    if (columns == 0 || push.len == 0) return;
    b.dispatch(b.pipeline("cumsum", "ss", {n.attrInt("exclusive", 0) != 0 ? 1u : 0u, n.attrInt("reverse", 0) != 0 ? 1u : 0u}),
               {b.input(0), b.output(0)}, 0b10, push, strideGroups(columns, 64, 4096));
}

}  // namespace percept::vk
