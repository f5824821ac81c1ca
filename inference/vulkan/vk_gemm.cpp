// SPDX-License-Identifier: Apache-2.0
// Gemm (Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]) and MatMul (numpy
// matmul: batched with broadcasting, 1-D operands promoted), both on shaders/gemm.comp through
// element strides (or, on GPUs, shaders/gemm_tiled.comp: formOf below), one dispatch for a
// whole batch (attention's heads). A constant B is
// repacked once to [K][N4] (N rounded up to 4, zero padded), so the shader's columns are
// contiguous whatever transB said and 4 of them are one texel; a computed B and A are read as
// four-float texels too where their layout allows. Each invocation computes up to 8 rows x 4
// columns. The reduction runs K/4 + 3 loop iterations per invocation: K may not exceed
// 4 x 65535 on lavapipe (checked). A MatMul whose B has no batch axes runs as one product of
// all A's rows; its bias Add, when fused (Builder::addend), is Gemm's C.
#include <cstdlib>
#include <string>

#include "graph/loop_nest.h"
#include "graph/shape_inference.h"
#include "vulkan/vk_context.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

struct GemmPush {
    uint32_t M, N, K;
    uint32_t sAm, sAk, sBk, sBn;
    uint32_t batch, brank;
    uint32_t bdims[4];
    uint32_t bsa[4];
    uint32_t bsb[4];
    uint32_t cRow, cCol;
    float alpha, beta, actA, actB;
};

// How the plain and tiled forms read A and B (four-float texels where the strides allow) and
// how many rows each plain invocation takes.
struct Layout {
    bool a4 = false, b4 = false;
    uint32_t rows = 1;
};

// bPadded: B is a repacked constant whose rows are padded to whole texels (B4 whatever N).
Layout layoutOf(const GemmPush& p, bool bPadded) {
    Layout l;
    auto mult4 = [&](const uint32_t* s) {
        for (uint32_t k = 0; k < p.brank; ++k)
            if (s[k] % 4 != 0) return false;
        return true;
    };
    l.a4 = p.sAk == 1 && p.K % 4 == 0 && p.sAm % 4 == 0 && mult4(p.bsa);
    l.b4 = p.sBn == 1 && p.sBk % 4 == 0 && (p.N % 4 == 0 || bPadded) && mult4(p.bsb);
    l.rows = p.M >= 8 ? 8 : p.M >= 4 ? 4 : 1;
    return l;
}

enum class Form { Plain, Wide, Tiled };

// CPU implementations take the plain form (shared memory costs more there than it saves).
// GPUs take the WIDE form (a workgroup per 4 columns shares their reduction) for products of
// fewer than 8 rows (a classifier's GEMV: the plain form would run N / 4 invocations), and the
// TILED form (shaders/gemm_tiled.comp) for the rest. The plain form, per 32 FMAs of its 8 x 4
// block, fetches 3 texels from memory and shares nothing across a workgroup: on an H200 it ran
// ConvNeXt-T's 3072 -> 768 MatMul on 49 rows (21 workgroups) at 450 GFLOP/s, where the tiled
// one took 4800 (H100). With fp16 arithmetic on a device with cooperative matrices the tiled
// form runs on the tensor cores (shaders/gemm_coopmat.comp). tuning.vulkanGemm forces a form
// (tests).
Form formOf(Builder& b, const GemmPush& p) {
    const bool wideFits = groupCount(p.N, 4) <= 65535;
    const bool tiledFits = static_cast<uint64_t>(groupCount(p.M, 64)) * groupCount(p.N, 64) <= 65535;
    switch (b.tuning().vulkanGemm) {
        case Tuning::VulkanGemm::Wide: return wideFits ? Form::Wide : Form::Plain;
        case Tuning::VulkanGemm::Tiled: return tiledFits ? Form::Tiled : Form::Plain;
        case Tuning::VulkanGemm::Plain: return Form::Plain;
        case Tuning::VulkanGemm::Auto: break;
    }
    if (b.context().isCpuDevice()) return Form::Plain;
    if (p.M < 8 && wideFits) return Form::Wide;
    return tiledFits ? Form::Tiled : Form::Plain;
}

