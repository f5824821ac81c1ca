// SPDX-License-Identifier: Apache-2.0
// Pooling on NCHW: MaxPool and AveragePool (dilations, count_include_pad both ways) in 1-D
// (as 2-D planes of one row), 2-D and 3-D, and GlobalAveragePool (GlobalMaxPool: reduce.cpp). Every window
// is clipped to the input, so pads and ceil_mode (already in the output shape) need no padded
// copy. Planes run in parallel on the pool.
#include <algorithm>
#include <limits>

#include "cpu/conv.h"
#include "cpu/isa.h"
#include "cpu/max_pool_rows.h"
#include "cpu/op_util.h"
#include "cpu/squeeze_excite.h"

namespace percept::cpu {
namespace {

// The divisor of AveragePool along one axis, per output position o: the window's taps
// b + k*dilation (b = o*stride - padBegin, k < kernel) inside the input (count_include_pad = 0),
// or inside the padded input [-padBegin, in + padEnd) (= 1; taps past it under ceil_mode are
// not counted, as ONNX Runtime does). The divisor of a window is the product over its axes.
std::vector<int64_t> averageCounts(int64_t out, int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t padBegin,
                                   int64_t padEnd, bool includePad) {
    std::vector<int64_t> c(static_cast<size_t>(out), 0);
    const int64_t lo = includePad ? -padBegin : 0, hi = includePad ? in + padEnd : in;
    for (int64_t o = 0; o < out; ++o)
        for (int64_t k = 0; k < kernel; ++k) {
            const int64_t i = o * stride - padBegin + k * dilation;
            c[static_cast<size_t>(o)] += i >= lo && i < hi ? 1 : 0;
        }
    return c;
}

// 1 / (rows[i] * cols[j] * ...) over the output positions, 0 where a window holds nothing.
std::vector<float> inverseCounts(const std::vector<int64_t>& d, const std::vector<int64_t>& h, const std::vector<int64_t>& w) {
    std::vector<float> inv;
    inv.reserve(d.size() * h.size() * w.size());
    for (int64_t cd : d)
        for (int64_t ch : h)
            for (int64_t cw : w) {
                const int64_t c = cd * ch * cw;
                inv.push_back(c > 0 ? 1.0f / static_cast<float>(c) : 0.0f);
            }
    return inv;
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
            // The divisor of each output depends only on its row and column: 1/divisor once.
            inv_ = inverseCounts({1}, averageCounts(OH_, H_, kh_, sh_, dh_, pads[0], pads[2], countIncludePad),
                                 averageCounts(OW_, W_, kw_, sw_, dw_, pads[1], pads[3], countIncludePad));
        }
    }

    const char* algo() const override { return max_ ? (separable() ? "max-pool/rows" : "max-pool") : "avg-pool"; }
    size_t workspaceBytes(int threads) const override {
        return separable() ? static_cast<size_t>(std::max(threads, 1)) * rowFloats() * sizeof(float) : 0;  // a page a thread
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
    size_t rowFloats() const { return threadStride(rows_.rowFloats()); }  // a thread stride

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

// 3-D windows [N,C,D,H,W]: a direct loop over each output's window, clipped to the input
// (the taps inside it along each axis computed once per output coordinate). Planes in parallel.
class Pool3dKernel final : public Kernel {
public:
    Pool3dKernel(bool isMax, int64_t planes, const Spatial3& s, bool countIncludePad, graph::FusedActivation act)
        : max_(isMax), planes_(planes), s_(s), act_(act) {
        for (int a = 0; a < 3; ++a) {
            // Per output coordinate along axis a: the first input index and the taps [k0, k1)
            // that fall inside the input.
            auto& t = axes_[a];
            for (int64_t o = 0; o < s.out[a]; ++o) {
                const int64_t b = o * s.stride[a] - s.padBegin[a], d = s.dilation[a];
                int64_t k0 = b >= 0 ? 0 : (-b + d - 1) / d;
                int64_t k1 = s.in[a] - b <= 0 ? 0 : std::min(s.kernel[a], (s.in[a] - b + d - 1) / d);
                k0 = std::min(k0, k1);
                t.push_back({b, k0, k1});
            }
        }
        if (!max_)
            inv_ = inverseCounts(averageCounts(s.out[0], s.in[0], s.kernel[0], s.stride[0], s.dilation[0], s.padBegin[0], s.padEnd[0], countIncludePad),
                                 averageCounts(s.out[1], s.in[1], s.kernel[1], s.stride[1], s.dilation[1], s.padBegin[1], s.padEnd[1], countIncludePad),
                                 averageCounts(s.out[2], s.in[2], s.kernel[2], s.stride[2], s.dilation[2], s.padBegin[2], s.padEnd[2], countIncludePad));
    }
    const char* algo() const override { return max_ ? "max-pool-3d" : "avg-pool-3d"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t inPlane = s_.inPlane(), outPlane = s_.outPlane();
        const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, outPlane));
        ctx.pool.parallelFor(planes_, grain, [&](int64_t b, int64_t e, int) {
            for (int64_t p = b; p < e; ++p) volume(inputs[0] + p * inPlane, outputs[0] + p * outPlane);
        });
    }

private:
    struct Taps {
        int64_t begin, k0, k1;  // input index of tap 0; taps [k0, k1) are inside the input
    };

