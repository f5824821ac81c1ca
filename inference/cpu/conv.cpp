// SPDX-License-Identifier: Apache-2.0
// Convolution, NCHW (1-D [N,C,L] runs as [N,C,1,L]; 3-D [N,C,D,H,W] through im2col), with
// four algorithms:
//  - "winograd":    3x3 stride 1, ungrouped, with enough channels and tiles: conv_winograd.cpp.
//  - "1x1-gemm":    1x1 kernel, stride 1, no padding: the input already is the GEMM's B matrix
//                   ([C x H*W] per image), so one cblas_sgemm per group, no im2col.
//  - "depthwise":   group == C_in == C_out: a direct loop per channel (the GEMM would have
//                   M = 1), with a one-pass 3x3 stride 1/2 interior for the common case.
//  - "im2col-gemm": everything else, 3-D included. The column matrix [K x P] is never built whole: it
//                   is built a tile of output columns at a time (at most kIm2colTileBytes per
//                   thread, after Espresso's multistage im2col), and the GEMM of each tile
//                   writes straight into the output (ldc = OH*OW).
// Bias and the fused activation are applied to each block as soon as it is computed.
#include "cpu/conv.h"
#include "cpu/conv_group.h"
#include "cpu/conv_winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "cpu/isa.h"
#include "cpu/max_pool_rows.h"
#include "cpu/op_util.h"
#include "cpu/packed_gemm.h"
#include "cpu/squeeze_excite.h"
#include "graph/quant.h"

