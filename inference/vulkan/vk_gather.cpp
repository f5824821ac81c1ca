// SPDX-License-Identifier: Apache-2.0
// The indexed copies: Gather, GatherElements, GatherND, Compress (shaders/gather.comp, the plan of
// graph::planGather as 32-bit words) and ScatterElements, ScatterND (the data copied into the
// output, then shaders/scatter.comp over graph::planScatter's groups).
#include <cstring>

#include "graph/gather_plan.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

uint32_t word(const Builder& b, int64_t v) {
    if (v < INT32_MIN || v > INT32_MAX) b.fail("an offset does not fit 32 bits");
    return static_cast<uint32_t>(static_cast<int32_t>(v));
}

// A tensor input as the shaders read it: arena or float constant as it is; an integer
// constant (a table the indices pick from) converted to the session's floats.
TensorRef dataInput(Builder& b, size_t k) {
    const graph::Value& v = b.graph().value(b.node().inputs.at(k));
    if (!v.constant || v.constant->dtype == graph::DType::Float32) return b.input(k);
    for (int64_t i : v.constant->i)
        if (i > (int64_t{1} << 24) || i < -(int64_t{1} << 24)) b.fail("the integer table holds values beyond 2^24, which run-time integers cannot");
    return b.weights(v.constant->asFloats());
}

}  // namespace

void buildGather(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    if (n.act.any()) b.fail("a fused activation on a gather is not supported");
    const graph::GatherPlan p = graph::planGather(g, n);
    int64_t count = 1;
    for (int64_t d : p.dims) count *= d;
    std::vector<uint32_t> plan;
    for (const auto* v : {&p.dims, &p.dataSt, &p.idxSt, &p.limit, &p.compSt})
        for (int64_t x : *v) plan.push_back(word(b, x));
    const bool constant = n.op == graph::OpKind::Compress || g.value(n.inputs.at(1)).constant;
    TensorRef idx;
    if (constant) {
        std::vector<uint32_t> words;
        for (int64_t i : graph::constantIndices(g, n)) words.push_back(word(b, i));  // checked in range at load
        idx = b.rawWeights(words);
    } else {
        idx = b.input(1);
    }
    b.setAlgo(constant ? "gather" : "gather-computed");
    if (count == 0) return;
    struct Push {
        uint32_t count, rank, comps;
    } push{static_cast<uint32_t>(count), static_cast<uint32_t>(p.dims.size()), static_cast<uint32_t>(p.limit.size())};
    b.dispatch(b.pipeline("gather", "ssss", {constant ? 0u : 1u}), {dataInput(b, 0), idx, b.rawWeights(plan), b.output(0)}, 0b1000, push,
               strideGroups(static_cast<uint64_t>(count)));
}

void buildScatter(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    if (n.act.any()) b.fail("a fused activation on a scatter is not supported");
    const graph::ScatterPlan p = graph::planScatter(g, n);
    const int64_t count = elementCount(g.shapeOf(n.inputs.at(0)));
    b.setAlgo("scatter");
    if (count == 0) return;
    const TensorRef data = dataInput(b, 0), out = b.output(0);
    const VkDeviceSize bytes = static_cast<VkDeviceSize>(count) * b.elementBytes();
    b.copy(TensorRef{data.res, data.offset, bytes}, TensorRef{out.res, out.offset, bytes});
    const int64_t groups = static_cast<int64_t>(p.target.size());
    if (groups == 0 || p.slice == 0) return;
    std::vector<uint32_t> plan;
    for (const auto* v : {&p.target, &p.first, &p.update})
        for (int64_t x : *v) plan.push_back(word(b, x));
    struct Push {
        uint32_t count, groups, slice;
    } push{static_cast<uint32_t>(groups * p.slice), static_cast<uint32_t>(groups), static_cast<uint32_t>(p.slice)};
    b.dispatch(b.pipeline("scatter", "sss", {static_cast<uint32_t>(p.reduce)}), {dataInput(b, 2), b.rawWeights(plan), out}, 0b100, push,
               strideGroups(static_cast<uint64_t>(groups * p.slice)));
}

}  // namespace percept::vk
