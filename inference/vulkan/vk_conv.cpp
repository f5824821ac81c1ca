// SPDX-License-Identifier: Apache-2.0
// Convolution, NCHW: 2-D, 1-D as 2-D planes of one row ([N,C,L] is [N,C,1,L]), 3-D through the
// "conv-gemm" kernel with a depth axis. Three kernels:
//  - "depthwise" (group == C == M): shaders/conv_depthwise.comp, 8 (or 4) outputs of a row per
//    invocation, the input row segment they share fetched once per kernel row.
//  - "conv-tiled", on GPUs: an implicit GEMM with shared-memory tiles (shaders/conv_tiled.comp),
//    64 channels x 64 pixels per workgroup, 4 x 4 per invocation, weights repacked as
//    [group][block of 64 channels][k][64], for >= 16 channels per group. When the output has
//    too few tiles to fill the GPU, the reduction is split over slices of k (partial sums in
//    the workspace; the last slice of each tile to finish adds them, the bias and the
//    activation, in the same dispatch).
//  - "conv-coopmat", on GPUs with cooperative matrices and fp16 arithmetic on
//    (SessionOptions::fp16Arithmetic, Context::cooperativeMatrix): the same implicit GEMM on the
//    tensor cores (shaders/conv_coopmat.comp), 64 x 64 tiles, weights repacked as [group][block
//    of 64 channels][block of 32 k][64][32], its reduction split like conv-tiled's in whole
//    blocks of 32 k. Lavapipe has none: measured and tested on an NVIDIA H100.
//  - "conv-gemm": everything else (3-D included), and everything on CPU implementations (lavapipe), where
//    shared memory costs more than it saves: an implicit GEMM (shaders/conv.comp) over 8
//    output channels x 4 pixels per invocation held in registers, weights repacked as
//    [group][block of 8 channels][k][8]; "conv-1x1" is its specialisation for 1x1 / stride 1 /
//    no padding.
// PERCEPT_VULKAN_CONV=tiled|direct forces the choice between the two GEMM kernels (tests,
// benchmarks).
// Kernel sizes, strides and dilations are specialisation constants (the tap loops unroll).
// Bias, a fused residual connection (Builder::addend, graph::fusedAddCandidates: ResNet's and
// MobileNetV2's skip Adds) and the fused activation are applied as each output is stored.
#include <cstdlib>

#include "graph/quant.h"
#include "graph/window.h"
#include "vulkan/vk_context.h"
#include "vulkan/vk_int8.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

// Input channels per dispatch of conv.comp: lavapipe ends any invocation after 65535 loop
// iterations, and the channel loop is the one loop that runs long.
constexpr int64_t kMaxChannelsPerDispatch = 16384;

bool useTiledKernel(Builder& b, int64_t Mg, int64_t P, int64_t K) {
    if (b.tuning().vulkanConv == Tuning::VulkanConv::Tiled) return K / 16 < 60000;
    if (b.tuning().vulkanConv == Tuning::VulkanConv::Direct) return false;
    return !b.context().isCpuDevice() && Mg >= 16 && K / 16 < 60000;
}

// The depthwise kernel (which takes no residual) runs this conv.
bool isDepthwise(const graph::Graph& g, const graph::Node& n) {
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    const int64_t group = n.attrInt("group", 1);
    if (x.size() < 3 || y.size() != x.size()) return false;
    const graph::Spatial3 s = graph::spatial3(n, x, y);
    return s.in[0] == 1 && s.out[0] == 1 && s.kernel[0] == 1 && group == x[1] && group == y[1];
}

}  // namespace