namespace percept::cpu {
namespace {

struct ConvGeom {
    int64_t N = 0, C = 0, H = 0, W = 0;  // input
    int64_t M = 0, OH = 0, OW = 0;       // output channels and size
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
    int64_t pt = 0, pl = 0;              // top / left padding (bottom/right follow from OH/OW)
    int64_t group = 1, Cg = 0, Mg = 0;   // channels per group
    bool padsZero = true;
    // Depth (3-D convs; 1 otherwise): input and output depth, kernel, stride, dilation, front pad.
    int64_t D = 1, OD = 1, kd = 1, sd = 1, dd = 1, pf = 0;
    bool planar() const { return D == 1 && OD == 1 && kd == 1; }
    // A 1x1 kernel, stride 1, no padding: the input is the GEMM's B as it is ("1x1-gemm").
    bool pointwise() const {
        return kd == 1 && kh == 1 && kw == 1 && sd == 1 && sh == 1 && sw == 1 && padsZero && OD == D && OH == H && OW == W;
    }
    // One input channel per output channel (group == C == M).
    bool depthwise() const { return planar() && group == C && Cg == 1 && Mg == 1; }
    int64_t K() const { return Cg * kd * kh * kw; }
    int64_t P() const { return OD * OH * OW; }
    int64_t inPlane() const { return D * H * W; }
};

// A conv's constant weights as floats: the constant's own vector, not a copy (a copy of the
// layer's weights lived beside the repacked ones while its kernel was built: ResNet-18's
// 9.4 MB 512 x 512 x 3 x 3 on top of its 16.8 MB of Winograd weights, the peak of a session
// streaming compressed weights); converted into `converted` when stored otherwise.
const std::vector<float>& weightsOf(const graph::Graph& g, const graph::Node& n, std::vector<float>& converted) {
    const graph::TensorData& t = *g.value(n.inputs[1]).constant;
    if (t.dtype == graph::DType::Float32 && !t.isCoded()) return t.f;
    converted = t.asFloats();  // refuses coded weights (they are decoded before any kernel is built)
    return converted;
}

// The weights of a conv packed for `pg`, one block per group; empty when they are not constant.
std::vector<float> packWeights(const graph::Graph& g, const graph::Node& n, const PackedGemm& pg, int64_t group, int64_t Mg, int64_t K) {
    if (!hasInput(n, 1) || !g.value(n.inputs[1]).constant) return {};
    std::vector<float> converted;
    const std::vector<float>& w = weightsOf(g, n, converted);
    const int64_t per = pg.packedFloats(Mg, K);
    std::vector<float> out(static_cast<size_t>(per * group));
    for (int64_t gi = 0; gi < group; ++gi) pg.pack(w.data() + gi * Mg * K, K, Mg, K, out.data() + gi * per);
    return out;
}

// The widest output row (plus the kernel's reach) im2colTileStride2 splits on its stack.
constexpr int64_t kSplitRowMax = 1024;
// ... and the widest output row it is chosen for: on short rows a stride-2 copy is mostly its
// ragged end (ResNet-50's 3x3 stride-2 convs, 28 to 7 wide: 100-125 us less each at 1 thread),
// while on 112-wide rows the contiguous copies' calls cost about what they save (SqueezeNet's
// 3x3 stem +29 us, ResNet-50's 7x7 stem -79 us and ResNet-18's +31 us at 2 threads, 4-5 rounds).
constexpr int64_t kSplitRowsOW = 32;

// im2colTile for a 2-D conv of stride 2 across, no dilation across, kw >= 2 (a ResNet stem's 7x7,
// the 3x3 stride-2 convs): each input row a tile reads is split once into its even and odd
// columns (zero where the padding is), and each kernel column's row of the tile is then a
// contiguous copy from one of the two. A strided copy per kernel column and output row had made
// ResNet's 7x7 stem copy 16,464 rows of 112 values an image one stride-2 gather at a time.
void im2colTileStride2(const ConvGeom& q, CopyStride2Fn copy2, const float* x, float* col, int64_t p0, int64_t p1, int64_t cBegin, int64_t cEnd) {
    const int64_t cols = p1 - p0, reach = (q.kw - 1) / 2;  // column kx reads split column ox + kx / 2
    float split[2][kSplitRowMax];  // [parity][m - ox0]: input column 2m + parity - pl
    for (int64_t c = cBegin; c < cEnd; ++c) {
        const float* plane = x + c * q.H * q.W;
        for (int64_t ky = 0; ky < q.kh; ++ky) {
            float* rows = col + (c * q.kh + ky) * q.kw * cols;  // kernel column kx's row at rows + kx * cols
            for (int64_t p = p0; p < p1;) {
                const int64_t oy = p / q.OW, ox0 = p - oy * q.OW, n = std::min(q.OW - ox0, p1 - p);
                const int64_t iy = oy * q.sh - q.pt + ky * q.dh;
                float* d = rows + (p - p0);
                if (iy < 0 || iy >= q.H) {
                    for (int64_t kx = 0; kx < q.kw; ++kx) std::fill(d + kx * cols, d + kx * cols + n, 0.0f);
                } else {
                    const float* in = plane + iy * q.W;
                    const int64_t m0 = ox0, m1 = ox0 + n + reach;
                    for (int par = 0; par < 2; ++par) {
                        // The m whose column 2m + par - pl lies in [0, W).
                        const int64_t last = q.W - 1 + q.pl - par;
                        const int64_t lo = std::clamp<int64_t>((q.pl - par + 1) / 2, m0, m1);
                        const int64_t hi = std::clamp<int64_t>(last >= 0 ? last / 2 + 1 : 0, lo, m1);
                        float* s = split[par] - m0;  // s[m]
                        std::fill(s + m0, s + lo, 0.0f);
                        if (hi > lo) copy2(in + 2 * lo + par - q.pl, s + lo, hi - lo);
                        std::fill(s + hi, s + m1, 0.0f);
                    }
                    for (int64_t kx = 0; kx < q.kw; ++kx) std::memcpy(d + kx * cols, split[kx % 2] + kx / 2, static_cast<size_t>(n) * sizeof(float));
                }
                p += n;
            }
        }
    }
}

// Columns [p0, p1) of the im2col matrix of one group's input channels, as a [K x (p1-p0)]
// row-major block. Row (c, kz, ky, kx) holds input[c][iz][iy][ix] at iz = oz*sd - pf + kz*dd,
// iy = oy*sh - pt + ky*dh, ix = ox*sw - pl + kx*dw for the output positions
// p = (oz*OH + oy)*OW + ox, zero where that falls in the padding (2-D: oz = iz = 0).
void im2colTile(const ConvGeom& q, CopyStride2Fn copy2, const float* x, float* col, int64_t p0, int64_t p1, int64_t cBegin, int64_t cEnd) {
    if (copy2 && q.planar() && q.sw == 2 && q.dw == 1 && q.kw >= 2 && q.OW <= kSplitRowsOW && q.OW + q.kw <= kSplitRowMax)
        return im2colTileStride2(q, copy2, x, col, p0, p1, cBegin, cEnd);
    float* dst = col + cBegin * q.kd * q.kh * q.kw * (p1 - p0);
    for (int64_t c = cBegin; c < cEnd; ++c) {
        const float* volume = x + c * q.inPlane();
        for (int64_t kz = 0; kz < q.kd; ++kz) {
            for (int64_t ky = 0; ky < q.kh; ++ky) {
                for (int64_t kx = 0; kx < q.kw; ++kx) {
                    const int64_t off = kx * q.dw - q.pl;
                    int64_t lo, hi;
                    validRange(off, q.sw, q.W, q.OW, lo, hi);
                    // Walk the tile one output row segment at a time.
                    for (int64_t p = p0; p < p1;) {
                        const int64_t row = p / q.OW, ox0 = p - row * q.OW;
                        const int64_t ox1 = std::min(q.OW, ox0 + (p1 - p));
                        const int64_t oz = q.planar() ? 0 : row / q.OH, oy = row - oz * q.OH;
                        const int64_t iz = oz * q.sd - q.pf + kz * q.dd;
                        const int64_t iy = oy * q.sh - q.pt + ky * q.dh;
                        if (iy < 0 || iy >= q.H || iz < 0 || iz >= q.D) {
                            std::fill(dst, dst + (ox1 - ox0), 0.0f);
                        } else {
                            const float* in = volume + (iz * q.H + iy) * q.W;
                            const int64_t a = std::clamp(lo, ox0, ox1), b = std::clamp(hi, a, ox1);
                            float* d = dst - ox0;  // d[ox] is this row's slot for column ox
                            for (int64_t ox = ox0; ox < a; ++ox) d[ox] = 0.0f;
                            if (q.sw == 1) {
                                if (b > a) std::memcpy(d + a, in + a + off, static_cast<size_t>(b - a) * sizeof(float));
                            } else if (q.sw == 2 && copy2) {
                                if (b > a) copy2(in + a * 2 + off, d + a, b - a);
                            } else {
                                for (int64_t ox = a; ox < b; ++ox) d[ox] = in[ox * q.sw + off];
                            }
                            for (int64_t ox = b; ox < ox1; ++ox) d[ox] = 0.0f;
                        }
                        dst += ox1 - ox0;
                        p += ox1 - ox0;
                    }
                }
            }
        }
    }
}

class ConvBase : public Kernel {
public:
    ConvBase(const ConvGeom& geom, std::vector<float> bias, graph::FusedActivation act)
        : geo_(geom), bias_(std::move(bias)), act_(act) {}
    size_t weightBytes() const override { return bias_.size() * sizeof(float); }

protected:
    ConvGeom geo_;
    std::vector<float> bias_;  // M values (zeros when the node has no bias)
    graph::FusedActivation act_;
};

// ---- 1x1, stride 1, no padding -----------------------------------------------------------

class Conv1x1 final : public ConvBase {
public:
    Conv1x1(const ConvGeom& geom, std::vector<float> bias, graph::FusedActivation act, const CpuKernels& simd, std::vector<float> packed,
            const float* constW)
        : ConvBase(geom, std::move(bias), act), pg_(packed.empty() ? nullptr : simd.gemm), packed_(std::move(packed)) {
        // A handful of columns (1x1 spatial: a classifier) is a matrix-vector product:
        // OpenBLAS's GEMV streams the weights better than NR-wide tiles mostly of padding.
        if (geo_.P() < 8) {
            pg_ = nullptr;
            packed_.clear();
            // One column: our SIMD dot rows (OpenBLAS's GEMV runs its AVX2 path here), over a
            // cache-line aligned copy of constant weights.
            if (geo_.P() == 1) dot_ = simd.dotRows;
            if (dot_ && constW) wRows_ = gemvRows(constW, false, geo_.M, geo_.Cg);
        }
        algo_ = dot_ ? std::string("1x1-gemv/") + simd.name() : pg_ ? std::string("1x1-gemm/") + simd.name() : "1x1-gemm";
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override { return pg_ ? packScratchFloats(threads) * sizeof(float) : 0; }
    size_t weightBytes() const override { return ConvBase::weightBytes() + (packed_.size() + wRows_.size()) * sizeof(float); }

    // Whether it runs on the packed GEMM, which can add a residual connection in its epilogue.
    bool packed() const { return pg_ != nullptr; }
    // Fused with the Add reading its output (makeConvAdd, which builds it with the Add's
    // activation): run() then finds the Add's other operand at inputs[input] and adds it.
    void addResidual(size_t input) { residualInput_ = static_cast<int>(input); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        if (pg_) return runPacked(inputs, outputs, ctx, nullptr);
        runUnpacked(inputs, outputs, ctx);
    }

    // On the packed GEMM (packed()), the input's channels scaled by inputScale ([N][C]) as they
    // are read, when it is not null (makeSqueezeExciteConv).
    void runPacked(const float* const* inputs, float* const* outputs, KernelContext& ctx, const float* inputScale) const {
        const ConvGeom& q = geo_;
        const int64_t P = q.P();
        const int64_t per = pg_->packedFloats(q.Mg, q.Cg);
        const float* res = residualInput_ >= 0 ? inputs[residualInput_] : nullptr;
        for (int64_t n = 0; n < q.N; ++n)
            for (int64_t g = 0; g < q.group; ++g) {
                const int64_t out = (n * q.M + g * q.Mg) * P, in = n * q.C + g * q.Cg;
                packedGemmParallel(ctx.pool, *pg_, packed_.data() + g * per, q.Mg, q.Cg, inputs[0] + in * P, P, P, outputs[0] + out, P,
                                   bias_.data() + g * q.Mg, act_, ctx.workspace, res ? res + out : nullptr,
                                   inputScale ? inputScale + in : nullptr);
            }
    }

private:
    void runUnpacked(const float* const* inputs, float* const* outputs, KernelContext& ctx) {
        const ConvGeom& q = geo_;
        const int64_t P = q.P();
        const float* w = wRows_.empty() ? inputs[1] : wRows_.data();
        if (dot_) {
            for (int64_t n = 0; n < q.N; ++n)
                for (int64_t g = 0; g < q.group; ++g) {
                    float* y = outputs[0] + n * q.M + g * q.Mg;
                    parallelDotRows(ctx.pool, dot_, w + g * q.Mg * q.Cg, q.Cg, inputs[0] + n * q.C + g * q.Cg, q.Cg, q.Mg, y);
                    for (int64_t r = 0; r < q.Mg; ++r) y[r] += bias_[static_cast<size_t>(g * q.Mg + r)];
                    if (act_.any()) activate(act_, y, y, q.Mg);
                }
            return;
        }
        for (int64_t n = 0; n < q.N; ++n) {
            for (int64_t g = 0; g < q.group; ++g) {
                const float* a = w + g * q.Mg * q.Cg;                 // [Mg x Cg]
                const float* b = inputs[0] + (n * q.C + g * q.Cg) * P;  // [Cg x P]
                float* c = outputs[0] + (n * q.M + g * q.Mg) * P;      // [Mg x P]
                const float* bias = bias_.data() + g * q.Mg;
                parallelGemm(ctx.pool, false, false, q.Mg, P, q.Cg, 1.0f, a, q.Cg, b, P, 0.0f, c, P,
                             [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                                 biasActivateRows(act_, bias + r0, c + r0 * P + c0, P, r1 - r0, c1 - c0);
                             });
            }
        }
    }

    const PackedGemm* pg_;
    std::vector<float> packed_;
    DotRowsFn dot_ = nullptr;  // 1x1 plane: matrix-vector product
    AlignedFloats wRows_;      // dot_: the constant weights, rows aligned
    std::string algo_;
    int residualInput_ = -1;  // addResidual()
};

// A squeeze-and-excitation block's gate applied to a 1x1 conv's input channels as the GEMM
// packs them (makeSqueezeExciteConv): the block's output x * gate is never made.
class SqueezeExciteConv final : public Kernel {
public:
    SqueezeExciteConv(SqueezeExciteGate gate, std::unique_ptr<Conv1x1> conv, bool residual)
        : gate_(std::move(gate)), conv_(std::move(conv)), residual_(residual) {
        algo_ = "squeeze-excite+";
        algo_ += conv_->algo();
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override { return gateOffset(threads) + gate_.workspaceFloats(threads) * sizeof(float); }
    size_t weightBytes() const override { return gate_.weightBytes() + conv_->weightBytes(); }

    // inputs: x (the block's input), then the residual Add's addend when there is one.
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        // The conv's scratch first (its B packing, a page-aligned slice per thread), then the gate's.
        const float* gate = gate_.compute(ctx.pool, inputs[0], ctx.workspace + gateOffset(ctx.pool.size()) / sizeof(float));
        const float* convInputs[2] = {inputs[0], residual_ ? inputs[1] : nullptr};
        conv_->runPacked(convInputs, outputs, ctx, gate);
    }

private:
    size_t gateOffset(int threads) const { return threadStrideBytes(conv_->workspaceBytes(threads)); }

