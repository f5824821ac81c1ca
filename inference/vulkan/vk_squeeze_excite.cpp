// SPDX-License-Identifier: Apache-2.0
// A squeeze-and-excitation block as one step (shaders/squeeze_excite.comp): the channel means,
// the hidden vector, the gate (both matrix-vector products with their activations) and the
// channel scale: four dispatches for the block's four nodes, and the Mul's per-channel
// broadcast becomes a plane-wise scale. (Until 5 Dec the means took one invocation per plane
// and the gate one workgroup per image: on an H100 EfficientNet-B0's 16 blocks took 1.48 of
// its 2.28 ms, its first block, 32 planes of 112x112 on 32 invocations, 0.30 ms.)
#include "graph/fusion.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

bool fitsSqueezeExcite(const graph::Graph& g, const graph::SqueezeExcite& se) {
    const Shape& x = g.shapeOf(g.nodes.at(se.pool).inputs.at(0));
    const int64_t N = x[0], C = x[1], Cr = g.shapeOf(g.nodes.at(se.reduce).inputs.at(1))[0], plane = elementCount(x) / std::max<int64_t>(N * C, 1);
    // The hidden vector takes a workgroup per (r, n), the gate an invocation per (n, c) (at
    // most 65535 workgroups a dimension). lavapipe ends an invocation after about 65535 loop
    // iterations: the means' loops run plane / 64, the hidden vector's C / 64 and the gate's Cr.
    return Cr >= 1 && N <= 65535 && N * C <= 65535 * 64 && plane / 64 < 60000 && C / 64 < 60000 && Cr < 60000;
}

void buildSqueezeExcite(Builder& b, const graph::SqueezeExcite& se) {
    const graph::Graph& g = b.graph();
    const graph::Node& reduce = g.nodes.at(se.reduce);
    const graph::Node& expand = g.nodes.at(se.expand);
    const graph::Node& mul = g.nodes.at(se.mul);
    const Shape& x = g.shapeOf(g.nodes.at(se.pool).inputs.at(0));
    if (!fitsSqueezeExcite(g, se)) b.fail("the squeeze-and-excitation block does not fit the fused shader");
    const int64_t N = x[0], C = x[1], Cr = g.shapeOf(reduce.inputs.at(1))[0], plane = elementCount(x) / (N * C);
    // [W1 | b1 | W2 | b2]
    std::vector<float> blob;
    blob.reserve(static_cast<size_t>(2 * C * Cr + C + Cr));
    for (const graph::Node* n : {&reduce, &expand}) {
        const std::vector<float> w = g.value(n->inputs.at(1)).constant->asFloats();
        blob.insert(blob.end(), w.begin(), w.end());
        const int64_t rows = n == &reduce ? Cr : C;
        if (n->inputs.size() > 2 && n->inputs[2] >= 0) {
            const std::vector<float> bias = g.value(n->inputs[2]).constant->asFloats();
            blob.insert(blob.end(), bias.begin(), bias.end());
        } else {
            blob.insert(blob.end(), static_cast<size_t>(rows), 0.0f);
        }
    }
    const ActParams a1 = activationParams(reduce.act), a2 = activationParams(expand.act), ao = activationParams(mul.act);
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    struct Push {
        uint32_t N, C, Cr, plane;
        float act1A, act1B, act2A, act2B, outA, outB;
    } p{u32(N), u32(C), u32(Cr), u32(plane), a1.a, a1.b, a2.a, a2.b, ao.a, ao.b};
    b.setAlgo("squeeze-excite");
    if (N * C * plane == 0) return;
    const bool vec4 = plane % 4 == 0;
    const TensorRef xr = vec4 ? texel4(b.input(0)) : texel1(b.input(0)), wr = texel1(b.weights(blob));
    const TensorRef work = b.workspace(static_cast<VkDeviceSize>((2 * N * C + N * Cr) * 4));
    const TensorRef y = b.output(0);
    auto pipeline = [&](uint32_t mode) {
        return &b.pipeline("squeeze_excite", "ttss", {mode, activationCode(reduce.act.kind), activationCode(expand.act.kind), activationCode(mul.act.kind), vec4 ? 1u : 0u});
    };
    const uint64_t quads = static_cast<uint64_t>(N * C * ((plane + 3) / 4));
    b.dispatch(*pipeline(0), {xr, wr, work, y}, 0b0100, p, u32(std::min<int64_t>(N * C, 65535)));
    b.dispatch(*pipeline(1), {xr, wr, work, y}, 0b0100, p, u32(Cr), u32(N));
    b.dispatch(*pipeline(2), {xr, wr, work, y}, 0b0100, p, groupCount(static_cast<uint64_t>(N * C), 64));
    b.dispatch(*pipeline(3), {xr, wr, work, y}, 0b1000, p, std::max<uint32_t>(1, std::min<uint32_t>(groupCount(quads, 64), 4096)));
}

}  // namespace percept::vk
