// SPDX-License-Identifier: Apache-2.0
// int8 on Vulkan (INT8.md): which quantised nodes the Vulkan backend runs (the table INT8.md
// lists, as cpu/int8_registry.cpp does for the CPU), QuantizeLinear / DequantizeLinear
// (shaders/quantize.comp), and the quantised ops without a product: Add (int8_add.comp), pools
// (int8_pool.comp), Concat, views and unary functions (int8_map.comp: one 256-entry table
// each). The tables are the CPU backend's (cpu/int8_table.h), so a code maps to the same code
// on both backends. The products are in vk_int8_linear.cpp.
#include <cstring>

#include "cpu/int8_kernels.h"
#include "cpu/int8_table.h"
#include "graph/schemas.h"
#include "graph/window.h"
#include "vulkan/vk_int8.h"

namespace percept::vk {
namespace int8 {

uint32_t floatBits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

const graph::QuantParams& perTensor(Builder& b, const graph::Value& v) {
    if (!graph::isByteType(v.dtype) || !v.quant.perTensor()) b.fail("the int8 tensor '" + v.name + "' has no scale and zero point");
    return v.quant;
}

AddTerms addTermsOf(const graph::Value& a, const graph::Value& b, double div) {
    AddTerms t;
    t.ca = static_cast<float>(a.quant.scale[0] / div);
    t.cb = static_cast<float>(b.quant.scale[0] / div);
    t.c0 = static_cast<float>(-(a.quant.zeroPoint[0] * static_cast<double>(a.quant.scale[0]) + b.quant.zeroPoint[0] * static_cast<double>(b.quant.scale[0])) / div);
    t.flipA = a.dtype == graph::DType::Int8 ? 0x80 : 0;
    t.flipB = b.dtype == graph::DType::Int8 ? 0x80 : 0;
    t.c0u = t.c0 - (t.flipA ? 128.0f * t.ca : 0.0f) - (t.flipB ? 128.0f * t.cb : 0.0f);
    return t;
}

OutGrid outGridOf(Builder& b, const graph::Value& y, const graph::FusedActivation& act) {
    OutGrid o;
    if (!graph::isByteType(y.dtype)) {
        o.asFloat = true;
        return o;
    }
    perTensor(b, y);
    const cpu::QuantOut q(y, act);
    o.steps = q.clamp();
    o.scale = q.outScale();
    o.zero = q.zero();
    o.lo = q.lo();
    o.hi = q.hi();
    return o;
}

}  // namespace int8

namespace {

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 4096)); }

// y[o * dstStride + dstStart + j] = table[x[o * blk + j]] over `outer` blocks of `blk` codes.
void emitMap(Builder& b, const TensorRef& x, const TensorRef& y, const cpu::int8::Table& t, uint64_t outer, uint64_t blk, uint64_t dstStride,
             uint64_t dstStart) {
    struct Push {
        uint32_t outer, blk, dstStride, dstStart;
    } p{static_cast<uint32_t>(outer), static_cast<uint32_t>(blk), static_cast<uint32_t>(dstStride), static_cast<uint32_t>(dstStart)};
    b.dispatch(b.pipeline("int8_map", "sss"), {x, y, b.rawWeights(int8::tableWords(t))}, 0b010, p, strideGroups(outer * blk));
}

// The identity table of a type (the codes copied unchanged).
cpu::int8::Table identityTable() {
    cpu::int8::Table t;
    for (size_t k = 0; k < 256; ++k) t[k] = static_cast<uint8_t>(k);
    return t;
}

}  // namespace

OpFactory findInt8Factory(const graph::Graph& g, const graph::Node& n, std::string* why) {
    (void)g;
    switch (n.op) {
        case graph::OpKind::QuantizeLinear:
        case graph::OpKind::DequantizeLinear: return buildQuantize;
        case graph::OpKind::Conv:
        case graph::OpKind::Gemm:
        case graph::OpKind::MatMul: return buildInt8Linear;
        case graph::OpKind::Add: return buildInt8Add;
        case graph::OpKind::Concat: return buildInt8Concat;
        case graph::OpKind::MaxPool:
        case graph::OpKind::AveragePool:
        case graph::OpKind::GlobalAveragePool: return buildInt8Pool;
        case graph::OpKind::Reshape:
        case graph::OpKind::Flatten:
        case graph::OpKind::Squeeze:
        case graph::OpKind::Unsqueeze: return buildInt8Map;
        default:
            if (graph::activationOf(n) && n.inputs.size() == 1) return buildInt8Map;
            if (why) *why = std::string(n.opName()) + " on Vulkan: no int8 kernel for this op (INT8.md lists the quantised ops)";
            return nullptr;
    }
}

