// 2-D pooling on NCHW: MaxPool (with dilations), AveragePool (count_include_pad both ways) and
// GlobalAveragePool. Every window is clipped to the input, so pads and ceil_mode (already in
// the output shape) need no padded copy. Planes run in parallel on the pool.
#include <algorithm>
#include <limits>

#include "cpu/isa.h"
#include "cpu/max_pool_rows.h"
#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

// Range [lo, hi) of output columns ox whose input column ox*stride + off lies in [0, width).
inline void validRange(int64_t off, int64_t stride, int64_t width, int64_t outWidth, int64_t& lo, int64_t& hi) {
    lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    hi = width - 1 - off < 0 ? 0 : (width - 1 - off) / stride + 1;
    hi = std::min(hi, outWidth);
    lo = std::min(lo, hi);
}

// One output row of a KxK window (no dilation) over columns [lo, hi) whose windows lie wholly
// inside the input rows starting at x: all taps unrolled, each output written once.
template <int K, bool Max>
inline void windowRow(float* y, const float* x, int64_t W, int64_t sw, int64_t pl, int64_t lo, int64_t hi) {
    for (int64_t ox = lo; ox < hi; ++ox) {
        const float* p = x + ox * sw - pl;
        float a = Max ? p[0] : 0.0f;
        for (int ky = 0; ky < K; ++ky)
            for (int kx = 0; kx < K; ++kx) a = Max ? std::max(a, p[ky * W + kx]) : a + p[ky * W + kx];
        y[ox] = a;
    }
}

class PoolKernel final : public Kernel {
public:
    PoolKernel(bool isMax, const Shape& x, const Shape& y, std::vector<int64_t> k, std::vector<int64_t> s,
               std::vector<int64_t> d, std::vector<int64_t> pads, bool countIncludePad, graph::FusedActivation act, MaxPoolRowFns simd)
        : max_(isMax), act_(act) {
        planes_ = x[0] * x[1], H_ = x[2], W_ = x[3], OH_ = y[2], OW_ = y[3];
        kh_ = k[0], kw_ = k[1], sh_ = s[0], sw_ = s[1], dh_ = d[0], dw_ = d[1], pt_ = pads[0], pl_ = pads[1];
        // Output columns where each kernel column is inside the input (the same on every row),
        // and for 2x2 / 3x3 windows the interior where all of them are.
        inLo_ = 0, inHi_ = OW_;
        for (int64_t kx = 0; kx < kw_; ++kx) {
            int64_t lo, hi;
            validRange(kx * dw_ - pl_, sw_, W_, OW_, lo, hi);
            tapLo_.push_back(lo);
            tapHi_.push_back(hi);
            inLo_ = std::max(inLo_, lo);
            inHi_ = std::min(inHi_, hi);
        }
        inHi_ = std::max(inHi_, inLo_);
        fastK_ = kh_ == kw_ && (kh_ == 2 || kh_ == 3) && dh_ == 1 && dw_ == 1 ? static_cast<int>(kh_) : 0;
        rows_.H = H_, rows_.W = W_, rows_.OH = OH_, rows_.OW = OW_, rows_.kh = kh_, rows_.kw = kw_, rows_.sh = sh_, rows_.sw = sw_;
        rows_.pt = pt_, rows_.pl = pl_, rows_.act = act_, rows_.simd = simd;
        if (!max_) {
            // The divisor of each output depends only on its row and column: precompute
            // 1/divisor once. count_include_pad = 0: the window's elements inside the input;
            // = 1: the window clipped to the padded input (ends past it under ceil_mode are not
            // counted), as ONNX Runtime does.
            auto counts = [&](int64_t out, int64_t stride, int64_t kernel, int64_t padBegin, int64_t padEnd, int64_t in) {
                std::vector<int64_t> c(static_cast<size_t>(out));
                for (int64_t o = 0; o < out; ++o) {
                    const int64_t b = o * stride - padBegin, e = b + kernel;
                    c[o] = countIncludePad ? std::min(e, in + padEnd) - b : std::min(e, in) - std::max<int64_t>(b, 0);
                }
                return c;
            };
            const auto rows = counts(OH_, sh_, kh_, pads[0], pads[2], H_);
            const auto cols = counts(OW_, sw_, kw_, pads[1], pads[3], W_);
            inv_.resize(static_cast<size_t>(OH_ * OW_));
            for (int64_t oy = 0; oy < OH_; ++oy)
                for (int64_t ox = 0; ox < OW_; ++ox) {
                    const int64_t c = rows[oy] * cols[ox];
                    inv_[oy * OW_ + ox] = c > 0 ? 1.0f / static_cast<float>(c) : 0.0f;
                }
        }
    }