void dispatchTiled(Builder& b, const GemmPush& gp, const Layout& l, const TensorRef& a, const TensorRef& bm, const TensorRef* c, const TensorRef& y) {
    struct Push {
        GemmPush g;
        uint32_t kSlice, slices, nTiles;
    } p{gp, 0, 1, groupCount(gp.N, 64)};
    const uint32_t tiles = groupCount(gp.M, 64) * p.nTiles;
    const SplitReduction split = splitReduction(static_cast<int64_t>(tiles) * gp.batch, gp.K, b.tuning().vulkanSplitWorkgroups);
    p.kSlice = split.kSlice;
    p.slices = split.slices;
    if (static_cast<uint64_t>(gp.batch) * p.slices > 65535) p.slices = 1, p.kSlice = (gp.K + 15) / 16 * 16;
    // The same tiles on the tensor cores where the device has them and fp16 arithmetic is on.
    const Context::CoopMatrixShape& cm = b.context().cooperativeMatrix();
    const bool coop = cm.any() && b.fp16Arithmetic() && b.tuning().vulkanCooperativeMatrix;
    std::vector<uint32_t> spec = {activationCode(b.node().act.kind), c ? 1u : 0u, p.slices > 1 ? 1u : 0u, l.a4 ? 1u : 0u, l.b4 ? 1u : 0u};
    if (coop) spec.insert(spec.end(), {cm.m, cm.n, cm.k});
    const Pipeline& pipe = b.pipeline(coop ? "gemm_coopmat" : "gemm_tiled", "tttsss", spec);
    const TensorRef ar = l.a4 ? texel4(a) : texel1(a), br = l.b4 ? texel4(bm) : texel1(bm), cr = texel1(c ? *c : a);
    b.setAlgo(b.algo() + (coop ? "-coopmat" : "-tiled"));
    if (p.slices == 1) {
        // The split-only bindings see the output (never touched without PARTIAL).
        b.dispatch(pipe, {ar, br, cr, y, y, y}, 0b1000, p, tiles, 1, gp.batch);
        return;
    }
    b.setAlgo(b.algo() + "-splitk");
    const TensorRef part = b.workspace(static_cast<VkDeviceSize>(p.slices) * tiles * gp.batch * kSplitTileBytes);
    const TensorRef arrivals = b.counters(tiles * gp.batch);
    b.dispatch(pipe, {ar, br, cr, y, part, arrivals}, 0b111000, p, tiles, 1, gp.batch * p.slices);
}

void dispatchGemm(Builder& b, const GemmPush& p, const TensorRef& a, const TensorRef& bm, const TensorRef* c, const TensorRef& y, bool bPadded) {
    if (static_cast<uint64_t>(p.M) * p.N * p.batch == 0) return;
    if (p.batch > 65535) b.fail("more than 65535 batched matrices are not supported");
    if (p.K > 200000) b.fail("reductions longer than 200000 are not supported");
    const Layout l = layoutOf(p, bPadded);
    const Form form = formOf(b, p);
    if (form == Form::Tiled) {
        dispatchTiled(b, p, l, a, bm, c, y);
        return;
    }
    const bool wide = form == Form::Wide;
    if (wide) b.setAlgo(b.algo() + "-wide");
    const bool a4 = !wide && l.a4, b4 = !wide && l.b4;
    const uint32_t rows = wide ? 1 : l.rows;
    const uint32_t gx = wide ? groupCount(p.N, 4) : groupCount(groupCount(p.N, 4), 64);
    const uint32_t gy = std::min<uint32_t>(wide ? p.M : groupCount(p.M, rows), 65535);
    b.dispatch(b.pipeline("gemm", "ttts", {activationCode(b.node().act.kind), c ? 1u : 0u, wide ? 1u : 0u, rows, a4 ? 1u : 0u, b4 ? 1u : 0u}),
               {a4 ? texel4(a) : texel1(a), b4 ? texel4(bm) : texel1(bm), texel1(c ? *c : a), y}, 0b1000, p, gx, gy, p.batch);
}