    void volume(const float* x, float* y) const {
        const int64_t H = s_.in[1], W = s_.in[2];
        for (int64_t oz = 0; oz < s_.out[0]; ++oz)
            for (int64_t oy = 0; oy < s_.out[1]; ++oy) {
                float* yr = y + (oz * s_.out[1] + oy) * s_.out[2];
                const Taps tz = axes_[0][oz], ty = axes_[1][oy];
                for (int64_t ox = 0; ox < s_.out[2]; ++ox) {
                    const Taps tx = axes_[2][ox];
                    float a = max_ ? -std::numeric_limits<float>::infinity() : 0.0f;
                    for (int64_t kz = tz.k0; kz < tz.k1; ++kz)
                        for (int64_t ky = ty.k0; ky < ty.k1; ++ky) {
                            const float* r = x + ((tz.begin + kz * s_.dilation[0]) * H + ty.begin + ky * s_.dilation[1]) * W + tx.begin;
                            for (int64_t kx = tx.k0; kx < tx.k1; ++kx) {
                                const float v = r[kx * s_.dilation[2]];
                                a = max_ ? std::max(a, v) : a + v;
                            }
                        }
                    yr[ox] = max_ ? a : a * inv_[static_cast<size_t>((oz * s_.out[1] + oy) * s_.out[2] + ox)];
                }
                if (act_.any()) activate(act_, yr, yr, s_.out[2]);
            }
    }

    bool max_;
    int64_t planes_;
    Spatial3 s_;
    graph::FusedActivation act_;
    std::vector<Taps> axes_[3];
    std::vector<float> inv_;  // AveragePool: 1 / divisor per output position
};

// GlobalAveragePool: one mean per (image, channel) plane. (GlobalMaxPool is a reduction:
// cpu/reduce.cpp.)
class GlobalPoolKernel final : public Kernel {
public:
    GlobalPoolKernel(int64_t planes, int64_t size, graph::FusedActivation act) : planes_(planes), size_(size), act_(act) {}
    const char* algo() const override { return "global-avg-pool"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const float inv = 1.0f / static_cast<float>(std::max<int64_t>(size_, 1));
        const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, size_));
        ctx.pool.parallelFor(planes_, grain, [&](int64_t b, int64_t e, int) {
            for (int64_t p = b; p < e; ++p) y[p] = planeSum(x + p * size_, size_) * inv;
            if (act_.any()) activate(act_, y + b, y + b, e - b);
        });
    }

private:
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
            if (simd.maxRows) {
                simd.maxRows(tr, r, W, ky1 - ky0, valid);
            } else {
                std::copy(r, r + valid, tr);
                for (int64_t ky = ky0 + 1; ky < ky1; ++ky) {
                    r += W;
                    for (int64_t i = 0; i < valid; ++i) tr[i] = std::max(tr[i], r[i]);
                }
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
    const Spatial3 s = spatial3(n, x, y);
    const bool isMax = n.op == graph::OpKind::MaxPool;
    const bool includePad = n.attrInt("count_include_pad", 0) != 0;
    if (s.spatialAxes == 3) return std::make_unique<Pool3dKernel>(isMax, x[0] * x[1], s, includePad, n.act);
    // 1-D and 2-D: planes of [H, W] (1-D: H = 1).
    return std::make_unique<PoolKernel>(isMax, Shape{x[0], x[1], s.in[1], s.in[2]}, Shape{y[0], y[1], s.out[1], s.out[2]},
                                        std::vector<int64_t>{s.kernel[1], s.kernel[2]}, std::vector<int64_t>{s.stride[1], s.stride[2]},
                                        std::vector<int64_t>{s.dilation[1], s.dilation[2]},
                                        std::vector<int64_t>{s.padBegin[1], s.padBegin[2], s.padEnd[1], s.padEnd[2]}, includePad, n.act,
                                        cfg.simd.maxPool);
}

std::unique_ptr<Kernel> makeGlobalPool(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 3) fail(n, "needs an input of rank >= 3");
    return std::make_unique<GlobalPoolKernel>(x[0] * x[1], product(x, 2, x.size()), n.act);
}

}  // namespace percept::cpu