void buildQuantize(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const bool dequantize = n.op == graph::OpKind::DequantizeLinear;
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    const graph::Value& codes = dequantize ? x : y;
    if (!graph::isByteType(codes.dtype))
        b.fail(dequantize ? "DequantizeLinear reads int8 or uint8 here (an int32 constant is folded at load)" : "QuantizeLinear writes int8 or uint8");
    if (n.act.any()) b.fail("a fused activation on a quantisation op is not supported");
    const graph::QuantParams q = graph::quantParamsOf(n);
    const Shape& s = x.shape;
    const size_t channels = q.scale.size();
    int64_t inner = elementCount(s);
    if (channels > 1) {
        const size_t axis = static_cast<size_t>(q.axis);
        if (axis >= s.size() || s[axis] != static_cast<int64_t>(channels)) b.fail("the parameters do not match the axis");
        inner = 1;
        for (size_t k = axis + 1; k < s.size(); ++k) inner *= s[k];
    }
    std::vector<uint32_t> params(2 * channels);
    for (size_t c = 0; c < channels; ++c) {
        params[c] = int8::floatBits(q.scale[c]);
        params[channels + c] = static_cast<uint32_t>(q.zeroPoint[c]);
    }
    struct Push {
        uint32_t count, inner, channels, isSigned;
        int32_t lo, hi;
    } p{static_cast<uint32_t>(elementCount(s)), static_cast<uint32_t>(std::max<int64_t>(inner, 1)), static_cast<uint32_t>(channels),
        codes.dtype == graph::DType::Int8 ? 1u : 0u, graph::qmin(codes.dtype), graph::qmax(codes.dtype)};
    b.setAlgo(dequantize ? "int8-dequantize" : "int8-quantize");
    if (p.count == 0) return;
    b.dispatch(b.pipeline("quantize", "sss", {dequantize ? 1u : 0u}), {b.input(0), b.output(0), b.rawWeights(params)}, 0b010, p,
               strideGroups(p.count));
}

void buildInt8Add(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::Value& a = g.value(n.inputs.at(0));
    const graph::Value& c = g.value(n.inputs.at(1));
    int8::perTensor(b, a);
    int8::perTensor(b, c);
    if (a.shape != c.shape) b.fail("int8 Add takes two inputs of the same shape");
    const int8::OutGrid out = int8::outGridOf(b, g.value(n.outputs.at(0)), n.act);
    const ActParams ap = activationParams(n.act);
    // In steps of the output's grid where the activation is at most a clamp.
    const int8::AddTerms t = int8::addTermsOf(a, c, out.steps ? out.scale : 1.0);
    struct Push {
        uint32_t count;
        float ca, cb, c0;
        uint32_t signedA, signedB;  // general and float outputs: the codes
        uint32_t flipA, flipB;      // steps: the unsigned bytes
        float c0u;
        float outScale;
        int32_t zero, lo, hi;
        float actA, actB;
    } p{static_cast<uint32_t>(elementCount(a.shape)),
        t.ca,
        t.cb,
        t.c0,
        t.flipA ? 1u : 0u,
        t.flipB ? 1u : 0u,
        t.flipA,
        t.flipB,
        t.c0u,
        out.scale,
        out.zero,
        out.lo,
        out.hi,
        ap.a,
        ap.b};
    b.setAlgo("int8-add");
    if (p.count == 0) return;
    b.dispatch(b.pipeline("int8_add", "sss", {activationCode(n.act.kind), out.asFloat ? 2u : out.steps ? 0u : 1u}), {b.input(0), b.input(1), b.output(0)},
               0b100, p, strideGroups(p.count));
}