// Constant B matrices [count][K][N] (or one [N][K] when transposed) as [count][K][N4].
std::vector<float> padB(const std::vector<float>& w, int64_t count, int64_t K, int64_t N, bool transposed) {
    const int64_t n4 = (N + 3) / 4 * 4;
    std::vector<float> packed(static_cast<size_t>(count * K * n4), 0.0f);
    for (int64_t i = 0; i < count; ++i)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t j = 0; j < N; ++j)
                packed[static_cast<size_t>((i * K + k) * n4 + j)] = transposed ? w[static_cast<size_t>(j * K + k)] : w[static_cast<size_t>((i * K + k) * N + j)];
    return packed;
}

}  // namespace

void buildGemm(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    GemmPush p{};
    const ActParams ap = activationParams(n.act);
    p.actA = ap.a;
    p.actB = ap.b;
    p.batch = 1;
    auto isConst = [&](size_t k) { return k < n.inputs.size() && n.inputs[k] >= 0 && g.value(n.inputs[k]).constant != nullptr; };

    if (n.op == graph::OpKind::Gemm) {
        const Shape& a = g.shapeOf(n.inputs.at(0));
        const Shape& bs = g.shapeOf(n.inputs.at(1));
        if (a.size() != 2 || bs.size() != 2) b.fail("A and B must be 2-D");
        const bool ta = n.attrInt("transA", 0) != 0, tb = n.attrInt("transB", 0) != 0;
        const int64_t M = ta ? a[1] : a[0], K = ta ? a[0] : a[1], N = tb ? bs[0] : bs[1];
        if ((tb ? bs[1] : bs[0]) != K) b.fail("inner dimensions differ");
        p.M = static_cast<uint32_t>(M);
        p.N = static_cast<uint32_t>(N);
        p.K = static_cast<uint32_t>(K);
        p.sAm = ta ? 1 : static_cast<uint32_t>(K);
        p.sAk = ta ? static_cast<uint32_t>(M) : 1;
        p.alpha = n.attrFloat("alpha", 1.0f);
        p.beta = n.attrFloat("beta", 1.0f);
        TensorRef bref;
        const bool bConst = isConst(1);
        if (bConst) {
            // Repacked to [K][N4].
            bref = b.weights(padB(g.value(n.inputs[1]).constant->asFloats(), 1, K, N, tb));
            p.sBk = static_cast<uint32_t>((N + 3) / 4 * 4);
            p.sBn = 1;
        } else {
            bref = b.input(1);
            p.sBk = tb ? 1 : static_cast<uint32_t>(N);
            p.sBn = tb ? static_cast<uint32_t>(K) : 1;
        }
        const bool hasC = n.inputs.size() > 2 && n.inputs[2] >= 0 && p.beta != 0.0f;
        TensorRef cref;
        if (hasC) {
            const Shape& cs = g.shapeOf(n.inputs[2]);
            if (cs.size() > 2) b.fail("C must have rank <= 2");
            const int64_t c0 = cs.size() >= 2 ? cs[cs.size() - 2] : 1;
            const int64_t c1 = cs.empty() ? 1 : cs.back();
            if ((c0 != 1 && c0 != M) || (c1 != 1 && c1 != N)) b.fail("C does not broadcast to [M, N]");
            p.cRow = c0 == 1 ? 0 : static_cast<uint32_t>(c1);
            p.cCol = c1 == 1 ? 0 : 1;
            cref = b.input(2);
        }
        b.setAlgo("gemm");
        dispatchGemm(b, p, b.input(0), bref, hasC ? &cref : nullptr, b.output(0), bConst);
        return;
    }

    // MatMul. An operand may be read through strides from where its chain of index mappings
    // starts (Builder::stridedInput): attention's Q, K and V.
    const std::optional<Builder::StridedInput> va = b.stridedInput(0), vb = b.stridedInput(1);
    Shape a = g.shapeOf(n.inputs.at(0)), bs = g.shapeOf(n.inputs.at(1));
    if (a.empty() || bs.empty()) b.fail("scalar operands are not allowed");
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (bs.size() == 1) bs.push_back(1);
    const int64_t M = a[a.size() - 2], K = a.back(), N = bs.back();
    if (bs[bs.size() - 2] != K) b.fail("inner dimensions differ");
    Shape ba(a.begin(), a.end() - 2);
    const Shape bb(bs.begin(), bs.end() - 2);
    // One B for every matrix of A (a Linear layer on [..., rows, K]): A's batch is more rows
    // of one product, not a batch of small ones.
    int64_t rows = M;
    if (bb.empty() && !va) {
        rows = elementCount(a) / std::max<int64_t>(K, 1);
        ba.clear();
    }
    const Shape batch = graph::broadcastShapes(ba, bb, n.describe());
    const size_t rank = batch.size();
    // A constant B is repacked to [K][N4] per matrix.
    const bool bConst = isConst(1);
    const int64_t n4 = (N + 3) / 4 * 4;
    auto sa = graph::broadcastStrides(ba, rank, M * K), sb = graph::broadcastStrides(bb, rank, K * (bConst ? n4 : N));
    // A strided operand's batch axes step as its view says (right-aligned; broadcast axes stay 0).
    auto viewStrides = [&](const Builder::StridedInput& v, const Shape& batchOf, std::vector<int64_t>& st) {
        for (size_t k = 0; k < batchOf.size(); ++k)
            if (batchOf[k] != 1) st[rank - batchOf.size() + k] = v.strides[k];
    };
    if (va) viewStrides(*va, ba, sa);
    if (vb) viewStrides(*vb, bb, sb);
    // Batch axes of size 1 move nothing: drop them; at most 4 may remain.
    std::vector<size_t> axes;
    for (size_t k = 0; k < rank; ++k)
        if (batch[k] != 1) axes.push_back(k);
    if (axes.size() > 4) b.fail("more than 4 batch axes are not supported");
    p.M = static_cast<uint32_t>(rows);
    p.N = static_cast<uint32_t>(N);
    p.K = static_cast<uint32_t>(K);
    p.sAm = static_cast<uint32_t>(va ? va->strides[va->strides.size() - 2] : K);
    p.sAk = static_cast<uint32_t>(va ? va->strides.back() : 1);
    p.sBk = static_cast<uint32_t>(vb ? vb->strides[vb->strides.size() - 2] : bConst ? n4 : N);
    p.sBn = static_cast<uint32_t>(vb ? vb->strides.back() : 1);
    p.brank = static_cast<uint32_t>(axes.size());
    p.batch = static_cast<uint32_t>(elementCount(batch));
    for (size_t k = 0; k < axes.size(); ++k) {
        p.bdims[k] = static_cast<uint32_t>(batch[axes[k]]);
        p.bsa[k] = static_cast<uint32_t>(sa[axes[k]]);
        p.bsb[k] = static_cast<uint32_t>(sb[axes[k]]);
    }
    p.alpha = n.attrFloat(graph::kMatMulAlpha, 1.0f);  // graph::foldScalarsIntoMatMul
    b.setAlgo(p.batch == 1 ? "gemm" : "batched-gemm");
    const TensorRef bref = bConst ? b.weights(padB(g.value(n.inputs[1]).constant->asFloats(), elementCount(bb), K, N, false)) : vb ? vb->ref : b.input(1);
    // A fused bias Add (graph::fusedAddCandidates): C, one row broadcast over every row.
    const std::optional<TensorRef> bias = b.addend();
    if (bias) {
        p.beta = 1.0f;
        p.cRow = 0;
        p.cCol = 1;
    }
    dispatchGemm(b, p, va ? va->ref : b.input(0), bref, bias ? &*bias : nullptr, b.output(0), bConst);
}

}  // namespace percept::vk