    const char* algo() const override { return max_ ? (separable() ? "max-pool/rows" : "max-pool") : "avg-pool"; }
    size_t workspaceBytes(int threads) const override {
        return separable() ? static_cast<size_t>(std::max(threads, 1)) * rowFloats() * sizeof(float) : 0;
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, OH_ * OW_));
        ctx.pool.parallelFor(planes_, grain, [&](int64_t b, int64_t e, int th) {
            for (int64_t p = b; p < e; ++p) {
                if (separable()) rows_.run(x + p * H_ * W_, 0, y + p * OH_ * OW_, 0, OH_, ctx.workspace + static_cast<size_t>(th) * rowFloats());
                else plane(x + p * H_ * W_, y + p * OH_ * OW_);
            }
        });
    }

private:
    bool separable() const { return max_ && dh_ == 1 && dw_ == 1; }
    size_t rowFloats() const { return rows_.rowFloats(); }

    // Row by row: for each window row inside the input and each kernel column, fold the input
    // row into the output row over the columns where that tap is valid. Vectorises for stride 1.
    void plane(const float* x, float* y) const {
        const float init = max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
        for (int64_t oy = 0; oy < OH_; ++oy) {
            float* yr = y + oy * OW_;
            const int64_t iy0 = oy * sh_ - pt_;
            if (fastK_ && iy0 >= 0 && iy0 + fastK_ <= H_) {
                // Every window row inside the input: the interior columns in one pass.
                const float* xr = x + iy0 * W_;
                if (fastK_ == 3) {
                    if (max_) windowRow<3, true>(yr, xr, W_, sw_, pl_, inLo_, inHi_);
                    else windowRow<3, false>(yr, xr, W_, sw_, pl_, inLo_, inHi_);
                } else {
                    if (max_) windowRow<2, true>(yr, xr, W_, sw_, pl_, inLo_, inHi_);
                    else windowRow<2, false>(yr, xr, W_, sw_, pl_, inLo_, inHi_);
                }
                // Border columns, clipped window by window.
                auto border = [&](int64_t ox) {
                    float a = init;
                    for (int64_t ky = 0; ky < fastK_; ++ky)
                        for (int64_t kx = 0; kx < fastK_; ++kx) {
                            const int64_t ix = ox * sw_ - pl_ + kx;
                            if (ix < 0 || ix >= W_) continue;
                            const float v = xr[ky * W_ + ix];
                            a = max_ ? std::max(a, v) : a + v;
                        }
                    yr[ox] = a;
                };
                for (int64_t ox = 0; ox < inLo_; ++ox) border(ox);
                for (int64_t ox = inHi_; ox < OW_; ++ox) border(ox);
            } else {
                std::fill(yr, yr + OW_, init);
                for (int64_t ky = 0; ky < kh_; ++ky) {
                    const int64_t iy = iy0 + ky * dh_;
                    if (iy < 0 || iy >= H_) continue;
                    const float* xr = x + iy * W_;
                    for (int64_t kx = 0; kx < kw_; ++kx) {
                        const int64_t off = kx * dw_ - pl_, lo = tapLo_[kx], hi = tapHi_[kx];
                        if (max_) {
                            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] = std::max(yr[ox], xr[ox * sw_ + off]);
                        } else {
                            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += xr[ox * sw_ + off];
                        }
                    }
                }
            }
            if (!max_) {
                const float* inv = inv_.data() + oy * OW_;
                for (int64_t ox = 0; ox < OW_; ++ox) yr[ox] *= inv[ox];
            }
            if (act_.any()) activate(act_, yr, yr, OW_);
        }
    }

    bool max_;
    graph::FusedActivation act_;
    int64_t planes_, H_, W_, OH_, OW_, kh_, kw_, sh_, sw_, dh_, dw_, pt_, pl_;
    std::vector<float> inv_;              // AveragePool: 1 / divisor per output position
    std::vector<int64_t> tapLo_, tapHi_;  // per kernel column: output columns where it is valid
    int64_t inLo_ = 0, inHi_ = 0;         // columns where every kernel column is valid
    int fastK_ = 0;                       // 2 or 3 for an undilated square window, else 0
    MaxPoolRows rows_;                    // the separable MaxPool
};

class GlobalAveragePoolKernel final : public Kernel {
public:
    GlobalAveragePoolKernel(int64_t planes, int64_t size, graph::FusedActivation act) : planes_(planes), size_(size), act_(act) {}
    const char* algo() const override { return "global-avg-pool"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const float inv = 1.0f / static_cast<float>(std::max<int64_t>(size_, 1));
        const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size_));
        ctx.pool.parallelFor(planes_, grain, [&](int64_t b, int64_t e, int) {
            for (int64_t p = b; p < e; ++p) {
                y[p] = sum(x + p * size_, size_) * inv;
            }
            if (act_.any()) activate(act_, y + b, y + b, e - b);
        });
    }