// "conv-coopmat": see the head of the file. The caller checked planar, ungrouped-enough shapes.
static void buildCoopMatConv(Builder& b, const std::vector<float>& w, const std::vector<float>& bias, const std::vector<uint32_t>& geometry,
                      const std::vector<int64_t>& pads, const std::optional<TensorRef>& res) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    const graph::Spatial3 s = graph::spatial3(n, x, y);
    const int64_t N = x[0], C = x[1], M = y[1], group = n.attrInt("group", 1), Cg = C / group, Mg = M / group;
    const int64_t K = Cg * s.kernel[1] * s.kernel[2], P = s.out[1] * s.out[2];
    const int64_t mBlocks = (Mg + 63) / 64, kBlocks = (K + 31) / 32, pTiles = (P + 63) / 64;
    // Split like conv_tiled (vk_op.h), in whole blocks of 32 k.
    const SplitReduction split = splitReduction(mBlocks * pTiles * group * N, K, b.tuning().vulkanSplitWorkgroups);
    const int64_t sliceBlocks = (split.kSlice + 31) / 32, slices = (kBlocks + sliceBlocks - 1) / sliceBlocks;
    b.setAlgo(slices > 1 ? "conv-coopmat-splitk" : "conv-coopmat");
    std::vector<float> packed(static_cast<size_t>(group * mBlocks * kBlocks * 64 * 32), 0.0f);
    for (int64_t gi = 0; gi < group; ++gi)
        for (int64_t m = 0; m < Mg; ++m)
            for (int64_t k = 0; k < K; ++k)
                packed[static_cast<size_t>((((gi * mBlocks + m / 64) * kBlocks + k / 32) * 64 + m % 64) * 32 + k % 32)] =
                    w[static_cast<size_t>((gi * Mg + m) * K + k)];
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    const ActParams ap = activationParams(n.act);
    struct Push {
        uint32_t C, H, W, M, OH, OW;
        int32_t pt, pl;
        uint32_t Cg, Mg, mBlocks, pTiles, kBlocks;
        float actA, actB;
        uint32_t sliceBlocks, slices, N;
    } p{u32(C), u32(s.in[1]), u32(s.in[2]), u32(M), u32(s.out[1]), u32(s.out[2]), static_cast<int32_t>(pads[0]), static_cast<int32_t>(pads[1]),
        u32(Cg), u32(Mg), u32(mBlocks), u32(pTiles), u32(kBlocks), ap.a, ap.b, u32(sliceBlocks), u32(slices), u32(N)};
    const Context::CoopMatrixShape& cm = b.context().cooperativeMatrix();
    std::vector<uint32_t> spec = {activationCode(n.act.kind)};
    spec.insert(spec.end(), geometry.begin(), geometry.end());
    spec.insert(spec.end(), {res ? 1u : 0u, cm.m, cm.n, cm.k, slices > 1 ? 1u : 0u});
    const TensorRef br = texel1(b.weights(bias)), yr = b.output(0);
    const Pipeline& pipe = b.pipeline("conv_coopmat", "tttstss", spec);
    const std::vector<TensorRef> io = {texel1(b.input(0)), texel4(b.weights(packed)), br, yr, res ? texel1(*res) : br};
    if (slices == 1) {  // the split-only bindings see the output (never touched without PARTIAL)
        b.dispatch(pipe, {io[0], io[1], io[2], io[3], io[4], yr, yr}, 0b0001000, p, u32(mBlocks * pTiles), u32(group), u32(N));
        return;
    }
    const uint64_t tiles = static_cast<uint64_t>(mBlocks * pTiles * group * N);
    const TensorRef part = b.workspace(static_cast<VkDeviceSize>(slices) * tiles * kSplitTileBytes);
    b.dispatch(pipe, {io[0], io[1], io[2], io[3], io[4], part, b.counters(static_cast<uint32_t>(tiles))}, 0b1101000, p, u32(mBlocks * pTiles), u32(group),
               u32(N * slices));
}

