// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): quantised depthwise convolution (group == C == M), a channel at a time,
// channels split over the threads:
//  - "int8-depthwise/<level>": 3x3 stride 1 or 2 where the level has Int8Kernels::
//    depthwise3x3s1 / s2: the channel is copied into a plane padded with its zero point and the
//    taps run as dot products of bytes (stride 1) or of 16-bit pairs (stride 2). At stride 2 the
//    fp32 path below took MobileNet v1's 112 -> 56 layer at 23 GOP/s: the plane widened to
//    floats, padded and read back twice over is 4 bytes a pixel against 1. At stride 1 the
//    padded rows lie end to end (OW + 2 apart) and the kernel runs over them as one long row,
//    64 outputs a block, so a 14-wide plane fills its vectors (the 2 outputs per row that
//    straddle a row's end are dropped); one block per row of 14 had left 50 of 64 lanes idle;
//  - "int8-depthwise-lanes/<level>": small planes (MobileNets' 7x7 and 14x14 stages), before
//    the two below: a block of channels' offsets from the zero point (x - zx) through the fp32
//    channels-in-lanes kernel with the integer taps (w - zw). The byte kernel fills its 64-byte
//    vectors with 7 or 14 of a row's bytes and pads every channel to 128-byte rows: on
//    MobileNetV2 it took 0.1 ms for each 7x7 layer, 4x the fp32 model's;
//  - "int8-depthwise/simd": 3x3 at stride 1 or 2 on a SIMD level: the level's fp32 depthwise
//    kernel on the channel's offsets from the zero point (x - zx) with the integer taps (w - zw),
//    exact in fp32 (49 products of 8-bit values stay far below 2^24, so every kernel size is);
//  - "int8-depthwise": every other shape, a direct integer loop.
// All end in the OutputStage, as the GEMM convolution does.
#include "cpu/int8_conv.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace percept::cpu::int8 {
namespace {

class Int8ConvDepthwise final : public Kernel {
public:
    Int8ConvDepthwise(const ConvGeom& q, const Input& in, Weights w, OutputStage out, const KernelConfig& cfg, const Int8Kernels& k)
        : q_(q), in_(in), w_(std::move(w)), out_(std::move(out)), k_(k) {
        const bool fast3 = q.kh == 3 && q.kw == 3 && q.dh == 1 && q.dw == 1 && q.sh == q.sw && (q.sh == 1 || q.sh == 2);
        if (fast3) simd_ = cfg.simd.depthwise3x3;
        const CpuKernels& f = cfg.simd;
        if (cfg.tuning.depthwiseLanes && q.kh == q.kw && q.dh == 1 && q.dw == 1 && q.sh == q.sw &&
            depthwiseLanesTakes(f, q.kh, q.sh, q.OH, q.OW, q.C, kInt8DepthwiseLanesMaxWidth)) {
            lanesFn_ = f.depthwiseLanes;
            lanes_ = f.lanes;
            lanesAlgo_ = std::string("int8-depthwise-lanes/") + f.name();
            lanesZeroBias_.assign(static_cast<size_t>(lanes_), 0.0f);
            // The block's input offsets and float sums (a plane per lane each), the int32 sums
            // and the output stage's scratch (a plane each), the fp32 kernel's scratch.
            const size_t P = alignFloats(static_cast<size_t>(q.P()));
            lanesFloats_ = threadStride(static_cast<size_t>(lanes_) * (alignFloats(static_cast<size_t>(q.H * q.W)) + P) + 2 * P +
                                        alignFloats(static_cast<size_t>(depthwiseLanesScratch(q.OH, q.OW, q.sh, q.kh, lanes_))));
        }
        // Each channel's taps less its zero point: the weights' integers as the sums need them.
        const size_t per = static_cast<size_t>(q_.kh * q_.kw);
        taps_.resize(w_.w.size());
        for (size_t k = 0; k < w_.w.size(); ++k) taps_[k] = static_cast<float>(w_.w[k] - w_.zero[k / per]);
        if (q.kh == 3 && q.kw == 3 && q.dh == 1 && q.dw == 1 && q.sh == q.sw) {
            if (q.sh == 1 && k.depthwise3x3s1) {
                bytes_ = k.depthwise3x3s1;
                flat_ = true;
                ld_ = q.OW + 2;
            } else if (q.sh == 2 && k.depthwise3x3s2) {
                bytes_ = k.depthwise3x3s2;
                ld_ = (2 * ((q.OW + 15) / 16 * 16) + 2 + 63) / 64 * 64;  // to byte 2 * (OW to 16) + 1
            }
            if (bytes_) bytesAlgo_ = std::string("int8-depthwise/") + k.name;
        }
    }
    size_t workspaceBytes(int threads) const override { return perThread() * static_cast<size_t>(threads); }
    size_t weightBytes() const override { return w_.w.size() + taps_.size() * sizeof(float); }
    const char* algo() const override {
        return lanesFn_ ? lanesAlgo_.c_str() : bytes_ ? bytesAlgo_.c_str() : simd_ ? "int8-depthwise/simd" : "int8-depthwise";
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const int64_t C = q_.C, plane = q_.H * q_.W, P = q_.P();
        if (lanesFn_) {
            const int64_t blocks = (C + lanes_ - 1) / lanes_;
            ctx.pool.parallelFor(blocks, 1, [&](int64_t b0, int64_t b1, int th) {
                for (int64_t b = b0; b < b1; ++b) channelBlock(x, y, b * lanes_, std::min<int64_t>(lanes_, C - b * lanes_), th, ctx.workspace);
            });
            return;
        }
        auto channels = [&](int64_t c0, int64_t c1, int th) {
            uint8_t* base = reinterpret_cast<uint8_t*>(ctx.workspace) + static_cast<size_t>(th) * perThread();
            float* xf = reinterpret_cast<float*>(base);
            float* yf = xf + planeFloats();
            int32_t* acc = reinterpret_cast<int32_t*>(yf + alignFloats(static_cast<size_t>(P)));
            float* scratch = reinterpret_cast<float*>(acc + accInts());
            float* pad = scratch + alignFloats(static_cast<size_t>(P));
            for (int64_t c = c0; c < c1; ++c) {
                const uint8_t* xc = x + c * plane;
                if (bytes_) channelBytes(xc, c, reinterpret_cast<uint8_t*>(xf), acc);
                else if (simd_) channelSimd(xc, c, xf, yf, pad, acc);
                else channelDirect(xc, c, acc);
                out_.write(acc, P, c, 1, P, y, P, 1, scratch);
            }
        };
        if (ctx.pool.size() == 1 || C * P < 16 * 1024) channels(0, C, 0);
        else ctx.pool.parallelFor(C, 1, channels);
    }

private:
    // The input plane (as floats, or padded bytes), the float sums, the int32 sums, scratch.
    size_t planeFloats() const {
        return std::max(alignFloats(static_cast<size_t>(q_.H * q_.W)), alignFloats(static_cast<size_t>(paddedBytes() / 4 + 1)));
    }
    // The byte kernels' padded plane, and past it the most a flat run reads beyond its rows.
    int64_t paddedBytes() const { return paddedRows() * ld_ + (flat_ ? 128 : 0); }
    // The int32 sums: a flat run writes OW + 2 a row before they are closed up.
    size_t accInts() const { return alignFloats(static_cast<size_t>(flat_ ? q_.OH * ld_ : q_.P())); }
    // The rows of the byte kernels' padded plane: those under the last output row's window.
    int64_t paddedRows() const { return (q_.OH - 1) * q_.sh + 3; }
    // The fp32 SIMD kernel's zero-padded copy of the plane (DepthwiseArgs::pad).
    size_t padFloats() const {
        return simd_ && !bytes_ ? alignFloats(static_cast<size_t>(depthwisePadRows(q_.OH, q_.sh, 3) * depthwisePadPitch(q_.OW, q_.sh))) : 0;
    }
    size_t perThread() const {  // a thread stride, bytes
        if (lanesFn_) return lanesFloats_ * sizeof(float);
        return threadStride(planeFloats() + 2 * alignFloats(static_cast<size_t>(q_.P())) + accInts() + padFloats()) * sizeof(float);
    }
    // Channels c0 .. c0 + n - 1 through the fp32 channels-in-lanes kernel on their offsets from
    // the zero point, then, channel by channel, the zero point's share and the output stage.
    void channelBlock(const uint8_t* x, uint8_t* y, int64_t c0, int64_t n, int th, float* workspace) const {
        const int64_t plane = q_.H * q_.W, P = q_.P();
        const size_t planeStride = alignFloats(static_cast<size_t>(plane)), outStride = alignFloats(static_cast<size_t>(P));
        float* xf = workspace + static_cast<size_t>(th) * lanesFloats_;
        float* yf = xf + static_cast<size_t>(lanes_) * planeStride;
        int32_t* acc = reinterpret_cast<int32_t*>(yf + static_cast<size_t>(lanes_) * outStride);
        float* scratch = reinterpret_cast<float*>(acc) + outStride;
        float* kernelScratch = scratch + outStride;
        const float z = static_cast<float>(in_.zero);
        // Packed H * W apart, as the kernel reads its planes.
        for (int64_t j = 0; j < n; ++j) k_.toOffsets(x + (c0 + j) * plane, xf + j * plane, plane, in_.flip, z);
        const DepthwiseLanesArgs a{xf, n, q_.H, q_.W, taps_.data() + c0 * q_.kh * q_.kw, lanesZeroBias_.data(), yf, q_.OH, q_.OW, q_.sh,
                                   q_.pt, q_.pl, q_.kh, {}, kernelScratch};
        lanesFn_(a);
        for (int64_t j = 0; j < n; ++j) {
            const int64_t c = c0 + j;
            const int32_t add = in_.zero * static_cast<int32_t>(w_.rowSum[static_cast<size_t>(c)]);
            const float* yc = yf + j * P;
            for (int64_t i = 0; i < P; ++i) acc[i] = static_cast<int32_t>(yc[i]) + add;
            out_.write(acc, P, c, 1, P, y, P, 1, scratch);
        }
    }
    // The channel padded with its zero point (rows of ld_ bytes), then the level's byte kernel.
    void channelBytes(const uint8_t* xc, int64_t c, uint8_t* padded, int32_t* acc) const {
        const int8_t* w = w_.w.data() + c * 9;
        const int32_t zw = w_.zero[static_cast<size_t>(c)];
        for (int64_t py = 0; py < paddedRows(); ++py) {
            uint8_t* d = padded + py * ld_;
            const int64_t iy = py - q_.pt;
            if (iy < 0 || iy >= q_.H) {
                std::memset(d, in_.padByte, static_cast<size_t>(ld_));
                continue;
            }
            const int64_t n = std::min(q_.W, ld_ - q_.pl);
            std::memset(d, in_.padByte, static_cast<size_t>(q_.pl));
            std::memcpy(d + q_.pl, xc + iy * q_.W, static_cast<size_t>(n));
            std::memset(d + q_.pl + n, in_.padByte, static_cast<size_t>(ld_ - q_.pl - n));
        }
        if (!flat_) {
            bytes_(padded, ld_, q_.OH, q_.OW, in_.flip, w, zw, acc);
            return;
        }
        // One row of OH * ld_ outputs over the rows end to end; then each row's OW closed up.
        std::memset(padded + paddedRows() * ld_, in_.padByte, static_cast<size_t>(paddedBytes() - paddedRows() * ld_));
        bytes_(padded, ld_, 1, q_.OH * ld_, in_.flip, w, zw, acc);
        for (int64_t oy = 1; oy < q_.OH; ++oy) std::memmove(acc + oy * q_.OW, acc + oy * ld_, static_cast<size_t>(q_.OW) * sizeof(int32_t));
    }
    // The fp32 kernel on x - zero point (pads then add 0); the zero point's share is added back
    // so acc is the GEMM convention's sum over every tap of (w - zw) x.
    void channelSimd(const uint8_t* xc, int64_t c, float* xf, float* yf, float* pad, int32_t* acc) const {
        const int64_t plane = q_.H * q_.W, P = q_.P();
        const float z = static_cast<float>(in_.zero);
        k_.toOffsets(xc, xf, plane, in_.flip, z);
        DepthwiseArgs a{xf, q_.H, q_.W, taps_.data() + c * 9, 0.0f, yf, q_.OH, q_.OW, q_.sh, q_.pt, q_.pl, {}, 3, pad};
        simd_(a);
        const int32_t add = in_.zero * static_cast<int32_t>(w_.rowSum[static_cast<size_t>(c)]);
        for (int64_t i = 0; i < P; ++i) acc[i] = static_cast<int32_t>(yf[i]) + add;
    }
    // Sum over every tap, pads counting as the zero point (the GEMM convention).
    void channelDirect(const uint8_t* xc, int64_t c, int32_t* acc) const {
        const float* w = taps_.data() + c * q_.kh * q_.kw;  // exact integers
        for (int64_t oy = 0; oy < q_.OH; ++oy)
            for (int64_t ox = 0; ox < q_.OW; ++ox) {
                int32_t s = 0;
                for (int64_t ky = 0; ky < q_.kh; ++ky) {
                    const int64_t iy = oy * q_.sh - q_.pt + ky * q_.dh;
                    for (int64_t kx = 0; kx < q_.kw; ++kx) {
                        const int64_t ix = ox * q_.sw - q_.pl + kx * q_.dw;
                        const int32_t v = iy < 0 || iy >= q_.H || ix < 0 || ix >= q_.W ? in_.zero : static_cast<uint8_t>(xc[iy * q_.W + ix] ^ in_.flip);
                        s += v * static_cast<int32_t>(w[ky * q_.kw + kx]);
                    }
                }
                acc[oy * q_.OW + ox] = s;
            }
    }

    ConvGeom q_;
    Input in_;
    Weights w_;
    std::vector<float> taps_;
    OutputStage out_;
    DepthwiseFn simd_ = nullptr;
    const Int8Kernels& k_;
    DepthwiseLanesFn lanesFn_ = nullptr;  // small planes: a block of channels at once
    int lanes_ = 1;
    std::string lanesAlgo_;
    std::vector<float> lanesZeroBias_;    // the fp32 kernel's bias: the output stage adds the real one
    size_t lanesFloats_ = 0;              // lanesFn_'s workspace per thread (see the constructor; a thread stride)
    decltype(Int8Kernels::depthwise3x3s1) bytes_ = nullptr;  // or depthwise3x3s2: the same signature
    std::string bytesAlgo_;
    bool flat_ = false;  // stride 1: the padded rows as one long row (see the top)
    int64_t ld_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Depthwise(const ConvGeom& q, const Input& in, Weights w, OutputStage out, const KernelConfig& cfg, const Int8Kernels& k) {
    return std::make_unique<Int8ConvDepthwise>(q, in, std::move(w), std::move(out), cfg, k);
}

}  // namespace percept::cpu::int8
