// SPDX-License-Identifier: Apache-2.0
// Quantised Conv, Gemm and MatMul (INT8.md) on shaders/int8_gemm.comp: int8 weights against
// the activations' codes on the packed dot products, int32 sums, then the output stage; a
// depthwise Conv on shaders/int8_depthwise.comp (one invocation per output, its window's taps).
// The weights, the activations' parameters and the real terms of the output stage are prepared
// as the CPU backend prepares them (cpu/int8_gemm_driver.h: readWeights, readInput,
// realTerms), so both backends compute the same sums and the same reals from them.
#include <algorithm>

#include "cpu/int8_gemm_driver.h"
#include "graph/window.h"
#include "vulkan/vk_context.h"
#include "vulkan/vk_int8.h"

namespace percept::vk {
namespace {

struct Push {
    uint32_t Mg, K, P, Kw, Mt;
    uint32_t Cg, H, W, OW;
    uint32_t sh, sw;
    int32_t pt, pl;
    uint32_t xGroup, xBatch, yGroup, yBatch, groups;
    uint32_t kSlice, slices;
    uint32_t padByte, flip;
    float outScale;
    int32_t zero, lo, hi;
    float actA, actB;
};

// Weights [group][row padded to 64][K padded to 64] as words of 4 bytes, zeros in the padding.
std::vector<uint32_t> packWeights(const cpu::int8::Weights& w, int64_t groups, int64_t Mg, int64_t K) {
    const int64_t mPad = (Mg + 63) / 64 * 64, kWords = (K + 63) / 64 * 16;
    std::vector<uint32_t> out(static_cast<size_t>(groups * mPad * kWords), 0u);
    for (int64_t gi = 0; gi < groups; ++gi)
        for (int64_t m = 0; m < Mg; ++m)
            for (int64_t k = 0; k < K; ++k) {
                const uint32_t byte = static_cast<uint8_t>(w.w[static_cast<size_t>((gi * Mg + m) * K + k)]);
                out[static_cast<size_t>((gi * mPad + m) * kWords + k / 4)] |= byte << (8 * (k % 4));
            }
    return out;
}

// realScale[M], realOffset[M] and the weights' zero points[M], as the shader reads them; in
// steps of the output's grid where the activation is at most a clamp (divided in double, as
// cpu::int8::OutputStage divides them, so both backends round the same values).
std::vector<uint32_t> rowTerms(const cpu::int8::Weights& w, const std::vector<double>& scale, const std::vector<double>& offset, double div) {
    const size_t M = scale.size();
    std::vector<uint32_t> out(3 * M);
    for (size_t m = 0; m < M; ++m) {
        out[m] = int8::floatBits(static_cast<float>(scale[m] / div));
        out[M + m] = int8::floatBits(static_cast<float>(offset[m] / div));
        out[2 * M + m] = static_cast<uint32_t>(w.zero[m]);
    }
    return out;
}

// The residual Add a fused conv's output goes into (graph::fusedAddCandidates): its one reader.
const graph::Node& residualAdd(const graph::Graph& g, const graph::Node& conv) {
    for (const graph::Node& a : g.nodes)
        if (a.op == graph::OpKind::Add && std::find(a.inputs.begin(), a.inputs.end(), conv.outputs.at(0)) != a.inputs.end()) return a;
    throw Error(conv.describe() + ": internal error: no Add reads the fused conv's output");
}

bool bytesPerTensor(const graph::Value& v) { return graph::isByteType(v.dtype) && v.quant.perTensor(); }

// The Add's terms as int8_gemm.comp reads them after the row terms (ADD = 1), in steps of
// the Add output's grid (fitsInt8FusedAdd checked that it rounds in steps).
std::vector<uint32_t> addTerms(Builder& b, const graph::Node& add, int convOutput) {
    const graph::Graph& g = b.graph();
    const int8::OutGrid out = int8::outGridOf(b, g.value(add.outputs.at(0)), b.node().act);
    const int8::AddTerms t = int8::addTermsOf(g.value(add.inputs.at(0)), g.value(add.inputs.at(1)), out.scale);
    return {int8::floatBits(t.ca), int8::floatBits(t.cb), int8::floatBits(t.c0u), t.flipA, t.flipB, static_cast<uint32_t>(out.zero),
            static_cast<uint32_t>(out.lo), static_cast<uint32_t>(out.hi), add.inputs.at(0) == convOutput ? 0u : 1u};
}

}  // namespace

bool fitsInt8FusedAdd(const graph::Graph& g, const graph::FusedAdd& fa) {
    const graph::Node& n = g.nodes[fa.node];
    const graph::Node& add = g.nodes[fa.add];
    if (n.op != graph::OpKind::Conv || add.inputs.size() != 2) return false;
    const Shape& x = g.shapeOf(n.inputs.at(0));
    if (x.size() != 4 && x.size() != 3) return false;
    const int64_t group = n.attrInt("group", 1);
    if (group == x[1] && group == g.shapeOf(n.outputs.at(0))[1]) return false;  // depthwise: its own kernel
    const graph::Value& y = g.value(n.outputs.at(0));
    const graph::Value& a = g.value(add.inputs[0]);
    const graph::Value& c = g.value(add.inputs[1]);
    const graph::Value& o = g.value(add.outputs.at(0));
    if (!bytesPerTensor(y) || !bytesPerTensor(a) || !bytesPerTensor(c) || !bytesPerTensor(o) || a.shape != c.shape) return false;
    // The Add's activation must be at most a clamp: the fused store rounds in steps only.
    return cpu::QuantOut(o, add.act).clamp();
}

void buildInt8Linear(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::Value& yv = g.value(n.outputs.at(0));
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = yv.shape;
    const cpu::int8::Input in = cpu::int8::readInput(g, n, n.inputs.at(0));
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    Push p{};
    uint32_t kh = 1, kw = 1, dh = 1, dw = 1;
    int64_t groups = 1, batch = 1, Mg = 0, M = 0, K = 0, P = 0;
    cpu::int8::Weights w;
    std::vector<float> bias;
    const bool conv = n.op == graph::OpKind::Conv;
    if (conv) {
        if (x.size() != 3 && x.size() != 4) b.fail("int8 convolutions on Vulkan take [N,C,L] or [N,C,H,W] tensors");
        const graph::Spatial3 s = graph::spatial3(n, x, y);
        groups = n.attrInt("group", 1);
        batch = x[0];
        M = y[1];
        Mg = M / groups;
        const int64_t Cg = x[1] / groups;
        K = Cg * s.kernel[1] * s.kernel[2];
        P = s.out[1] * s.out[2];
        w = cpu::int8::readWeights(g, n, n.inputs.at(1), M, K, false);
        bias = cpu::int8::biasOf(g, n, 2, M);
        p.Cg = u32(Cg), p.H = u32(s.in[1]), p.W = u32(s.in[2]), p.OW = u32(s.out[2]);
        kh = u32(s.kernel[1]), kw = u32(s.kernel[2]), p.sh = u32(s.stride[1]), p.sw = u32(s.stride[2]);
        dh = u32(s.dilation[1]), dw = u32(s.dilation[2]);
        p.pt = static_cast<int32_t>(s.padBegin[1]), p.pl = static_cast<int32_t>(s.padBegin[2]);
        p.xGroup = u32(Cg * s.in[1] * s.in[2]), p.xBatch = u32(x[1] * s.in[1] * s.in[2]);
        p.yGroup = u32(Mg * P), p.yBatch = u32(M * P);
        b.setAlgo(Mg == 1 && Cg == 1 ? "int8-depthwise" : "int8-conv-dot");
    } else {
        const Shape& ws = g.shapeOf(n.inputs.at(1));
        if (ws.size() != 2 || x.empty()) b.fail("int8 weights must be a matrix");
        K = x.back();
        P = elementCount(x) / std::max<int64_t>(K, 1);
        const bool rowsAreOutputs = n.op == graph::OpKind::Gemm && n.attrInt("transB", 0) != 0;
        M = rowsAreOutputs ? ws[0] : ws[1];
        if ((rowsAreOutputs ? ws[1] : ws[0]) != K) b.fail("int8 weights do not match the input's last axis");
        if (n.op == graph::OpKind::Gemm &&
            (n.attrInt("transA", 0) != 0 || n.attrFloat("alpha", 1.0f) != 1.0f || n.attrFloat("beta", 1.0f) != 1.0f))
            b.fail("int8 Gemm takes transA = 0, alpha = beta = 1");
        Mg = M;
        w = cpu::int8::readWeights(g, n, n.inputs.at(1), M, K, !rowsAreOutputs);
        if (n.op == graph::OpKind::Gemm) bias = cpu::int8::biasOf(g, n, 2, M);
        b.setAlgo(P == 1 ? "int8-gemv-dot" : "int8-gemm-dot");
    }
    if (M == 0 || P == 0 || batch == 0) return;
    std::vector<double> scale, offset;
    cpu::int8::realTerms(w, in, bias, scale, offset);
    // A fused residual Add (fitsInt8FusedAdd): the conv rounds onto its own grid with no
    // activation (node().act is the Add's), then the Add's terms apply.
    const std::optional<TensorRef> skip = b.addend();
    const graph::FusedActivation convAct = skip ? graph::FusedActivation{} : n.act;
    const int8::OutGrid out = int8::outGridOf(b, yv, convAct);
    const ActParams ap = activationParams(convAct);
    p.Mg = u32(Mg), p.K = u32(K), p.P = u32(P), p.Kw = u32((K + 63) / 64 * 16), p.Mt = u32(M);
    p.groups = u32(groups);
    p.padByte = in.padByte, p.flip = in.flip;
    p.outScale = out.scale, p.zero = out.zero, p.lo = out.lo, p.hi = out.hi;
    p.actA = ap.a, p.actB = ap.b;
    const uint32_t outMode = out.asFloat ? 2u : out.steps ? 0u : 1u;
    std::vector<uint32_t> rowWords = rowTerms(w, scale, offset, out.steps ? out.scale : 1.0);
    if (skip) {
        if (outMode != 0u) b.fail("internal error: a fused int8 Add needs the conv's output in steps");
        const std::vector<uint32_t> t = addTerms(b, residualAdd(g, n), n.outputs.at(0));
        rowWords.insert(rowWords.end(), t.begin(), t.end());
    }
    const TensorRef rows = b.rawWeights(rowWords);
    if (conv && Mg == 1 && p.Cg == 1) {
        if (skip) b.fail("internal error: a depthwise int8 conv takes no fused Add");
        // Depthwise: the weights as they are, [C][kh * kw] bytes.
        std::vector<uint32_t> bytes((w.w.size() + 3) / 4, 0u);
        for (size_t k = 0; k < w.w.size(); ++k) bytes[k / 4] |= static_cast<uint32_t>(static_cast<uint8_t>(w.w[k])) << (8 * (k % 4));
        struct DwPush {
            uint32_t count, C, H, W, OH, OW;
            uint32_t kh, kw, sh, sw, dh, dw;
            int32_t pt, pl;
            uint32_t padByte, flip;
            float outScale;
            int32_t zero, lo, hi;
            float actA, actB;
        } d{u32(batch * M * P), u32(M), p.H, p.W, u32(P / p.OW), p.OW, kh, kw, p.sh, p.sw, dh, dw, p.pt, p.pl,
            p.padByte, p.flip, p.outScale, p.zero, p.lo, p.hi, p.actA, p.actB};
        const bool unroll = kh <= 7 && kw <= 7;
        const uint32_t groupsAll = groupCount(d.count, 64);
        const uint32_t gx = std::min<uint32_t>(groupsAll, 65535), gy = (groupsAll + gx - 1) / gx;
        b.dispatch(b.pipeline("int8_depthwise", "ssss",
                              {activationCode(n.act.kind), outMode, w.asymmetric ? 1u : 0u, unroll ? kh : 0u, unroll ? kw : 0u}),
                   {b.input(0), b.rawWeights(bytes), rows, b.output(0)}, 0b1000, d, gx, gy);
        return;
    }
    // Conv: per k = (c, ky, kx), the offset from the window's corner and the corner's step.
    std::vector<uint32_t> taps(2, 0u);
    if (conv) {
        taps.assign(static_cast<size_t>(2 * K), 0u);
        for (int64_t k = 0; k < K; ++k) {
            const int64_t c = k / (kh * kw), r = k % (kh * kw), dy = r / kw * dh, dx = r % kw * dw;
            if (dy > 0xffff || dx > 0xffff) b.fail("int8 convolutions on Vulkan take windows up to 65535 pixels tall and wide");
            taps[static_cast<size_t>(2 * k)] = u32(c * p.H * p.W + dy * p.W + dx);
            taps[static_cast<size_t>(2 * k + 1)] = u32(dy << 16 | dx);
        }
    }
    // Few tiles: k split over slices, as the tiled float kernels split it (vk_op.h), on GPUs (or
    // where Tuning::vulkanConv = Tiled asks for the GPU forms: tests). On lavapipe a split only
    // adds the partial sums' traffic: SqueezeNet took 2-3x as long.
    const int64_t tiles = ((P + 63) / 64) * ((Mg + 63) / 64) * batch * groups;
    const bool gpuForms = !b.context().isCpuDevice() || b.tuning().vulkanConv == Tuning::VulkanConv::Tiled;
    SplitReduction split = gpuForms ? splitReduction(tiles, K, b.tuning().vulkanSplitWorkgroups) : SplitReduction{u32(K), 1};
    // In whole steps of 64 k (the shader's).
    split.kSlice = (split.kSlice + 63) / 64 * 64;
    split.slices = static_cast<uint32_t>((K + split.kSlice - 1) / split.kSlice);
    p.kSlice = split.kSlice, p.slices = split.slices;
    const TensorRef parts = b.workspace(split.slices > 1 ? static_cast<VkDeviceSize>(split.slices * tiles) * 5 * 256 * 16 : 64);
    const TensorRef arrivals = b.counters(split.slices > 1 ? u32(tiles) : 1u);
    if (split.slices > 1) b.setAlgo(b.algo() + "-splitk");
    const std::vector<uint32_t> spec = {activationCode(convAct.kind), conv ? 0u : 1u, outMode, w.asymmetric ? 1u : 0u, skip ? 1u : 0u};
    b.dispatch(b.pipeline("int8_gemm", "ssssssss", spec),
               {b.input(0), b.rawWeights(packWeights(w, groups, Mg, K)), rows, b.output(0), b.rawWeights(taps), parts, arrivals, skip ? *skip : rows},
               0b1101000, p,
               groupCount(static_cast<uint64_t>(P), 64), groupCount(static_cast<uint64_t>(Mg), 64), u32(batch * groups * split.slices));
}

}  // namespace percept::vk
