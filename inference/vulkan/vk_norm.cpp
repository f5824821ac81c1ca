// SPDX-License-Identifier: Apache-2.0
// LayerNormalization, InstanceNormalization and MeanVarianceNormalization on Vulkan
// (shaders/norm.comp): one workgroup per row of graph::planReduce's nest over the normalised
// axes, reading the schema's canonical attributes.
#include "vulkan/vk_reduce_nest.h"

namespace percept::vk {

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
            // The engine's channel form (graph::kNormOneAxis): that one axis, read strided.
            const int64_t last = n.attrInt(graph::kNormOneAxis, 0) != 0 ? axis + 1 : rank;
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
