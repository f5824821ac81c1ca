// SPDX-License-Identifier: Apache-2.0
// LayerNormalization, InstanceNormalization and MeanVarianceNormalization on Vulkan
// (shaders/norm.comp): one workgroup per row of graph::planReduce's nest over the normalised
// axes, reading the schema's canonical attributes. The channel form of LayerNormalization
// (graph::kNormOneAxis over an axis that is not the last) takes shaders/norm_channels.comp.
#include <limits>

#include "graph/loop_nest.h"
#include "vulkan/vk_reduce_nest.h"

namespace percept::vk {
namespace {

// LayerNormalization over axis `axis` of x = [outer][C][P] (norm_channels.comp).
void buildChannelNorm(Builder& b, const Shape& x, int64_t axis, bool hasBias) {
    const graph::Node& n = b.node();
    const graph::AxisSplit split = graph::splitAtAxis(x, axis, false);
    const int64_t outer = split.outer, C = split.len, P = split.inner;
    if (outer * C * P > std::numeric_limits<uint32_t>::max()) b.fail("has more elements than the shader's 32-bit indices reach");
    b.setAlgo("norm-channels");
    if (outer * C * P == 0) return;
    // The widest pixel block (whole sectors read per channel, fewer levels of channel sums)
    // that still gives the GPU about as many workgroups as the split reductions aim for, and
    // no more channel groups than channels.
    uint32_t px = 64;
    while (px > 4 && outer * groupCount(P, px) < b.tuning().vulkanSplitWorkgroups && 256 / (px / 2) <= C) px /= 2;
    struct Push {
        uint32_t outer, C, P, blocks;
        float eps;
    } push{static_cast<uint32_t>(outer), static_cast<uint32_t>(C), static_cast<uint32_t>(P), groupCount(P, px), n.attrFloat("epsilon", 1e-5f)};
    const TensorRef in = b.input(0);
    b.dispatch(b.pipeline("norm_channels", "ssss", {hasBias ? 1u : 0u, px}),
               {in, b.input(1), hasBias ? b.input(2) : in, b.output(0)}, 0b1000u, push,
               static_cast<uint32_t>(std::min<int64_t>(outer * push.blocks, 65535)));
}

}  // namespace

void buildNorm(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.size());
    auto present = [](const std::vector<int>& ids, size_t k) { return k < ids.size() && ids[k] >= 0; };
    std::vector<int64_t> axes;
    uint32_t affine = 0;
    float epsIn = 0.0f, epsOut = 0.0f;
    uint32_t channels = 1;
    switch (n.op) {
        case graph::OpKind::LayerNormalization: {
            const int64_t axis = n.attrInt("axis", -1);
            if (axis < 0 || axis >= rank) b.fail("axis is out of range");
            const bool oneAxis = n.attrInt(graph::kNormOneAxis, 0) != 0;
            if (oneAxis && axis + 1 < rank && !present(n.outputs, 1) && !present(n.outputs, 2)) {
                if (!present(n.inputs, 1)) b.fail("the scale input is missing");
                return buildChannelNorm(b, x, axis, present(n.inputs, 2));
            }
            // The engine's channel form (graph::kNormOneAxis): that one axis, read strided.
            const int64_t last = oneAxis ? axis + 1 : rank;
            for (int64_t a = axis; a < last; ++a) axes.push_back(a);
            affine = 1;
            epsIn = n.attrFloat("epsilon", 1e-5f);
            break;
        }
        case graph::OpKind::InstanceNormalization:
            if (rank < 3) b.fail("needs an input of rank >= 3");
            for (int64_t a = 2; a < rank; ++a) axes.push_back(a);
            affine = 2;
            epsIn = n.attrFloat("epsilon", 1e-5f);
            channels = static_cast<uint32_t>(x[1]);
            break;
        case graph::OpKind::MeanVarianceNormalization:
            axes = n.attrInts("axes");
            epsOut = 1e-9f;  // ONNX's function body: (x - mean) / (sqrt(var) + 1e-9)
            break;
        default: b.fail("is not a normalisation");
    }
    const ReduceNestPush nest = reduceNestPush(b, graph::planReduce(x, axes));
    struct Push {
        ReduceNestPush nest;
        float epsIn, epsOut;
        uint32_t channels;
    } push{nest, epsIn, epsOut, channels};
    const bool hasBias = affine != 0 && present(n.inputs, 2);
    const bool hasMean = n.op == graph::OpKind::LayerNormalization && present(n.outputs, 1);
    const bool hasInv = n.op == graph::OpKind::LayerNormalization && present(n.outputs, 2);
    b.setAlgo("norm-rows");
    if (nest.outCount == 0 || nest.redCount == 0) return;
    // Bindings a variant does not use are given the input (never written).
    const TensorRef in = b.input(0);
    const TensorRef scale = affine ? b.input(1) : in, bias = hasBias ? b.input(2) : in;
    const TensorRef mean = hasMean ? b.output(1) : in, inv = hasInv ? b.output(2) : in;
    const uint32_t writes = 0b1000u | (hasMean ? 0b10000u : 0u) | (hasInv ? 0b100000u : 0u);
    b.dispatch(b.pipeline("norm", "ssssss", {affine, hasBias ? 1u : 0u, hasMean ? 1u : 0u, hasInv ? 1u : 0u}),
               {in, scale, bias, b.output(0), mean, inv}, writes, push, std::min<uint32_t>(nest.outCount, 4096));
}

}  // namespace percept::vk
