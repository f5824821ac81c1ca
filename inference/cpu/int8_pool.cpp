// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): quantised MaxPool, AveragePool and GlobalAveragePool on [N, C, ...] planes
// (1-D, 2-D, 3-D windows: graph/window.h), planes split over the threads.
//  - MaxPool takes the largest code of each window (an int8 tensor's codes are compared with
//    their sign bit flipped, so one unsigned max serves both types), then maps it through a
//    table when the output's parameters differ. 2-D windows without dilation run separably:
//    the max down the window's rows for a whole output row (a vector loop over the bytes),
//    then across each window's columns.
//  - The averages sum the codes of each window in integers and round the real mean once; the
//    output may be 8-bit or Float32 (a classifier's pooled logits).
#include <algorithm>
#include <cstring>
#include <optional>

#include "cpu/conv.h"
#include "cpu/int8.h"
#include "cpu/int8_kernels.h"
#include "cpu/int8_table.h"
#include "cpu/row_split.h"
#include "graph/window.h"

namespace percept::cpu {
namespace {

using namespace int8;

// f(offset) for every tap of the window at output position `at` (depth, row, column) that lies
// inside the input plane; offset: the tap's index in the plane.
template <class F>
inline void forEachTap(const graph::Spatial3& s, const int64_t at[3], F&& f) {
    for (int64_t kd = 0; kd < s.kernel[0]; ++kd) {
        const int64_t id = at[0] * s.stride[0] - s.padBegin[0] + kd * s.dilation[0];
        if (id < 0 || id >= s.in[0]) continue;
        for (int64_t kh = 0; kh < s.kernel[1]; ++kh) {
            const int64_t ih = at[1] * s.stride[1] - s.padBegin[1] + kh * s.dilation[1];
            if (ih < 0 || ih >= s.in[1]) continue;
            for (int64_t kw = 0; kw < s.kernel[2]; ++kw) {
                const int64_t iw = at[2] * s.stride[2] - s.padBegin[2] + kw * s.dilation[2];
                if (iw >= 0 && iw < s.in[2]) f((id * s.in[1] + ih) * s.in[2] + iw);
            }
        }
    }
}

class MaxPoolKernel final : public Kernel {
public:
    MaxPoolKernel(const graph::Graph& g, const graph::Node& n, const Int8Kernels& k) : k_(k) {
        const graph::Value& x = g.value(n.inputs.at(0));
        const graph::Value& y = g.value(n.outputs.at(0));
        s_ = graph::spatial3(n, x.shape, y.shape);
        planes_ = x.shape[0] * x.shape[1];
        flip_ = x.dtype == graph::DType::Int8 ? 0x80 : 0;
        if (!sameBytes(x, y)) table_ = tableOf(x, y, {});
        separable_ = s_.in[0] == 1 && s_.kernel[0] == 1 && s_.dilation[1] == 1 && s_.dilation[2] == 1;
    }
    size_t workspaceBytes(int threads) const override { return threadStride(static_cast<size_t>(s_.in[2])) * sizeof(float) * static_cast<size_t>(threads); }
    const char* algo() const override { return separable_ ? "int8-separable" : "int8"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const int64_t inPlane = s_.inPlane(), outPlane = s_.outPlane();
        splitRows(ctx.pool, planes_, inPlane, [&](int64_t p0, int64_t p1, int th) {
            uint8_t* row = reinterpret_cast<uint8_t*>(ctx.workspace) + static_cast<size_t>(th) * threadStride(static_cast<size_t>(s_.in[2])) * sizeof(float);
            for (int64_t p = p0; p < p1; ++p) {
                uint8_t* yp = y + p * outPlane;
                if (separable_) planeSeparable(x + p * inPlane, yp, row);
                else planeGeneric(x + p * inPlane, yp);
                if (table_) mapBytes(yp, yp, outPlane, &*table_);
            }
        });
    }

private:
    // Codes compared as unsigned bytes after the flip (int8: sign bit flipped keeps the order).
    // The geometry and the flip are read into locals first: the byte stores below may alias
    // any object, members included, so the compiler would otherwise reload them at every byte
    // and not vectorise the loops (SqueezeNet's int8 pools ran at ~10 GB/s of input).
    void planeSeparable(const uint8_t* x, uint8_t* y, uint8_t* row) const {
        const int64_t H = s_.in[1], W = s_.in[2], OH = s_.out[1], OW = s_.out[2];
        const int64_t sy = s_.stride[1], sx = s_.stride[2], py = s_.padBegin[1], px = s_.padBegin[2], kh = s_.kernel[1], kw = s_.kernel[2];
        const uint8_t flip = flip_;
        for (int64_t oy = 0; oy < OH; ++oy) {
            const int64_t y0 = std::max<int64_t>(0, oy * sy - py);
            const int64_t y1 = std::min<int64_t>(H, oy * sy - py + kh);
            if (y1 - y0 == 3) {  // a 3-tall window wholly inside: one pass over its rows
                const uint8_t *r0 = x + y0 * W, *r1 = r0 + W, *r2 = r1 + W;
                for (int64_t i = 0; i < W; ++i)
                    row[i] = std::max<uint8_t>(std::max<uint8_t>(r0[i] ^ flip, r1[i] ^ flip), static_cast<uint8_t>(r2[i] ^ flip));
            } else {
                std::memset(row, 0, static_cast<size_t>(W));
                for (int64_t iy = y0; iy < y1; ++iy) {
                    const uint8_t* in = x + iy * W;
                    for (int64_t i = 0; i < W; ++i) row[i] = std::max<uint8_t>(row[i], static_cast<uint8_t>(in[i] ^ flip));
                }
            }
            uint8_t* out = y + oy * OW;
            int64_t a = 0, b = 0;  // the 3-wide stride-2 windows wholly inside the row: the row kernel
            if (kw == 3 && sx == 2) {
                validRange(-px, 2, W - 2, OW, a, b);
                k_.max3s2(row + 2 * a - px, out + a, b - a);
            }
            for (int64_t ox = 0; ox < OW; ++ox) {
                if (ox == a && b > a) ox = b;
                if (ox >= OW) break;
                const int64_t c = ox * sx - px;
                const int64_t x0 = std::max<int64_t>(0, c), x1 = std::min<int64_t>(W, c + kw);
                uint8_t m = 0;
                for (int64_t i = x0; i < x1; ++i) m = std::max(m, row[i]);
                out[ox] = m;
            }
            if (flip)
                for (int64_t ox = 0; ox < OW; ++ox) out[ox] ^= flip;
        }
    }

