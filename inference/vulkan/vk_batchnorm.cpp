// SPDX-License-Identifier: Apache-2.0
// Standalone BatchNormalization, inference form, folded at build time into one multiply-add
// per channel, y = a[c] * x + b[c] (shaders/batchnorm.comp). Most BNs follow a Conv and were
// folded into its weights by a graph pass; this runs the rest.
#include <cmath>

#include "vulkan/vk_op.h"

namespace percept::vk {

void buildBatchNorm(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    if (x.size() < 2) b.fail("needs an input of rank >= 2");
    const int64_t C = x[1];
    auto constant = [&](size_t k, const char* what) {
        if (k >= n.inputs.size() || n.inputs[k] < 0) b.fail(std::string(what) + " is missing");
        const graph::Value& v = g.value(n.inputs[k]);
        if (!v.constant) b.fail(std::string(what) + " must be a constant");
        return v.constant->asFloats();
    };
    const auto scale = constant(1, "scale"), bias = constant(2, "B"), mean = constant(3, "mean"), var = constant(4, "var");
    const size_t c = static_cast<size_t>(C);
    if (scale.size() != c || bias.size() != c || mean.size() != c || var.size() != c)
        b.fail("scale, B, mean and var must each have C = " + std::to_string(C) + " values");
    const float eps = n.attrFloat("epsilon", 1e-5f);
    std::vector<float> ab(2 * c);
    for (size_t k = 0; k < c; ++k) {
        ab[k] = scale[k] / std::sqrt(var[k] + eps);
        ab[c + k] = bias[k] - mean[k] * ab[k];
    }
    int64_t plane = 1;
    for (size_t k = 2; k < x.size(); ++k) plane *= x[k];
    struct Push {
        uint32_t count, C, plane;
        float actA, actB;
    } p{};
    const int64_t count = elementCount(x);
    p.count = static_cast<uint32_t>(count);
    p.C = static_cast<uint32_t>(C);
    p.plane = static_cast<uint32_t>(std::max<int64_t>(plane, 1));
    const ActParams ap = activationParams(n.act);
    p.actA = ap.a;
    p.actB = ap.b;
    b.setAlgo("per-channel-affine");
    const TensorRef w = b.weights(ab);
    if (count == 0) return;
    b.dispatch(b.pipeline("batchnorm", "sss", {activationCode(n.act.kind)}), {b.input(0), w, b.output(0)}, 0b100, p,
               std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024)));
}

}  // namespace percept::vk