bool fitsFusedAdd(const graph::Graph& g, const graph::FusedAdd& fa) {
    const graph::Node& n = g.nodes[fa.node];
    // int8: the quantised conv's kernel takes the Add where it fits (vk_int8_linear.cpp).
    if (graph::isQuantizedNode(g, n) || graph::isQuantizedNode(g, g.nodes[fa.add])) return fitsInt8FusedAdd(g, fa);
    return n.op == graph::OpKind::MatMul || (n.op == graph::OpKind::Conv && !isDepthwise(g, n));
}

void buildConv(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& ws = g.shapeOf(n.inputs.at(1));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (ws.size() != x.size()) b.fail("weights " + shapeToString(ws) + " do not have the input's rank");
    const graph::Spatial3 s = graph::spatial3(n, x, y);
    const int64_t N = x[0], C = x[1], M = y[1];
    const int64_t D = s.in[0], H = s.in[1], W = s.in[2], OD = s.out[0], OH = s.out[1], OW = s.out[2];
    const int64_t kd = s.kernel[0], kh = s.kernel[1], kw = s.kernel[2];
    const int64_t group = n.attrInt("group", 1);
    if (group <= 0 || C % group || M % group || ws[1] * group != C || ws[0] != M || elementCount(ws) != M * (C / group) * s.taps())
        b.fail("weights " + shapeToString(ws) + " do not match input " + shapeToString(x) + " with group " + std::to_string(group));
    const int64_t Cg = C / group, Mg = M / group;
    // 2-D planes (1-D convs too): the depthwise and tiled kernels; 3-D: conv.comp's depth axis.
    const bool planar = D == 1 && OD == 1 && kd == 1;
    const std::vector<int64_t> strides = {s.stride[1], s.stride[2]}, dil = {s.dilation[1], s.dilation[2]};
    const std::vector<int64_t> pads = {s.padBegin[1], s.padBegin[2], s.padEnd[1], s.padEnd[2]};
    const bool padsZero = pads == std::vector<int64_t>{0, 0, 0, 0} && s.padBegin[0] == 0 && s.padEnd[0] == 0;
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
    const int64_t P = OD * OH * OW;
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    const std::vector<uint32_t> geometry = {u32(kh), u32(kw), u32(strides[0]), u32(strides[1]), u32(dil[0]), u32(dil[1])};
    if (N * M * P == 0) return;
    const std::optional<TensorRef> res = b.addend();
    if (res && isDepthwise(g, n)) b.fail("internal error: a residual fused into a depthwise conv");

    if (planar && group == C && Cg == 1 && Mg == 1) {
        b.setAlgo("depthwise");
        const int64_t TP = OW >= 8 ? 8 : 4;
        const int64_t tiles = (OW + TP - 1) / TP, count = C * OH * tiles;
        struct Push {
            uint32_t C, H, W, OH, OW, tilesPerRow, count;
            int32_t pt, pl;
            float actA, actB;
        } p{u32(C), u32(H), u32(W), u32(OH), u32(OW), u32(tiles), u32(count), static_cast<int32_t>(pads[0]), static_cast<int32_t>(pads[1]),
            ap.a, ap.b};
        std::vector<uint32_t> spec = {act};
        spec.insert(spec.end(), geometry.begin(), geometry.end());
        spec.push_back(u32(TP));
        // Taps padded to whole four-float texels per channel.
        const int64_t taps = kh * kw, t4 = (taps + 3) / 4;
        std::vector<float> wp(static_cast<size_t>(C * t4 * 4), 0.0f);
        for (int64_t ch = 0; ch < C; ++ch)
            for (int64_t k = 0; k < taps; ++k) wp[static_cast<size_t>(ch * t4 * 4 + k)] = w[static_cast<size_t>(ch * taps + k)];
        const TensorRef wr = texel4(b.weights(wp)), br = texel1(b.weights(bias));
        b.dispatch(b.pipeline("conv_depthwise", "ttts", spec), {texel1(b.input(0)), wr, br, b.output(0)}, 0b1000, p,
                   groupCount(static_cast<uint64_t>(count), 64), u32(N));
        return;
    }

    if (planar && useTiledKernel(b, Mg, P, Cg * kh * kw)) {
        if (b.context().cooperativeMatrix().any() && b.fp16Arithmetic() && b.tuning().vulkanCooperativeMatrix) {
            buildCoopMatConv(b, w, bias, geometry, pads, res);  // its own weight layout
            return;
        }
        b.setAlgo("conv-tiled");
        const int64_t K = Cg * kh * kw, mBlocks = (Mg + 63) / 64, pTiles = (P + 63) / 64;
        std::vector<float> packed(static_cast<size_t>(group * mBlocks * K * 64), 0.0f), pbias(static_cast<size_t>(group * mBlocks * 64), 0.0f);
        for (int64_t gi = 0; gi < group; ++gi)
            for (int64_t m = 0; m < Mg; ++m) {
                const int64_t mb = m / 64, lane = m % 64, om = gi * Mg + m;
                for (int64_t k = 0; k < K; ++k)
                    packed[static_cast<size_t>(((gi * mBlocks + mb) * K + k) * 64 + lane)] = w[static_cast<size_t>(om * K + k)];
                pbias[static_cast<size_t>(gi * mBlocks * 64 + m)] = bias[static_cast<size_t>(om)];
            }
        const SplitReduction split = splitReduction(mBlocks * pTiles * group * N, K, b.tuning().vulkanSplitWorkgroups);
        const int64_t kSlice = split.kSlice, slices = split.slices;
        struct Push {
            uint32_t C, H, W, M, OH, OW;
            int32_t pt, pl;
            uint32_t Cg, Mg, mBlocks, pTiles;
            uint32_t kSlice, slices, N;
            float actA, actB;
        } p{u32(C), u32(H), u32(W), u32(M), u32(OH), u32(OW), static_cast<int32_t>(pads[0]), static_cast<int32_t>(pads[1]), u32(Cg), u32(Mg),
            u32(mBlocks), u32(pTiles), u32(kSlice), u32(slices), u32(N), ap.a, ap.b};
        std::vector<uint32_t> spec = {act};
        spec.insert(spec.end(), geometry.begin(), geometry.end());
        spec.push_back(slices > 1 ? 1 : 0);
        spec.push_back(res ? 1 : 0);
        const TensorRef xr = texel1(b.input(0)), wr = texel4(b.weights(packed)), br = texel1(b.weights(pbias)), yr = b.output(0);
        const TensorRef rr = res ? texel1(*res) : br;  // an unused binding still needs a view
        const Pipeline& pipe = b.pipeline("conv_tiled", "tttstss", spec);
        if (slices == 1) {
            // The split-only bindings see the output (never touched without PARTIAL).
            b.dispatch(pipe, {xr, wr, br, yr, rr, yr, yr}, 0b1000, p, u32(mBlocks * pTiles), u32(group), u32(N));
            return;
        }
        b.setAlgo("conv-tiled-splitk");
        const uint64_t tiles = static_cast<uint64_t>(mBlocks * pTiles * group * N);
        const TensorRef part = b.workspace(static_cast<VkDeviceSize>(slices) * tiles * kSplitTileBytes);
        const TensorRef arrivals = b.counters(static_cast<uint32_t>(tiles));
        b.dispatch(pipe, {xr, wr, br, yr, rr, part, arrivals}, 0b1101000, p, u32(mBlocks * pTiles), u32(group), u32(N * slices));
        return;
    }

    const bool fast = kd == 1 && kh == 1 && kw == 1 && s.stride[0] == 1 && strides == std::vector<int64_t>{1, 1} && padsZero && OD == D &&
                      OH == H && OW == W;
    b.setAlgo(fast ? "conv-1x1" : planar ? "conv-gemm" : "conv-gemm-3d");
    const int64_t K = Cg * kd * kh * kw, mBlocks = (Mg + 7) / 8;
    std::vector<float> packed(static_cast<size_t>(group * mBlocks * K * 8), 0.0f), pbias(static_cast<size_t>(group * mBlocks * 8), 0.0f);
    for (int64_t gi = 0; gi < group; ++gi)
        for (int64_t m = 0; m < Mg; ++m) {
            const int64_t mb = m / 8, lane = m % 8, om = gi * Mg + m;
            for (int64_t k = 0; k < K; ++k) packed[static_cast<size_t>(((gi * mBlocks + mb) * K + k) * 8 + lane)] = w[static_cast<size_t>(om * K + k)];
            pbias[static_cast<size_t>((gi * mBlocks + mb) * 8 + lane)] = bias[static_cast<size_t>(om)];
        }
    struct Push {
        uint32_t C, H, W, M, OH, OW;
        int32_t pt, pl;
        uint32_t Cg, Mg, mBlocks, cBegin, cEnd;
        uint32_t tiles, tilesPerRow;
        float actA, actB;
        uint32_t D, OD;
        int32_t pf;
    } p{u32(C), u32(H), u32(W), u32(M), u32(OH), u32(OW), static_cast<int32_t>(pads[0]), static_cast<int32_t>(pads[1]), u32(Cg), u32(Mg),
        u32(mBlocks), 0, 0, 0, 0, ap.a, ap.b, u32(D), u32(OD), static_cast<int32_t>(s.padBegin[0])};
    // Pixels per invocation: 4, fewer on tiny planes (a classifier run as a 1x1 conv has one).
    const int64_t TP = P >= 8 ? 4 : P >= 2 ? 2 : 1;
    // Kernels wider than one column on rows of at least TP pixels: tiles along rows, so the
    // input each kernel row needs is fetched once for all its columns.
    const bool rows = !fast && kw > 1 && OW >= TP;
    p.tilesPerRow = u32((OW + TP - 1) / TP);
    p.tiles = rows ? u32(OD * OH) * p.tilesPerRow : u32((P + TP - 1) / TP);
    const TensorRef wr = texel4(b.weights(packed)), br = texel4(b.weights(pbias));
    // 1x1 on planes of a multiple of 4 pixels: each lane's 4 pixels are one four-float texel.
    const bool vec4x = fast && TP == 4 && P % 4 == 0;
    const TensorRef xr = vec4x ? texel4(b.input(0)) : texel1(b.input(0)), yr = b.output(0);
    const TensorRef rr = res ? texel1(*res) : texel1(br);  // an unused binding still needs a view
    const int64_t chunks = (Cg + kMaxChannelsPerDispatch - 1) / kMaxChannelsPerDispatch;
    for (int64_t k = 0; k < chunks; ++k) {
        p.cBegin = u32(k * kMaxChannelsPerDispatch);
        p.cEnd = u32(std::min(Cg, (k + 1) * kMaxChannelsPerDispatch));
        const uint32_t split = chunks == 1 ? 0 : k == 0 ? 1 : k + 1 < chunks ? 2 : 3;
        std::vector<uint32_t> spec = {split == 1 || split == 2 ? 0u : act};
        spec.insert(spec.end(), geometry.begin(), geometry.end());
        spec.push_back(fast ? 1 : 0);
        spec.push_back(split);
        spec.push_back(u32(TP));
        spec.push_back(rows ? 1 : 0);
        spec.push_back(vec4x ? 1 : 0);
        spec.insert(spec.end(), {u32(kd), u32(s.stride[0]), u32(s.dilation[0])});
        spec.push_back(res ? 1 : 0);
        b.dispatch(b.pipeline("conv", "tttst", spec), {xr, wr, br, yr, rr}, 0b1000, p, groupCount(static_cast<uint64_t>(p.tiles) * mBlocks, 64),
                   u32(group), u32(N));
    }
}

}  // namespace percept::vk
