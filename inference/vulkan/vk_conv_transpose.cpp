// SPDX-License-Identifier: Apache-2.0
// ConvTranspose, 1-D to 3-D (shaders/conv_transpose.comp): the gather form, 8 output channels
// of one output position per invocation, the weights repacked once as
// [group][block of 8 channels][tap][c][8].
#include <numeric>

#include "graph/window.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildConvTranspose(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& ws = g.shapeOf(n.inputs.at(1));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (ws.size() != x.size()) b.fail("weights " + shapeToString(ws) + " do not have the input's rank");
    const graph::Spatial3 s = graph::spatial3(n, x, y);
    const int64_t N = x[0], C = x[1], M = y[1], group = n.attrInt("group", 1);
    if (group <= 0 || C % group || M % group || ws[0] != C || ws[1] * group != M || elementCount(ws) != C * (M / group) * s.taps())
        b.fail("weights " + shapeToString(ws) + " do not match input " + shapeToString(x) + " with group " + std::to_string(group));
    const graph::Value& wv = g.value(n.inputs[1]);
    if (!wv.constant) b.fail("weights must be a constant");
    const std::vector<float> w = wv.constant->asFloats();
    const int64_t Cg = C / group, Mg = M / group, taps = s.taps(), mBlocks = (Mg + 7) / 8, P = s.outPlane();
    std::vector<float> bias(static_cast<size_t>(M), 0.0f);
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        const graph::Value& bv = g.value(n.inputs[2]);
        if (!bv.constant) b.fail("bias must be a constant");
        bias = bv.constant->asFloats();
        if (static_cast<int64_t>(bias.size()) != M) b.fail("bias must have " + std::to_string(M) + " values");
    }
    // W[c][m][tap] -> packed[g][mb][tap][c][lane], lane = m % 8.
    std::vector<float> packed(static_cast<size_t>(group * mBlocks * taps * Cg * 8), 0.0f), pbias(static_cast<size_t>(group * mBlocks * 8), 0.0f);
    for (int64_t gi = 0; gi < group; ++gi)
        for (int64_t m = 0; m < Mg; ++m) {
            const int64_t mb = m / 8, lane = m % 8;
            for (int64_t c = 0; c < Cg; ++c)
                for (int64_t t = 0; t < taps; ++t)
                    packed[static_cast<size_t>((((gi * mBlocks + mb) * taps + t) * Cg + c) * 8 + lane)] =
                        w[static_cast<size_t>(((gi * Cg + c) * Mg + m) * taps + t)];
            pbias[static_cast<size_t>((gi * mBlocks + mb) * 8 + lane)] = bias[static_cast<size_t>(gi * Mg + m)];
        }
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    const ActParams ap = activationParams(n.act);
    struct Push {
        uint32_t C, D, H, W, M, OD, OH, OW;
        int32_t pf, pt, pl;
        uint32_t Cg, Mg, mBlocks, count;
        float actA, actB;
    } p{u32(C), u32(s.in[0]), u32(s.in[1]), u32(s.in[2]), u32(M), u32(s.out[0]), u32(s.out[1]), u32(s.out[2]),
        static_cast<int32_t>(s.padBegin[0]), static_cast<int32_t>(s.padBegin[1]), static_cast<int32_t>(s.padBegin[2]), u32(Cg), u32(Mg),
        u32(mBlocks), u32(mBlocks * P), ap.a, ap.b};
    b.setAlgo("convtranspose-gather");
    if (N * M * P == 0) return;
    // lavapipe ends an invocation after about 65535 loop iterations: per output, every tap is
    // visited and the channel loop runs for the taps that hit an input (along an axis at most
    // ceil(k / (stride / gcd(stride, dilation))) of them).
    int64_t hits = 1;
    for (int a = 0; a < 3; ++a) {
        const int64_t period = s.stride[a] / std::gcd(s.stride[a], s.dilation[a]);
        hits *= (s.kernel[a] + period - 1) / period;
    }
    const uint32_t groups = std::max<uint32_t>(1, std::min<uint32_t>(groupCount(p.count, 64), 65535));
    const int64_t perInvocation = (p.count + groups * 64 - 1) / (groups * 64);
    if (perInvocation * (taps + hits * Cg) > 60000)
        b.fail("too long a reduction per output (" + std::to_string(hits * Cg) + " channel-taps) for one shader invocation");
    const std::vector<uint32_t> spec = {activationCode(n.act.kind), u32(s.kernel[0]), u32(s.kernel[1]), u32(s.kernel[2]),
                                        u32(s.stride[0]), u32(s.stride[1]), u32(s.stride[2]), u32(s.dilation[0]), u32(s.dilation[1]), u32(s.dilation[2])};
    b.dispatch(b.pipeline("conv_transpose", "ttts", spec), {texel1(b.input(0)), texel4(b.weights(packed)), texel4(b.weights(pbias)), b.output(0)},
               0b1000, p, groups, u32(group), u32(N));
}

}  // namespace percept::vk