    SqueezeExciteGate gate_;
    std::unique_ptr<Conv1x1> conv_;
    bool residual_;
    std::string algo_;
};

// ---- Depthwise -----------------------------------------------------------------------------

// One output row of a 3x3 depthwise conv over the interior columns [lo, hi), where all nine
// taps are inside the input: each output is computed in one go (bias + 9 products) from the
// three input rows, so y is written once and the loop vectorises for stride 1.
template <int S>
inline void interior3x3(float* y, const float* r0, const float* r1, const float* r2, const float* w, float bias, int64_t pl,
                        int64_t lo, int64_t hi) {
    const float w00 = w[0], w01 = w[1], w02 = w[2], w10 = w[3], w11 = w[4], w12 = w[5], w20 = w[6], w21 = w[7], w22 = w[8];
    for (int64_t ox = lo; ox < hi; ++ox) {
        const int64_t i = ox * S - pl;
        y[ox] = bias + w00 * r0[i] + w01 * r0[i + 1] + w02 * r0[i + 2] + w10 * r1[i] + w11 * r1[i + 1] + w12 * r1[i + 2] +
                w20 * r2[i] + w21 * r2[i + 1] + w22 * r2[i + 2];
    }
}

// The per-plane SIMD kernel for a depthwise conv (square kernels the level's template has, no
// dilation, the same stride 1 or 2 both ways, rows the padded copy takes), or null.
DepthwiseFn depthwiseSimd(const ConvGeom& q, const CpuKernels& kernels) {
    if (q.kh != q.kw || !depthwiseKTakes(q.kh) || q.dh != 1 || q.dw != 1 || q.sh != q.sw || (q.sw != 1 && q.sw != 2) ||
        !depthwisePadTakes(q.OW, q.sw))
        return nullptr;
    return q.kh == 3 ? kernels.depthwise3x3 : kernels.depthwiseK;
}

// Whether such a conv takes the channels-in-lanes kernel instead (small planes, up to the
// output width where that pays on the level; `lanes`: tuning.depthwiseLanes).
bool depthwiseInLanes(const ConvGeom& q, const CpuKernels& kernels, bool lanes) {
    return lanes && depthwiseLanesTakes(kernels, q.kh, q.sh, q.OH, q.OW, q.C, kernels.depthwiseLanesMaxWidth);
}

class ConvDepthwise final : public ConvBase {
public:
    ConvDepthwise(const ConvGeom& geom, std::vector<float> bias, graph::FusedActivation act, const CpuKernels& kernels, bool lanes)
        : ConvBase(geom, std::move(bias), act) {
        const ConvGeom& q = geo_;
        // The output columns where each kernel column's tap is inside the input: the same for
        // every row, so computed once here.
        for (int64_t kx = 0; kx < q.kw; ++kx) {
            int64_t lo, hi;
            validRange(kx * q.dw - q.pl, q.sw, q.W, q.OW, lo, hi);
            tapLo_.push_back(lo);
            tapHi_.push_back(hi);
        }
        fast3_ = q.kh == 3 && q.kw == 3 && q.dw == 1 && (q.sw == 1 || q.sw == 2);
        if (fast3_) {
            inLo_ = tapLo_[0];  // tap 0 is the leftmost: its range starts last
            inHi_ = std::max(inLo_, tapHi_[2]);  // tap 2 is the rightmost: its range ends first
        }
        simd_ = depthwiseSimd(q, kernels);
        // Small planes: a block of channels at once, in the vector lanes.
        if (simd_ && depthwiseInLanes(q, kernels, lanes)) {
            lanesFn_ = kernels.depthwiseLanes;
            lanes_ = kernels.lanes;
            lanesScratch_ = threadStride(static_cast<size_t>(depthwiseLanesScratch(q.OH, q.OW, q.sh, q.kh, lanes_)));
        }
        algo_ = lanesFn_ ? std::string("depthwise-lanes/") + kernels.name() : simd_ ? std::string("depthwise/") + kernels.name() : "depthwise";
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override {
        const size_t perThread = lanesFn_ ? lanesScratch_ : simd_ ? padFloats() : 0;
        return static_cast<size_t>(std::max(threads, 1)) * perThread * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const ConvGeom& q = geo_;
        const float* x = inputs[0];
        const float* w = inputs[1];
        float* y = outputs[0];
        if (lanesFn_) {
            const int64_t perImage = (q.C + lanes_ - 1) / lanes_;
            ctx.pool.parallelFor(q.N * perImage, 1, [&](int64_t b0, int64_t b1, int th) {
                for (int64_t b = b0; b < b1; ++b) {
                    const int64_t n = b / perImage, c0 = (b % perImage) * lanes_;
                    const DepthwiseLanesArgs a{x + (n * q.C + c0) * q.H * q.W, std::min<int64_t>(lanes_, q.C - c0), q.H, q.W,
                                               w + c0 * q.kh * q.kw, bias_.data() + c0, y + (n * q.C + c0) * q.P(), q.OH, q.OW, q.sw,
                                               q.pt, q.pl, q.kh, act_, ctx.workspace + static_cast<size_t>(th) * lanesScratch_};
                    lanesFn_(a);
                }
            });
            return;
        }
        // Output rows [oy0, oy1) of plane t (image t / C, channel t % C).
        auto rows = [&](int64_t t, int64_t oy0, int64_t oy1, int th) {
            const int64_t c = t % q.C;
            if (simd_) {
                DepthwiseArgs a{x + t * q.H * q.W, q.H, q.W, w + c * q.kh * q.kw, bias_[static_cast<size_t>(c)], y + t * q.P(), q.OH,
                                q.OW, q.sw, q.pt, q.pl, act_, q.kh, ctx.workspace + static_cast<size_t>(th) * padFloats()};
                a.oy0 = oy0, a.oy1 = oy1;
                simd_(a);
            } else {
                plane(x + t * q.H * q.W, w + c * q.kh * q.kw, bias_[static_cast<size_t>(c)], y + t * q.P(), oy0, oy1);
            }
        };
        if (splitsByRows(q.OH, ctx.pool.size())) {
            // Large planes: each thread a band of output rows of every channel, as the 1x1 convs
            // on either side split their pixels, so each thread reads the rows its own core
            // wrote and writes those the next layer reads there. Split by channels, half of
            // every plane crossed between the cores twice: on 2 threads MobileNetV2's 1x1 convs
            // after its 112x112 and 56x56 depthwise convs took 13-30 us more each (7
            // interleaved rounds: the model 4.58 ms against 4.49 split by rows).
            forEachRowBand(ctx.pool, q.N, q.OH, 1, [&](int64_t n, int64_t oy0, int64_t oy1, int th) {
                for (int64_t c = 0; c < q.C; ++c) rows(n * q.C + c, oy0, oy1, th);
            });
            return;
        }
        // Contiguous ranges of (image, channel) planes, one per thread: small planes (7x7) are
        // far too cheap to hand out one at a time.
        const int64_t grain = std::max<int64_t>(1, 2048 / q.P());
        ctx.pool.parallelFor(q.N * q.C, grain, [&](int64_t t0, int64_t t1, int th) {
            for (int64_t t = t0; t < t1; ++t) rows(t, 0, q.OH, th);
        });
    }

private:
    // Adds tap (ky, kx) of weight wv over output columns [from, to) of a row, clipped to where
    // the tap is inside the input.
    void addTap(float* yr, const float* xr, float wv, int64_t kx, int64_t from, int64_t to) const {
        const ConvGeom& q = geo_;
        const int64_t off = kx * q.dw - q.pl;
        const int64_t lo = std::max(from, tapLo_[kx]), hi = std::min(to, tapHi_[kx]);
        if (q.sw == 1) {
            const float* xs = xr + off;
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xs[ox];
        } else {
            for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xr[ox * q.sw + off];
        }
    }

    // Output rows [oy0, oy1) of one plane, portable.
    void plane(const float* x, const float* w, float bias, float* y, int64_t oy0, int64_t oy1) const {
        const ConvGeom& q = geo_;
        for (int64_t oy = oy0; oy < oy1; ++oy) {
            float* yr = y + oy * q.OW;
            const int64_t iy0 = oy * q.sh - q.pt;
            if (fast3_ && iy0 >= 0 && iy0 + 2 * q.dh < q.H) {
                // All three kernel rows inside the input: one pass over the interior columns,
                // then the border columns.
                const float* r0 = x + iy0 * q.W;
                const float* r1 = r0 + q.dh * q.W;
                const float* r2 = r1 + q.dh * q.W;
                if (q.sw == 1) interior3x3<1>(yr, r0, r1, r2, w, bias, q.pl, inLo_, inHi_);
                else interior3x3<2>(yr, r0, r1, r2, w, bias, q.pl, inLo_, inHi_);
                // Border columns (one or two per side): each output on its own, with checks.
                const float* rows[3] = {r0, r1, r2};
                auto border = [&](int64_t ox) {
                    float acc = bias;
                    for (int64_t kx = 0; kx < 3; ++kx) {
                        const int64_t ix = ox * q.sw - q.pl + kx;
                        if (ix < 0 || ix >= q.W) continue;
                        acc += w[kx] * rows[0][ix] + w[3 + kx] * rows[1][ix] + w[6 + kx] * rows[2][ix];
                    }
                    yr[ox] = acc;
                };
                for (int64_t ox = 0; ox < inLo_; ++ox) border(ox);
                for (int64_t ox = inHi_; ox < q.OW; ++ox) border(ox);
            } else {
                // Generic: one pass over the row per tap, over the columns where it is valid;
                // kernel rows in the padding add nothing.
                for (int64_t ox = 0; ox < q.OW; ++ox) yr[ox] = bias;
                for (int64_t ky = 0; ky < q.kh; ++ky) {
                    const int64_t iy = iy0 + ky * q.dh;
                    if (iy < 0 || iy >= q.H) continue;
                    const float* xr = x + iy * q.W;
                    for (int64_t kx = 0; kx < q.kw; ++kx) addTap(yr, xr, w[ky * q.kw + kx], kx, 0, q.OW);
                }
            }
        }
        if (act_.any()) activate(act_, y + oy0 * q.OW, y + oy0 * q.OW, (oy1 - oy0) * q.OW);  // the rows are still in L1
    }

    // The SIMD kernel's zero-padded copy of a plane, per thread.
    size_t padFloats() const { return threadStride(static_cast<size_t>(depthwisePadRows(geo_.OH, geo_.sh, geo_.kh) * depthwisePadPitch(geo_.OW, geo_.sw))); }

    DepthwiseFn simd_ = nullptr;          // the SIMD kernel, when the shape and the CPU allow
    DepthwiseLanesFn lanesFn_ = nullptr;  // small planes: a block of channels at once
    int lanes_ = 1;                       // lanesFn_'s block
    size_t lanesScratch_ = 0;             // lanesFn_'s scratch per thread, floats (a thread stride)
    std::string algo_;
    std::vector<int64_t> tapLo_, tapHi_;  // per kernel column: output columns where it is valid
    bool fast3_ = false;                  // 3x3, stride 1 or 2 across, no dilation across
    int64_t inLo_ = 0, inHi_ = 0;         // fast3_: columns where all three taps are valid
};

// ---- im2col + GEMM, tiled over output columns ---------------------------------------------

class ConvIm2col final : public ConvBase {
public:
    ConvIm2col(const ConvGeom& geom, std::vector<float> bias, graph::FusedActivation act, const CpuKernels& simd, std::vector<float> packed)
        : ConvBase(geom, std::move(bias), act), pg_(packed.empty() ? nullptr : simd.gemm), packed_(std::move(packed)), copy2_(simd.copyStride2) {
        tileMax_ = im2colTileColumns(geo_.K(), geo_.P());
        slice_ = threadStride(static_cast<size_t>(geo_.K() * tileMax_));
        if (pg_) {
            // Packed: each thread's column tile and B panel fit the same 1 MiB as OpenBLAS's
            // tile; tiles are whole NR strips where K allows. A K too deep for that keeps OpenBLAS.
            const int64_t K = geo_.K();
            const int64_t budget = kIm2colTileBytes - static_cast<int64_t>(alignFloats(static_cast<size_t>(packBFloats())) * sizeof(float));
            int64_t cols = budget / (4 * K);
            if (cols >= pg_->nr) cols -= cols % pg_->nr;
            if (cols < 1) {
                pg_ = nullptr;
                packed_.clear();
            } else {
                tileMax_ = std::min(cols, std::max<int64_t>(geo_.P(), 1));
                slice_ = threadStride(static_cast<size_t>(K * tileMax_));
            }
        }
        algo_ = pg_ ? std::string("im2col-gemm/") + simd.name() : "im2col-gemm";
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override {
        threads = std::max(threads, 1);
        if (pg_) {
            const size_t col = useFull(threads) ? threadStride(static_cast<size_t>(geo_.K() * geo_.P())) : static_cast<size_t>(threads) * slice_;
            return (col + packScratchFloats(threads)) * sizeof(float);
        }
        return static_cast<size_t>(threads) * slice_ * sizeof(float);
    }
    size_t weightBytes() const override { return ConvBase::weightBytes() + packed_.size() * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        if (pg_) return runPacked(inputs, outputs, ctx);
        const ConvGeom& q = geo_;
        const int64_t P = q.P(), K = q.K();
        const int threads = ctx.pool.size();
        const int64_t jobs = q.N * q.group;
        int64_t tilesPerJob = (P + tileMax_ - 1) / tileMax_;
        const int64_t tasks = jobs * tilesPerJob;
        if (threads > 1 && tasks % threads != 0 && tasks < 8 * threads) {
            // Few tasks that do not divide among the threads (7 tiles on 2 threads leave one
            // thread idle for a seventh of the time): cut the columns into more, smaller tiles
            // so the count is a multiple of the thread count. Tiles only shrink, so the
            // workspace bound holds.
            const int64_t want = (tasks + threads - 1) / threads * threads;
            tilesPerJob = (want + jobs - 1) / jobs;
        }
        // Not below 16 columns, where the GEMM would lose more than the threads win.
        const int64_t tile = std::min(tileMax_, std::max((P + tilesPerJob - 1) / tilesPerJob, std::min<int64_t>(16, P)));
        tilesPerJob = (P + tile - 1) / tile;
        const float* w = inputs[1];
        ctx.pool.runSplit(jobs * tilesPerJob, [&](int64_t t, int th) {
            const int64_t job = t / tilesPerJob, p0 = (t % tilesPerJob) * tile, p1 = std::min(P, p0 + tile);
            const int64_t n = job / q.group, g = job % q.group, cols = p1 - p0;
            float* col = ctx.workspace + static_cast<size_t>(th) * slice_;
            im2colTile(inputs[0] + (n * q.C + g * q.Cg) * q.inPlane(), col, p0, p1, 0, q.Cg);
            float* c = outputs[0] + (n * q.M + g * q.Mg) * P + p0;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(q.Mg), static_cast<int>(cols),
                        static_cast<int>(K), 1.0f, w + g * q.Mg * K, static_cast<int>(K), col, static_cast<int>(cols), 0.0f, c,
                        static_cast<int>(P));
            biasActivateRows(act_, bias_.data() + g * q.Mg, c, P, q.Mg, cols);
        });
    }

private:
    // The whole column matrix at once, shared by the threads (then the GEMM can split the
    // output channels too: small spatial sizes), when it fits the threads' tile budgets.
    bool useFull(int threads) const {
        const int64_t budget = kIm2colTileBytes - static_cast<int64_t>(alignFloats(static_cast<size_t>(packBFloats())) * sizeof(float));
        return geo_.K() * geo_.P() * 4 + 64 <= threads * budget;
    }