void buildInt8Concat(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::Value& yv = g.value(n.outputs.at(0));
    int8::perTensor(b, yv);
    if (n.act.any()) b.fail("a fused activation on an int8 Concat is not supported");
    const ConcatRows rows = concatRows(b);
    const int64_t axis = rows.axis, outer = rows.outer, inner = rows.inner, outBlock = rows.outBlock;
    const TensorRef out = b.output(0);
    b.setAlgo("int8");
    int64_t start = 0;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        const graph::Value& xv = g.value(n.inputs[k]);
        const int64_t blk = xv.shape[static_cast<size_t>(axis)] * inner;
        if (blk > 0 && outer > 0) {
            const TensorRef in = b.input(k);
            const bool same = cpu::int8::sameBytes(xv, yv);
            // A part the memory plan placed inside the output (same bytes only) is there already.
            if (!(same && outer == 1 && in.res == out.res && in.offset == out.offset + static_cast<VkDeviceSize>(start))) {
                int8::perTensor(b, xv);
                emitMap(b, in, out, same ? identityTable() : cpu::int8::tableOf(xv, yv, {}), static_cast<uint64_t>(outer),
                        static_cast<uint64_t>(blk), static_cast<uint64_t>(outBlock), static_cast<uint64_t>(start));
            }
        }
        start += blk;
    }
}

void buildInt8Map(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    if (!graph::isByteType(x.dtype) || !graph::isByteType(y.dtype)) b.fail("reads and writes 8-bit tensors only as int8 (INT8.md)");
    const uint64_t count = static_cast<uint64_t>(elementCount(y.shape));
    if (static_cast<uint64_t>(elementCount(x.shape)) != count) b.fail("output and input sizes differ");
    const std::optional<graph::FusedActivation> f = graph::activationOf(n);
    const TensorRef xr = b.input(0), yr = b.output(0);
    if (!f && !n.act.any() && cpu::int8::sameBytes(x, y)) {
        // A view: the same bytes, shared by the memory plan or copied.
        b.setAlgo("int8-view");
        if (count > 0 && (xr.res != yr.res || xr.offset != yr.offset)) b.copy(TensorRef{xr.res, xr.offset, count}, TensorRef{yr.res, yr.offset, count});
        return;
    }
    int8::perTensor(b, x);
    int8::perTensor(b, y);
    b.setAlgo("int8-table");
    if (count == 0) return;
    emitMap(b, xr, yr, f ? cpu::int8::tableOf(x, y, {*f, n.act}) : cpu::int8::tableOf(x, y, {n.act}), 1, count, count, 0);
}

void buildInt8Pool(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const graph::Value& xv = g.value(n.inputs.at(0));
    const graph::Value& yv = g.value(n.outputs.at(0));
    const graph::QuantParams& qx = int8::perTensor(b, xv);
    const bool isMax = n.op == graph::OpKind::MaxPool;
    if (isMax && n.outputs.size() > 1 && n.outputs[1] >= 0) b.fail("an int8 MaxPool has no Indices output");
    const int8::OutGrid out = int8::outGridOf(b, yv, {});
    if (isMax && out.asFloat) b.fail("an int8 MaxPool writes 8-bit codes");
    if (!isMax && n.act.any()) b.fail("a fused activation on an int8 average pool is not supported");
    struct Push {
        PoolWindow win;
        uint32_t isSigned;
        float scale;
        int32_t inZero;
        float outScale;
        int32_t zero, lo, hi;
    } p{};
    p.win = poolWindow(b);
    if (n.op == graph::OpKind::GlobalAveragePool) b.setAlgo("int8-global-avg-pool");
    else b.setAlgo(isMax ? "int8-max-pool" : "int8-avg-pool");
    p.isSigned = xv.dtype == graph::DType::Int8 ? 1u : 0u;
    p.scale = qx.scale[0];
    p.inZero = qx.zeroPoint[0];
    p.outScale = out.scale, p.zero = out.zero, p.lo = out.lo, p.hi = out.hi;
    const uint64_t count = p.win.outputs();
    if (count == 0) return;
    const TensorRef table = b.rawWeights(int8::tableWords(isMax ? cpu::int8::tableOf(xv, yv, {n.act}) : identityTable()));
    const uint32_t groups = groupCount(count, 64);
    const uint32_t gx = std::min<uint32_t>(groups, 65535), gy = (groups + gx - 1) / gx;
    b.dispatch(b.pipeline("int8_pool", "sss", {isMax ? 1u : 0u, out.asFloat ? 1u : 0u}), {b.input(0), b.output(0), table}, 0b010, p, gx, gy);
}

}  // namespace percept::vk