private:
    // 16 independent partial sums: one running sum is a chain of dependent adds (4 cycles
    // each) that the compiler may not reorder without -ffast-math; these vectorise.
    static float sum(const float* x, int64_t n) {
        float acc[16] = {};
        int64_t i = 0;
        for (; i + 16 <= n; i += 16)
            for (int j = 0; j < 16; ++j) acc[j] += x[i + j];
        for (; i < n; ++i) acc[i & 15] += x[i];
        float s = 0.0f;
        for (float a : acc) s += a;
        return s;
    }

    int64_t planes_, size_;
    graph::FusedActivation act_;
};

}  // namespace

size_t MaxPoolRows::rowFloats() const { return static_cast<size_t>(std::max(pl + W, (OW - 1) * sw + kw) + 16) / 16 * 16; }

void MaxPoolRows::inputRows(int64_t oy0, int64_t oy1, int64_t& lo, int64_t& hi) const {
    lo = std::max<int64_t>(0, oy0 * sh - pt);
    hi = std::min(H, (oy1 - 1) * sh - pt + kh);
    hi = std::max(hi, lo);
}

void MaxPoolRows::run(const float* x, int64_t xRow0, float* y, int64_t oy0, int64_t oy1, float* t) const {
    const float lowest = -std::numeric_limits<float>::infinity();
    const int64_t need = (OW - 1) * sw + kw;  // buffer columns the windows read
    const int64_t valid = std::max<int64_t>(0, std::min(W, need - pl));  // input columns inside them
    std::fill(t, t + pl, lowest);
    std::fill(t + pl + valid, t + std::max(need, pl + valid), lowest);
    float* tr = t + pl;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
        const int64_t iy0 = oy * sh - pt;
        const int64_t ky0 = std::max<int64_t>(0, -iy0), ky1 = std::min(kh, H - iy0);
        if (ky0 >= ky1) {
            std::fill(tr, tr + valid, lowest);
        } else {
            const float* r = x + (iy0 + ky0 - xRow0) * W;
            std::copy(r, r + valid, tr);
            for (int64_t ky = ky0 + 1; ky < ky1; ++ky) {
                r += W;
                if (simd.maxInto) simd.maxInto(tr, r, valid);
                else
                    for (int64_t i = 0; i < valid; ++i) tr[i] = std::max(tr[i], r[i]);
            }
        }
        float* yr = y + oy * OW;
        if (kw == 3 && sw == 2 && simd.window3s2) {
            simd.window3s2(t, yr, OW);
        } else if (kw == 3 && sw == 2) {
            for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = std::max(std::max(t[2 * ox], t[2 * ox + 1]), t[2 * ox + 2]);
        } else if (kw == 2 && sw == 2) {
            for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = std::max(t[2 * ox], t[2 * ox + 1]);
        } else if (kw == 3 && sw == 1) {
            for (int64_t ox = 0; ox < OW; ++ox) yr[ox] = std::max(std::max(t[ox], t[ox + 1]), t[ox + 2]);
        } else {
            for (int64_t ox = 0; ox < OW; ++ox) {
                const float* w = t + ox * sw;
                float a = w[0];
                for (int64_t kx = 1; kx < kw; ++kx) a = std::max(a, w[kx]);
                yr[ox] = a;
            }
        }
        if (act.any()) activate(act, yr, yr, OW);
    }
}

std::unique_ptr<Kernel> makePool(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Shape& y = outShape(g, n);
    if (x.size() != 4 || y.size() != 4) fail(n, "only 2-D pooling on NCHW tensors is supported");
    const bool isMax = n.op == graph::OpKind::MaxPool;
    auto k = n.attrInts("kernel_shape"), s = n.attrInts("strides", {1, 1}), d = n.attrInts("dilations", {1, 1});
    auto pads = n.attrInts("pads", {0, 0, 0, 0});
    if (k.size() != 2 || s.size() != 2 || d.size() != 2 || pads.size() != 4) fail(n, "kernel_shape/strides/dilations/pads must describe 2 spatial axes");
    if (!isMax && (d[0] != 1 || d[1] != 1)) fail(n, "dilated average pooling is not supported");
    const bool includePad = n.attrInt("count_include_pad", 0) != 0;
    return std::make_unique<PoolKernel>(isMax, x, y, k, s, d, pads, includePad, n.act, cfg.simd.maxPool);
}

std::unique_ptr<Kernel> makeGlobalPool(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 3) fail(n, "needs an input of rank >= 3");
    return std::make_unique<GlobalAveragePoolKernel>(x[0] * x[1], product(x, 2, x.size()), n.act);
}

}  // namespace percept::cpu