    void runPacked(const float* const* inputs, float* const* outputs, KernelContext& ctx) {
        const ConvGeom& q = geo_;
        const int64_t P = q.P(), K = q.K(), per = pg_->packedFloats(q.Mg, K);
        const int threads = ctx.pool.size();
        if (useFull(threads)) {
            float* col = ctx.workspace;
            float* scratch = ctx.workspace + threadStride(static_cast<size_t>(K * P));
            for (int64_t n = 0; n < q.N; ++n)
                for (int64_t g = 0; g < q.group; ++g) {
                    const float* x = inputs[0] + (n * q.C + g * q.Cg) * q.inPlane();
                    ctx.pool.parallelFor(q.Cg, 1, [&](int64_t c0, int64_t c1, int) { im2colTile(x, col, 0, P, c0, c1); });
                    packedGemmParallel(ctx.pool, *pg_, packed_.data() + g * per, q.Mg, K, col, P, P, outputs[0] + (n * q.M + g * q.Mg) * P, P,
                                       bias_.data() + g * q.Mg, act_, scratch);
                }
            return;
        }
        const int64_t jobs = q.N * q.group;
        int64_t tiles = (P + tileMax_ - 1) / tileMax_;
        if (threads > 1 && (tiles * jobs) % threads != 0 && tiles * jobs < 8 * threads) {
            // Few tiles that do not divide among the threads: more, smaller ones.
            const int64_t want = (tiles * jobs + threads - 1) / threads * threads;
            tiles = (want + jobs - 1) / jobs;
        }
        // Tiles of whole NR strips where tileMax_ holds one, spread evenly: tile i has strips
        // [i * units / tiles, (i + 1) * units / tiles). One uniform tile width rounded up to
        // whole strips gave back a count the threads do not divide (ResNet-50's 28x28 stride-2
        // 3x3: 6 tiles asked, 5 of 160 columns made, 3 on one thread and 2 on the other).
        const int64_t unit = tileMax_ >= pg_->nr ? pg_->nr : 1, units = (P + unit - 1) / unit;
        tiles = std::min(tiles, units);
        float* scratch = ctx.workspace + static_cast<size_t>(std::max(threads, 1)) * slice_;
        ctx.pool.runSplit(jobs * tiles, [&](int64_t t, int th) {
            const int64_t job = t / tiles, i = t % tiles;
            const int64_t p0 = std::min(P, i * units / tiles * unit), p1 = std::min(P, (i + 1) * units / tiles * unit);
            const int64_t n = job / q.group, g = job % q.group, cols = p1 - p0;
            float* col = ctx.workspace + static_cast<size_t>(th) * slice_;
            im2colTile(inputs[0] + (n * q.C + g * q.Cg) * q.inPlane(), col, p0, p1, 0, q.Cg);
            PackedGemmArgs a;
            a.a = packed_.data() + g * per, a.M = q.Mg, a.K = K, a.b = col, a.ldb = cols;
            a.c = outputs[0] + (n * q.M + g * q.Mg) * P + p0, a.ldc = P;
            a.n0 = 0, a.n1 = cols, a.mb0 = 0, a.mb1 = pg_->panels(q.Mg);
            a.bias = bias_.data() + g * q.Mg, a.act = act_;
            a.packB = scratch + static_cast<size_t>(th) * threadStride(static_cast<size_t>(packBFloats()));
            pg_->run(a);
        });
    }

