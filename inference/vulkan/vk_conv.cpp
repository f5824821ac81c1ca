// 2-D convolution, NCHW. Two kernels:
//  - "depthwise" (group == C == M): shaders/conv_depthwise.comp, one output value per invocation.
//  - "conv-gemm": everything else, an implicit GEMM (shaders/conv.comp) over 4 output channels x
//    4 pixels per invocation, with the weights repacked as [group][m-block][k][4].
// Bias and the fused activation are applied as each output is stored.
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildConv(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& ws = g.shapeOf(n.inputs.at(1));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (x.size() != 4 || ws.size() != 4 || y.size() != 4) b.fail("only 2-D convolutions on NCHW tensors are supported");
    const int64_t N = x[0], C = x[1], H = x[2], W = x[3], M = y[1], OH = y[2], OW = y[3], kh = ws[2], kw = ws[3];
    const int64_t group = n.attrInt("group", 1);
    if (group <= 0 || C % group || M % group || ws[1] * group != C || ws[0] != M)
        b.fail("weights " + shapeToString(ws) + " do not match input " + shapeToString(x) + " with group " + std::to_string(group));
    const int64_t Cg = C / group, Mg = M / group;
    const auto strides = n.attrInts("strides", {1, 1}), dil = n.attrInts("dilations", {1, 1}), pads = n.attrInts("pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) b.fail("strides/dilations/pads must describe 2 spatial axes");
    const graph::Value& wv = g.value(n.inputs[1]);
    if (!wv.constant) b.fail("weights must be a constant");
    const std::vector<float> w = wv.constant->asFloats();
    std::vector<float> bias(static_cast<size_t>(M), 0.0f);
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        const graph::Value& bv = g.value(n.inputs[2]);
        if (!bv.constant) b.fail("bias must be a constant");
        bias = bv.constant->asFloats();
        if (static_cast<int64_t>(bias.size()) != M) b.fail("bias must have " + std::to_string(M) + " values");
    }
    const ActParams ap = activationParams(n.act);
    const uint32_t act = activationCode(n.act.kind);
    const int64_t P = OH * OW;
    if (N * M * P == 0) return;

    if (group == C && Cg == 1 && Mg == 1) {
        b.setAlgo("depthwise");
        struct Push {
            uint32_t C, H, W, OH, OW;
            uint32_t kh, kw, sh, sw, dh, dw;
            int32_t pt, pl;
            float actA, actB;
        } p{static_cast<uint32_t>(C), static_cast<uint32_t>(H), static_cast<uint32_t>(W), static_cast<uint32_t>(OH), static_cast<uint32_t>(OW),
            static_cast<uint32_t>(kh), static_cast<uint32_t>(kw), static_cast<uint32_t>(strides[0]), static_cast<uint32_t>(strides[1]),
            static_cast<uint32_t>(dil[0]), static_cast<uint32_t>(dil[1]), static_cast<int32_t>(pads[0]), static_cast<int32_t>(pads[1]),
            ap.a, ap.b};
        const TensorRef wr = b.weights(w), br = b.weights(bias);
        b.dispatch(b.pipeline("conv_depthwise", 4, {act}), {b.input(0), wr, br, b.output(0)}, 0b1000, p, groupCount(static_cast<uint64_t>(P), 64),
                   static_cast<uint32_t>(C), static_cast<uint32_t>(N));
        return;
    }

    b.setAlgo("conv-gemm");
    const int64_t K = Cg * kh * kw, mBlocks = (Mg + 3) / 4;
    std::vector<float> packed(static_cast<size_t>(group * mBlocks * K * 4), 0.0f), pbias(static_cast<size_t>(group * mBlocks * 4), 0.0f);
    for (int64_t gi = 0; gi < group; ++gi)
        for (int64_t m = 0; m < Mg; ++m) {
            const int64_t mb = m / 4, lane = m % 4, om = gi * Mg + m;
            for (int64_t k = 0; k < K; ++k) packed[static_cast<size_t>(((gi * mBlocks + mb) * K + k) * 4 + lane)] = w[static_cast<size_t>(om * K + k)];
            pbias[static_cast<size_t>((gi * mBlocks + mb) * 4 + lane)] = bias[static_cast<size_t>(om)];
        }
    struct Push {
        uint32_t C, H, W, M, OH, OW;
        uint32_t kh, kw, sh, sw, dh, dw;
        int32_t pt, pl;
        uint32_t Cg, Mg, mBlocks;
        float actA, actB;
    } p{static_cast<uint32_t>(C), static_cast<uint32_t>(H), static_cast<uint32_t>(W), static_cast<uint32_t>(M), static_cast<uint32_t>(OH),
        static_cast<uint32_t>(OW), static_cast<uint32_t>(kh), static_cast<uint32_t>(kw), static_cast<uint32_t>(strides[0]),
        static_cast<uint32_t>(strides[1]), static_cast<uint32_t>(dil[0]), static_cast<uint32_t>(dil[1]), static_cast<int32_t>(pads[0]),
        static_cast<int32_t>(pads[1]), static_cast<uint32_t>(Cg), static_cast<uint32_t>(Mg), static_cast<uint32_t>(mBlocks), ap.a, ap.b};
    const TensorRef wr = b.weights(packed), br = b.weights(pbias);
    b.dispatch(b.pipeline("conv", 4, {act}), {b.input(0), wr, br, b.output(0)}, 0b1000, p, groupCount(static_cast<uint64_t>(P), 64 * 4),
               static_cast<uint32_t>(group * mBlocks), static_cast<uint32_t>(N));
}

}  // namespace percept::vk