    void planeGeneric(const uint8_t* x, uint8_t* y) const {
        int64_t o = 0;
        for (int64_t od = 0; od < s_.out[0]; ++od)
            for (int64_t oh = 0; oh < s_.out[1]; ++oh)
                for (int64_t ow = 0; ow < s_.out[2]; ++ow, ++o) {
                    const int64_t at[3] = {od, oh, ow};
                    uint8_t m = 0;
                    forEachTap(s_, at, [&](int64_t i) { m = std::max(m, static_cast<uint8_t>(x[i] ^ flip_)); });
                    y[o] = static_cast<uint8_t>(m ^ flip_);
                }
    }

    const Int8Kernels& k_;
    graph::Spatial3 s_;
    int64_t planes_ = 0;
    uint8_t flip_ = 0;
    bool separable_ = false;
    std::optional<Table> table_;
};

// The sum of n codes, in blocks whose 32-bit sums cannot overflow (2^23 bytes of at most 2^8).
template <class T>
int64_t sumCodes(const T* x, int64_t n) {
    int64_t sum = 0;
    for (int64_t b = 0; b < n; b += int64_t{1} << 23) {
        const int64_t e = std::min(n, b + (int64_t{1} << 23));
        int32_t s = 0;
        for (int64_t i = b; i < e; ++i) s += x[i];
        sum += s;
    }
    return sum;
}

// The divisor of an AveragePool window along one axis: taps inside the input, or inside the
// padded input with count_include_pad (ONNX Runtime's reading, as cpu/pool.cpp).
int64_t taps(int64_t o, const graph::Spatial3& s, int a, bool includePad) {
    const int64_t lo = includePad ? -s.padBegin[a] : 0, hi = includePad ? s.in[a] + s.padEnd[a] : s.in[a];
    int64_t c = 0;
    for (int64_t k = 0; k < s.kernel[a]; ++k) {
        const int64_t i = o * s.stride[a] - s.padBegin[a] + k * s.dilation[a];
        c += i >= lo && i < hi;
    }
    return c;
}

class AveragePoolKernel final : public Kernel {
public:
    AveragePoolKernel(const graph::Graph& g, const graph::Node& n) : out_(g.value(n.outputs.at(0)), {}) {
        const graph::Value& x = g.value(n.inputs.at(0));
        const graph::Value& y = g.value(n.outputs.at(0));
        planes_ = x.shape[0] * x.shape[1];
        global_ = n.op == graph::OpKind::GlobalAveragePool;
        if (global_) {
            s_.in[2] = s_.kernel[2] = elementCount(x.shape) / std::max<int64_t>(planes_, 1);
        } else {
            s_ = graph::spatial3(n, x.shape, y.shape);
            includePad_ = n.attrInt("count_include_pad", 0) != 0;
        }
        type_ = x.dtype;
        scale_ = x.quant.scale[0];
        zero_ = x.quant.zeroPoint[0];
    }
    size_t workspaceBytes(int threads) const override {
        return threadStride(static_cast<size_t>(s_.outPlane())) * sizeof(float) * static_cast<size_t>(threads);
    }
    const char* algo() const override { return "int8"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const size_t eb = out_.floatOutput() ? sizeof(float) : 1;
        const int64_t inPlane = s_.inPlane(), outPlane = s_.outPlane();
        splitRows(ctx.pool, planes_, inPlane, [&](int64_t p0, int64_t p1, int th) {
            float* real = ctx.workspace + static_cast<size_t>(th) * threadStride(static_cast<size_t>(outPlane));
            for (int64_t p = p0; p < p1; ++p) {
                plane(x + p * inPlane, real);
                out_.fromReal(real, outPlane, y + static_cast<size_t>(p * outPlane) * eb, 1);
            }
        });
    }

private:
    // Pads hold real zero: only the taps inside add to the sum of reals.
    void plane(const uint8_t* x, float* real) const {
        if (global_) {
            // The whole plane: one vectorisable sum of its codes (forEachTap's bounds checks per
            // byte made a classifier's 1000 x 13 x 13 pooling 7 % of SqueezeNet's int8 run).
            const int64_t n = s_.in[2];
            const int64_t sum = type_ == graph::DType::Int8 ? sumCodes(reinterpret_cast<const int8_t*>(x), n) : sumCodes(x, n);
            real[0] = n > 0 ? static_cast<float>(scale_ * static_cast<double>(sum - zero_ * n) / static_cast<double>(n)) : 0.0f;
            return;
        }
        int64_t o = 0;
        for (int64_t od = 0; od < s_.out[0]; ++od)
            for (int64_t oh = 0; oh < s_.out[1]; ++oh)
                for (int64_t ow = 0; ow < s_.out[2]; ++ow, ++o) {
                    const int64_t at[3] = {od, oh, ow};
                    int64_t sum = 0, inside = 0;
                    forEachTap(s_, at, [&](int64_t i) {
                        sum += codeOf(x[i], type_);
                        ++inside;
                    });
                    int64_t divisor = inside;
                    if (includePad_) divisor = taps(od, s_, 0, true) * taps(oh, s_, 1, true) * taps(ow, s_, 2, true);
                    real[o] = divisor > 0 ? static_cast<float>(scale_ * static_cast<double>(sum - zero_ * inside) / static_cast<double>(divisor)) : 0.0f;
                }
    }

    graph::Spatial3 s_;
    int64_t planes_ = 0;
    bool global_ = false, includePad_ = false;
    graph::DType type_ = graph::DType::UInt8;
    double scale_ = 1.0;
    int32_t zero_ = 0;
    QuantOut out_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Pool(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    requirePerTensor(n, x);
    if (x.shape.size() < 3) fail(n, "an int8 pool takes [N,C,...] tensors");
    if (n.op == graph::OpKind::MaxPool) {
        requirePerTensor(n, y);
        if (x.dtype != y.dtype) fail(n, "an int8 MaxPool keeps its input's type");
        return std::make_unique<MaxPoolKernel>(g, n, int8KernelsFor(cfg.simd));
    }
    if (graph::isByteType(y.dtype)) requirePerTensor(n, y);
    return std::make_unique<AveragePoolKernel>(g, n);
}

}  // namespace percept::cpu