    void im2colTile(const float* x, float* col, int64_t p0, int64_t p1, int64_t cBegin, int64_t cEnd) const {
        cpu::im2colTile(geo_, copy2_, x, col, p0, p1, cBegin, cEnd);
    }

    const PackedGemm* pg_;
    std::vector<float> packed_;
    CopyStride2Fn copy2_;
    std::string algo_;
    int64_t tileMax_ = 1;  // columns per tile, bounded by kIm2colTileBytes
    size_t slice_ = 0;     // floats of workspace per thread (a thread stride)
};

// ---- Conv + MaxPool ---------------------------------------------------------------------

// A conv whose only reader is a MaxPool: the pooled output is computed a band of output rows
// at a time from the conv rows that band needs (its windows' rows; a band boundary row is
// computed twice), which stay in the thread's cache between the conv and the pooling. The
// full-size conv output (SqueezeNet's and ResNet's stems: 3 MiB) is never written out and read
// back, which on 2 threads cost more than the pooling itself. The conv rows come from im2col
// and the packed GEMM, or, for a 7x7 stem on a few input channels (groupConvApplies), from the
// direct kernel (`direct`, weights as makeGroupConv repacks them), which needs no column
// matrix: ResNet's 7x7 stem had spent a fifth of its time writing and packing one (K = 147).
class ConvMaxPool final : public ConvBase {
public:
    ConvMaxPool(const ConvGeom& geom, std::vector<float> bias, graph::FusedActivation act, const CpuKernels& simd, std::vector<float> weights,
                MaxPoolRows pool, GroupConvFn direct, int threads)
        : ConvBase(geom, std::move(bias), act), pg_(simd.gemm), direct_(direct), weights_(std::move(weights)), pool_(pool),
          copy2_(simd.copyStride2) {
        // Bands whose conv output rows take about kBandBytes (they are written by the GEMM and
        // read back by the pooling: they should stay in cache); the column tile is streamed
        // once into the GEMM's packed panels. A band recomputes the kh - sh conv rows it
        // shares with the next, so short bands (deep K: ResNet's 7x7 stem) cost FLOPs.
        const int64_t perRow = geo_.M * geo_.OW * 4;
        int64_t convRows = std::max(pool_.kh, kBandBytes / std::max<int64_t>(perRow, 1));
        const int64_t colRowBytes = geo_.K() * geo_.OW * 4;
        convRows = std::max(pool_.kh, std::min(convRows, kColBytes / std::max<int64_t>(colRowBytes, 1)));
        bandRows_ = std::max<int64_t>(1, (convRows - pool_.kh) / pool_.sh + 1);
        bandRows_ = std::min(bandRows_, pool_.OH);
        // As many bands as that asks for, rounded up to whole bands per thread, the rows spread
        // evenly over them: 7 bands of 8 rows (ResNet's 56 pooled rows, SqueezeNet's 55) had
        // left one thread 4 bands and the other 3; 8 of 7 took 8 % less on 2 threads.
        const int64_t T = std::max(threads, 1);
        const int64_t bands = ((pool_.OH + bandRows_ - 1) / bandRows_ + T - 1) / T * T;
        bandRows_ = std::max<int64_t>(1, (pool_.OH + bands - 1) / bands);
        colsMax_ = std::max<int64_t>(1, ((bandRows_ - 1) * pool_.sh + pool_.kh) * geo_.OW);
        algo_ = std::string(direct_ ? "direct+maxpool/" : "im2col-gemm+maxpool/") + simd.name();
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t weightBytes() const override { return ConvBase::weightBytes() + weights_.size() * sizeof(float); }
    size_t workspaceBytes(int threads) const override { return static_cast<size_t>(std::max(threads, 1)) * threadFloats() * sizeof(float); }

    // outputs[0]: the MaxPool's output.
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const ConvGeom& q = geo_;
        const int64_t bands = (pool_.OH + bandRows_ - 1) / bandRows_;
        for (int64_t n = 0; n < q.N; ++n) {
            const float* x = inputs[0] + n * q.C * q.inPlane();
            float* y = outputs[0] + n * q.M * pool_.OH * pool_.OW;
            // Bands in order, thread k its k-th share first: the rows it pools stay its own.
            ctx.pool.runSplit(bands, [&](int64_t b, int th) {
                float* band = ctx.workspace + static_cast<size_t>(th) * threadFloats();
                float* rowBuf = band + alignFloats(static_cast<size_t>(q.M * colsMax_));
                float* scratch = rowBuf + alignFloats(pool_.rowFloats());  // im2col's column tile and B packing, or the padded rows
                const int64_t oy0 = b * bandRows_, oy1 = std::min(pool_.OH, oy0 + bandRows_);
                int64_t lo, hi;
                pool_.inputRows(oy0, oy1, lo, hi);
                const int64_t cols = (hi - lo) * q.OW;
                if (cols <= 0) return;
                if (direct_) {
                    GroupConvArgs a;
                    a.x = x, a.Cg = q.C, a.H = q.H, a.W = q.W, a.w = weights_.data(), a.bias = bias_.data();
                    a.y = band, a.Mg = q.M, a.OH = q.OH, a.OW = q.OW, a.stride = q.sh, a.pt = q.pt, a.pl = q.pl, a.k = q.kh, a.act = act_;
                    a.pad = scratch, a.oyBegin = lo, a.oyEnd = hi, a.yPlane = cols, a.yRow0 = lo;
                    direct_(a);
                } else {
                    float* col = scratch;
                    float* packB = col + alignFloats(static_cast<size_t>(q.K() * colsMax_));
                    im2colTile(q, copy2_, x, col, lo * q.OW, hi * q.OW, 0, q.C);
                    PackedGemmArgs a;
                    a.a = weights_.data(), a.M = q.M, a.K = q.K(), a.b = col, a.ldb = cols;
                    a.c = band, a.ldc = cols, a.n0 = 0, a.n1 = cols, a.mb0 = 0, a.mb1 = pg_->panels(q.M);
                    a.bias = bias_.data(), a.act = act_, a.packB = packB;
                    pg_->run(a);
                }
                for (int64_t m = 0; m < q.M; ++m) pool_.run(band + m * cols, lo, y + m * pool_.OH * pool_.OW, oy0, oy1, rowBuf);
            });
        }
    }

private:
    static constexpr int64_t kBandBytes = 512 * 1024;     // half a Zen 5 L2
    static constexpr int64_t kColBytes = 2 * 1024 * 1024;  // column tile bound
    size_t threadFloats() const {  // a thread stride: the band, the pooling's row buffer, then the conv's scratch
        const size_t scratch = direct_ ? static_cast<size_t>(geo_.C * depthwisePadRows(colsMax_ / geo_.OW, geo_.sh, geo_.kh) *
                                                             depthwisePadPitch(geo_.OW, geo_.sh))
                                       : alignFloats(static_cast<size_t>(geo_.K() * colsMax_)) + alignFloats(static_cast<size_t>(packBFloats()));
        return threadStride(alignFloats(static_cast<size_t>(geo_.M * colsMax_)) + alignFloats(pool_.rowFloats()) + scratch);
    }

    const PackedGemm* pg_;
    GroupConvFn direct_;          // the direct kernel, or null: im2col and the packed GEMM
    std::vector<float> weights_;  // direct_'s [C][k][k][M], else packed for the GEMM
    MaxPoolRows pool_;
    CopyStride2Fn copy2_;
    std::string algo_;
    int64_t bandRows_ = 1;  // pooled output rows per band
    int64_t colsMax_ = 1;   // conv output positions of the largest band
};

// ---- 1x1 conv + depthwise conv -------------------------------------------------------------

// A 1x1 conv whose only reader is a depthwise conv (the MobileNets' and EfficientNet's
// expansion and depthwise layers): each thread computes its share of the depthwise output
// rows a band at a time, from the expanded rows the band reads, which the packed GEMM writes
// into the thread's band buffer just before. The kh - sh rows a band shares with the next stay
// in the buffer (moved to its top) rather than being expanded again (at stride 1, 2 rows in
// every 16 of a 56x56 plane's bands: an eighth more GEMM, activation included). The expanded
// tensor (MobileNetV2's second block: 96 x 112 x 112, 4.8 MB, over this machine's 2 MB of L2
// per core) is never written out and read back.
class ConvPointwiseDepthwise final : public Kernel {
public:
    ConvPointwiseDepthwise(const ConvGeom& pw, std::vector<float> pwBias, graph::FusedActivation pwAct, std::vector<float> packed,
                           const ConvGeom& dw, std::vector<float> dwWeights, std::vector<float> dwBias, graph::FusedActivation dwAct,
                           DepthwiseFn dwFn, const CpuKernels& simd)
        : pw_(pw), dw_(dw), pwBias_(std::move(pwBias)), dwBias_(std::move(dwBias)), pwAct_(pwAct), dwAct_(dwAct), pg_(simd.gemm),
          packed_(std::move(packed)), dwWeights_(std::move(dwWeights)), dwFn_(dwFn) {
        // Bands whose expanded rows take about kBandBytes, at least one output row each.
        const int64_t perRow = pw_.M * pw_.W * 4;
        const int64_t inRows = std::max(dw_.kh, kBandBytes / std::max<int64_t>(perRow, 1));
        bandRows_ = std::min(dw_.OH, std::max<int64_t>(1, (inRows - dw_.kh) / dw_.sh + 1));
        pitch_ = ((bandRows_ - 1) * dw_.sh + dw_.kh) * pw_.W;
        algo_ = std::string("1x1-gemm+depthwise/") + simd.name();
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t weightBytes() const override { return (pwBias_.size() + dwBias_.size() + packed_.size() + dwWeights_.size()) * sizeof(float); }
    size_t workspaceBytes(int threads) const override { return static_cast<size_t>(std::max(threads, 1)) * threadFloats() * sizeof(float); }

    // inputs: the 1x1 conv's; outputs[0]: the depthwise conv's.
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t plane = pw_.H * pw_.W, k2 = dw_.kh * dw_.kw;
        // Each thread a share of output rows, as the depthwise conv alone splits large planes
        // (splitsByRows): it reads the input rows the 1x1 conv before it (split by pixel
        // ranges) wrote on the same core.
        forEachRowBand(ctx.pool, pw_.N, dw_.OH, 1, [&](int64_t n, int64_t r0, int64_t r1, int th) {
            float* band = ctx.workspace + static_cast<size_t>(th) * threadFloats();  // per channel: pitch_ floats
            float* packB = band + alignFloats(static_cast<size_t>(pw_.M * pitch_));
            float* pad = packB + alignFloats(static_cast<size_t>(packBFloats()));
            int64_t haveLo = 0, haveHi = 0;  // the expanded rows in the buffer
            for (int64_t oy0 = r0; oy0 < r1; oy0 += bandRows_) {
                const int64_t oy1 = std::min(r1, oy0 + bandRows_);
                // The input rows [lo, hi) the band's output rows read; those from the last band
                // moved to the top, the rest expanded below them.
                const int64_t lo = std::max<int64_t>(0, oy0 * dw_.sh - dw_.pt), hi = std::min(pw_.H, (oy1 - 1) * dw_.sh - dw_.pt + dw_.kh);
                const int64_t keep = haveLo <= lo && lo < haveHi ? std::min(haveHi, hi) - lo : 0;
                if (keep > 0 && lo > haveLo)
                    for (int64_t c = 0; c < pw_.M; ++c)
                        std::memmove(band + c * pitch_, band + c * pitch_ + (lo - haveLo) * pw_.W, static_cast<size_t>(keep * pw_.W) * sizeof(float));
                if (hi > lo + keep) {
                    PackedGemmArgs a;
                    a.a = packed_.data(), a.M = pw_.M, a.K = pw_.C, a.b = inputs[0] + n * pw_.C * plane + (lo + keep) * pw_.W, a.ldb = plane;
                    a.c = band + keep * pw_.W, a.ldc = pitch_, a.n0 = 0, a.n1 = (hi - lo - keep) * pw_.W, a.mb0 = 0, a.mb1 = pg_->panels(pw_.M);
                    a.bias = pwBias_.data(), a.act = pwAct_, a.packB = packB;
                    pg_->run(a);
                }
                haveLo = lo, haveHi = hi;
                for (int64_t c = 0; c < dw_.C; ++c) {
                    DepthwiseArgs d{band + c * pitch_, dw_.H, dw_.W, dwWeights_.data() + c * k2, dwBias_[static_cast<size_t>(c)],
                                    outputs[0] + (n * dw_.M + c) * dw_.P(), dw_.OH, dw_.OW, dw_.sw, dw_.pt, dw_.pl, dwAct_, dw_.kh, pad};
                    d.oy0 = oy0, d.oy1 = oy1, d.xRow0 = lo;
                    dwFn_(d);
                }
            }
        });
    }

private:
    // MobileNetV2, 5 interleaved rounds, Intel VM: 256 KB bands 6.00 / 3.58 ms at 1 / 2 threads,
    // 512 KB 5.69 / 3.36, 1 MB 5.76 / 3.53 (unfused 5.97 / 3.68).
    static constexpr int64_t kBandBytes = 512 * 1024;
    size_t threadFloats() const {  // a thread stride
        return threadStride(alignFloats(static_cast<size_t>(pw_.M * pitch_)) + alignFloats(static_cast<size_t>(packBFloats())) +
                            alignFloats(static_cast<size_t>(depthwisePadRows(dw_.OH, dw_.sh, dw_.kh) * depthwisePadPitch(dw_.OW, dw_.sw))));
    }

    ConvGeom pw_, dw_;
    std::vector<float> pwBias_, dwBias_;
    graph::FusedActivation pwAct_, dwAct_;
    const PackedGemm* pg_;
    std::vector<float> packed_;     // the 1x1 conv's weights, packed
    std::vector<float> dwWeights_;  // the depthwise conv's, k * k per channel
    DepthwiseFn dwFn_;
    std::string algo_;
    int64_t bandRows_ = 1;  // depthwise output rows per band
    int64_t pitch_ = 0;     // a channel's rows in the band buffer: those of the largest band
};

}  // namespace

namespace {

// A planar conv as the direct kernel's geometry, where that kernel takes it (groupConvApplies),
// else nothing.
std::optional<GroupGeom> directGeom(const ConvGeom& q, const CpuKernels& simd) {
    const GroupGeom gq{q.N, q.C, q.H, q.W, q.M, q.OH, q.OW, q.kh, q.sh, q.pt, q.pl, q.group};
    if (!q.planar() || !groupConvApplies(gq, q.kh, q.kw, q.sh, q.sw, q.dh, q.dw, simd)) return std::nullopt;
    return gq;
}

// The geometry and bias of a Conv node, checked.
ConvGeom convGeom(const graph::Graph& g, const graph::Node& n, std::vector<float>& bias) {
    const Shape& x = inShape(g, n, 0);
    const Shape& ws = inShape(g, n, 1);
    const Shape& y = outShape(g, n);
    if (ws.size() != x.size()) fail(n, "weights " + shapeToString(ws) + " do not have the input's rank");
    const Spatial3 s = spatial3(n, x, y);
    ConvGeom q;
    q.N = x[0], q.C = x[1], q.M = y[1];
    q.D = s.in[0], q.H = s.in[1], q.W = s.in[2];
    q.OD = s.out[0], q.OH = s.out[1], q.OW = s.out[2];
    q.kd = s.kernel[0], q.kh = s.kernel[1], q.kw = s.kernel[2];
    q.sd = s.stride[0], q.sh = s.stride[1], q.sw = s.stride[2];
    q.dd = s.dilation[0], q.dh = s.dilation[1], q.dw = s.dilation[2];
    q.pf = s.padBegin[0], q.pt = s.padBegin[1], q.pl = s.padBegin[2];
    q.padsZero = true;
    for (int k = 0; k < 3; ++k) q.padsZero = q.padsZero && s.padBegin[k] == 0 && s.padEnd[k] == 0;
    q.group = n.attrInt("group", 1);
    if (q.group <= 0 || q.C % q.group || q.M % q.group || ws[1] * q.group != q.C || ws[0] != q.M || elementCount(ws) != q.M * (q.C / q.group) * s.taps())
        fail(n, "weights " + shapeToString(ws) + " do not match input " + shapeToString(x) + " with group " + std::to_string(q.group));
    q.Cg = q.C / q.group;
    q.Mg = q.M / q.group;

    bias = constInput(g, n, 2, "bias");
    if (bias.empty()) bias.assign(static_cast<size_t>(q.M), 0.0f);
    if (static_cast<int64_t>(bias.size()) != q.M) fail(n, "bias must have " + std::to_string(q.M) + " values");
    return q;
}

WinoGeom winoGeom(const ConvGeom& q) { return WinoGeom{q.N, q.C, q.H, q.W, q.M, q.OH, q.OW, q.pt, q.pl}; }

bool takesWinograd(const graph::Graph& g, const graph::Node& n, const ConvGeom& q, const KernelConfig& cfg) {
    if (!(q.planar() && q.kh == 3 && q.kw == 3 && q.sh == 1 && q.sw == 1 && q.dh == 1 && q.dw == 1 && q.group == 1 && hasInput(n, 1) &&
          g.value(n.inputs[1]).constant))
        return false;
    return winogradTile(winoGeom(q), cfg) != 0;
}

// The Winograd kernel of a conv that takesWinograd, with `act` and, where residualInput >= 0,
// a residual connection read from that input (makeWinogradConv).
std::unique_ptr<Kernel> winogradConv(const graph::Graph& g, const graph::Node& n, const ConvGeom& q, const KernelConfig& cfg, std::vector<float> bias,
                                     graph::FusedActivation act, int residualInput = -1) {
    const WinoGeom wq = winoGeom(q);
    std::vector<float> converted;
    return makeWinogradConv(wq, winogradTile(wq, cfg), weightsOf(g, n, converted), std::move(bias), act, cfg.simd, residualInput);
}

}  // namespace

std::unique_ptr<Kernel> makeConv(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    std::vector<float> bias;
    const ConvGeom q = convGeom(g, n, bias);
    const PackedGemm* pg = cfg.simd.gemm;
    if (q.pointwise())
        return std::make_unique<Conv1x1>(q, std::move(bias), n.act, cfg.simd, pg ? packWeights(g, n, *pg, q.group, q.Mg, q.Cg) : std::vector<float>{},
                                         g.constFloats(n.inputs[1]));
    if (takesWinograd(g, n, q, cfg)) return winogradConv(g, n, q, cfg, std::move(bias), n.act);
    if (q.depthwise()) return std::make_unique<ConvDepthwise>(q, std::move(bias), n.act, cfg.simd, cfg.tuning.depthwiseLanes);
    if (hasInput(n, 1) && g.value(n.inputs[1]).constant && (q.group > 1 || cfg.tuning.directStem))
        if (const auto gq = directGeom(q, cfg.simd)) {
            std::vector<float> converted;
            return makeGroupConv(*gq, weightsOf(g, n, converted), std::move(bias), n.act, cfg.simd);
        }
    return std::make_unique<ConvIm2col>(q, std::move(bias), n.act, cfg.simd, pg ? packWeights(g, n, *pg, q.group, q.Mg, q.K()) : std::vector<float>{});
}

std::unique_ptr<Kernel> makeConvAdd(const graph::Graph& g, const graph::FusedAdd& fa, const KernelConfig& cfg) {
    const graph::Node& n = g.nodes.at(fa.node);
    const graph::Node& add = g.nodes.at(fa.add);
    const PackedGemm* pg = cfg.simd.gemm;
    if (!cfg.tuning.convAdd || n.op != graph::OpKind::Conv || !pg || graph::isQuantizedNode(g, n) || !g.constFloats(n.inputs[1])) return nullptr;
    std::vector<float> bias;
    const ConvGeom q = convGeom(g, n, bias);
    // The skip added in the output transform (ResNet's basic blocks end in a 3x3 conv).
    if (takesWinograd(g, n, q, cfg)) return winogradConv(g, n, q, cfg, std::move(bias), add.act, static_cast<int>(n.inputs.size()));
    if (!q.pointwise()) return nullptr;
    auto k = std::make_unique<Conv1x1>(q, std::move(bias), add.act, cfg.simd, packWeights(g, n, *pg, q.group, q.Mg, q.Cg), g.constFloats(n.inputs[1]));
    if (!k->packed()) return nullptr;
    k->addResidual(n.inputs.size());
    return k;
}

std::unique_ptr<Kernel> makeSqueezeExciteConv(const graph::Graph& g, const graph::SqueezeExciteConv& sc, const KernelConfig& cfg) {
    const graph::Node& n = g.nodes.at(sc.conv);
    const PackedGemm* pg = cfg.simd.gemm;
    if (!cfg.tuning.squeezeExcite || !cfg.tuning.squeezeExciteConv || n.op != graph::OpKind::Conv || !pg || graph::isQuantizedNode(g, n) || !g.constFloats(n.inputs[1]))
        return nullptr;
    const bool residual = sc.add.addend >= 0;
    if (residual && !cfg.tuning.convAdd) return nullptr;
    std::vector<float> bias;
    const ConvGeom q = convGeom(g, n, bias);
    if (!q.pointwise() || q.group != 1) return nullptr;
    const graph::FusedActivation act = residual ? g.nodes.at(sc.add.add).act : n.act;
    auto conv = std::make_unique<Conv1x1>(q, std::move(bias), act, cfg.simd, packWeights(g, n, *pg, q.group, q.Mg, q.Cg), g.constFloats(n.inputs[1]));
    if (!conv->packed()) return nullptr;
    if (residual) conv->addResidual(1);
    return std::make_unique<SqueezeExciteConv>(SqueezeExciteGate(g, sc.se, cfg), std::move(conv), residual);
}

std::unique_ptr<Kernel> makeConvMaxPool(const graph::Graph& g, const graph::Node& conv, const graph::Node& pool, const KernelConfig& cfg) {
    const PackedGemm* pg = cfg.simd.gemm;
    if (!cfg.tuning.convMaxPool || !pg || conv.op != graph::OpKind::Conv || pool.op != graph::OpKind::MaxPool || !hasInput(conv, 1) ||
        !g.value(conv.inputs[1]).constant)
        return nullptr;
    std::vector<float> bias;
    const ConvGeom q = convGeom(g, conv, bias);
    // The im2col path only (the 1x1, Winograd and depthwise paths read their input in place
    // or by channel), and a reduction shallow enough for a band of columns.
    if (inShape(g, conv, 0).size() != 4 || q.group != 1 || takesWinograd(g, conv, q, cfg) || (q.kh == 1 && q.kw == 1 && q.sh == 1 && q.sw == 1 && q.padsZero) || q.K() > 1024)
        return nullptr;
    const Shape& x = inShape(g, pool, 0);
    const Shape& y = outShape(g, pool);
    const auto k = pool.attrInts("kernel_shape"), s = pool.attrInts("strides", {1, 1}), d = pool.attrInts("dilations", {1, 1});
    const auto pads = pool.attrInts("pads", {0, 0, 0, 0});
    if (x.size() != 4 || y.size() != 4 || x != outShape(g, conv) || k.size() != 2 || s.size() != 2 || pads.size() != 4 ||
        d != std::vector<int64_t>{1, 1})
        return nullptr;
    MaxPoolRows rows;
    rows.H = x[2], rows.W = x[3], rows.OH = y[2], rows.OW = y[3], rows.kh = k[0], rows.kw = k[1], rows.sh = s[0], rows.sw = s[1];
    rows.pt = pads[0], rows.pl = pads[1], rows.act = pool.act, rows.simd = cfg.simd.maxPool;
    // 7x7 stems (ResNet's) by the direct kernel: 8-10 % less than im2col's at 1 and 2 threads
    // (ResNet-18's 2.40 -> 2.20 ms at 1 thread). 3x3 ones (SqueezeNet's, K = 27) stay on im2col:
    // there the direct kernel took as long (577-594 us against 581-599) and the model 1-2 % more
    // in three interleaved runs.
    if (cfg.tuning.directStem && q.kh == 7)
        if (const auto gq = directGeom(q, cfg.simd)) {
            std::vector<float> converted;
            return std::make_unique<ConvMaxPool>(q, std::move(bias), conv.act, cfg.simd, groupConvWeights(*gq, weightsOf(g, conv, converted)), rows,
                                                 cfg.simd.groupConv, cfg.threads);
        }
    return std::make_unique<ConvMaxPool>(q, std::move(bias), conv.act, cfg.simd, packWeights(g, conv, *pg, 1, q.M, q.K()), rows, nullptr,
                                         cfg.threads);
}

std::unique_ptr<Kernel> makeConvPointwiseDepthwise(const graph::Graph& g, const graph::Node& pw, const graph::Node& dw, const KernelConfig& cfg) {
    const PackedGemm* pg = cfg.simd.gemm;
    if (!cfg.tuning.pointwiseDepthwise || !pg || pw.op != graph::OpKind::Conv || dw.op != graph::OpKind::Conv || !g.constFloats(pw.inputs[1]) ||
        !hasInput(dw, 1) || !g.constFloats(dw.inputs[1]) || inShape(g, pw, 0).size() != 4)
        return nullptr;
    std::vector<float> pwBias, dwBias;
    const ConvGeom p = convGeom(g, pw, pwBias);
    const ConvGeom d = convGeom(g, dw, dwBias);
    // The per-plane SIMD depthwise kernel (it takes a band of output rows of a plane), after a
    // 1x1 conv on the packed GEMM, where that pays (pointwiseDepthwisePays).
    const DepthwiseFn fn = d.depthwise() ? depthwiseSimd(d, cfg.simd) : nullptr;
    if (!p.pointwise() || p.group != 1 || p.P() < 8 || !fn || depthwiseInLanes(d, cfg.simd, cfg.tuning.depthwiseLanes) ||
        !pointwiseDepthwisePays(p.M, p.P(), d.kh, d.sh, d.OH, cfg.threads))
        return nullptr;
    std::vector<float> converted;
    const std::vector<float>& dwW = weightsOf(g, dw, converted);
    return std::make_unique<ConvPointwiseDepthwise>(p, std::move(pwBias), pw.act, packWeights(g, pw, *pg, 1, p.M, p.C), d, dwW, std::move(dwBias),
                                                    dw.act, fn, cfg.simd);
}

}  // namespace percept::cpu
