// int8 (INT8.md): quantised Conv (2-D), Gemm and MatMul. Every one is the int8 GEMM of
// cpu/int8_kernels.h with the weights as A (packed once) and the activations as B:
//  - Conv "int8-gemm": 1x1 stride-1 unpadded convs read the input planes as B directly; the
//    others build im2col columns a tile at a time (pads hold the input's zero point, so they
//    add nothing real), pack them and run the GEMM; one output pixel (a classifier on a 1x1
//    plane) is a matrix-vector product.
//  - Conv "int8-depthwise": group == C == M. 3x3 stride 1/2 on a SIMD level runs the fp32
//    depthwise kernel on the plane's real offsets (x - zero point, exact in fp32: nine products
//    of 8-bit values stay far below 2^24); everything else is a direct integer loop.
//  - Gemm / MatMul: C = W^T . x^T, so the output is written transposed (rows of x are the
//    GEMM's columns); a single row is a matrix-vector product.
// The int32 sums go through the OutputStage: bias, the activations' zero point, the fused
// activation and the output's rounding.
#include <algorithm>
#include <cstring>

#include "cpu/conv.h"
#include "cpu/int8.h"
#include "cpu/int8_kernels.h"
#include "cpu/op_util.h"
#include "graph/quant.h"

namespace percept::cpu {
namespace {

// Bytes rounded up to a 64-byte multiple: per-thread slices of the workspace stay aligned.
inline size_t align64(size_t b) { return (b + 63) / 64 * 64; }

// int32 sums of a matrix-vector product of M rows (the kernels write whole groups of rows).
inline size_t accBytes(int64_t M) { return align64(static_cast<size_t>(M + 16) * sizeof(int32_t)); }

// Packed B per tile: about this many bytes, so a tile stays in L2 while every A panel runs over it.
constexpr int64_t kTileBBytes = 128 * 1024;

// The int8 weights of M rows of K values (an Int8 constant, INT8.md), each row's scale and zero
// point, and the sum over K of each row's (w - zero point).
struct Weights {
    std::vector<int8_t> w;
    std::vector<double> scale;   // per row
    std::vector<int32_t> zero;   // per row
    std::vector<int64_t> rowSum;
    bool asymmetric = false;     // some zero point is not 0
};

Weights readWeights(const graph::Graph& g, const graph::Node& n, int valueId, int64_t M, int64_t K, bool transposed) {
    const graph::Value& v = g.value(valueId);
    if (!v.constant || v.constant->dtype != graph::DType::Int8 || v.quant.empty())
        fail(n, "int8 weights must be a quantised int8 constant (INT8.md)");
    const graph::QuantParams& p = v.quant;
    if (p.scale.size() != 1 && static_cast<int64_t>(p.scale.size()) != M) fail(n, "int8 weights need one scale or one per output channel");
    if (p.zeroPoint.size() != p.scale.size()) fail(n, "int8 weights need as many zero points as scales");
    const int8_t* src = reinterpret_cast<const int8_t*>(v.constant->bytes.data());
    Weights r;
    r.w.resize(static_cast<size_t>(M * K));
    r.rowSum.assign(static_cast<size_t>(M), 0);
    for (int64_t m = 0; m < M; ++m) {
        const size_t c = p.scale.size() == 1 ? 0 : static_cast<size_t>(m);
        r.scale.push_back(p.scale[c]);
        r.zero.push_back(p.zeroPoint[c]);
        r.asymmetric |= p.zeroPoint[c] != 0;
        for (int64_t k = 0; k < K; ++k) {
            const int8_t x = transposed ? src[k * M + m] : src[m * K + k];  // transposed: stored [K][M]
            r.w[static_cast<size_t>(m * K + k)] = x;
            r.rowSum[static_cast<size_t>(m)] += x - p.zeroPoint[c];
        }
    }
    return r;
}

// The activations' side: their scale, the zero point as the GEMM sees it (int8 moved to uint8)
// and the flip that moves them.
struct Input {
    double scale = 1.0;
    int32_t zero = 0;   // in the GEMM's uint8 codes
    uint8_t flip = 0;   // XOR applied when packing (0x80 for int8)
    uint8_t padByte = 0;  // the raw byte of real zero (before the flip)
};

Input readInput(const graph::Graph& g, const graph::Node& n, int valueId) {
    const graph::Value& v = g.value(valueId);
    if (!graph::isByteType(v.dtype) || !v.quant.perTensor()) fail(n, "the int8 input '" + v.name + "' has no scale and zero point");
    Input in;
    in.scale = v.quant.scale[0];
    in.padByte = static_cast<uint8_t>(v.quant.zeroPoint[0]);
    in.flip = v.dtype == graph::DType::Int8 ? 0x80 : 0;
    in.zero = v.quant.zeroPoint[0] + (in.flip ? 128 : 0);
    return in;
}

// realScale / realOffset per output row for the OutputStage.
void realTerms(const Weights& w, const Input& in, const std::vector<float>& bias, std::vector<double>& scale, std::vector<double>& offset) {
    const size_t M = w.scale.size();
    scale.resize(M);
    offset.resize(M);
    for (size_t m = 0; m < M; ++m) {
        scale[m] = in.scale * w.scale[m];
        offset[m] = (bias.empty() ? 0.0 : bias[m]) - static_cast<double>(in.zero) * static_cast<double>(w.rowSum[m]) * scale[m];
    }
}

std::vector<float> biasOf(const graph::Graph& g, const graph::Node& n, size_t k, int64_t count) {
    std::vector<float> b = constInput(g, n, k, "bias");
    if (!b.empty() && static_cast<int64_t>(b.size()) != count) fail(n, "the bias must have one value per output channel");
    return b;
}

// ---- The GEMM driver shared by Conv and Gemm/MatMul -----------------------------------------

// Runs C = A * B for columns [0, P) of one problem: B's columns come from `fill` (which writes
// K rows of `cols` bytes at ldb = cols into its buffer, or returns a pointer and ldb to read
// in place), tiles of columns split over the threads (and row panels when there are few tiles).
struct GemmPlan {
    const Int8Kernels* gemm = nullptr;
    int64_t M = 0, K = 0, P = 0;
    int64_t tile = 0;  // columns per tile (a multiple of nr)
    size_t im2colBytes = 0, packBytes = 0, cBytes = 0, floatBytes = 0;

    void init(const Int8Kernels& k, int64_t m, int64_t kk, int64_t p, bool needsIm2col) {
        gemm = &k;
        M = m;
        K = kk;
        P = p;
        const int64_t perCol = std::max<int64_t>(1, k.kPadded(K) * k.elemBytes);
        tile = std::max<int64_t>(k.nr, kTileBBytes / perCol / k.nr * k.nr);
        tile = std::min(tile, k.strips(P) * k.nr);
        im2colBytes = needsIm2col ? align64(static_cast<size_t>(K * tile)) : 0;
        packBytes = align64(k.packedBBytes(K, tile));
        cBytes = align64(static_cast<size_t>(k.mr * tile) * sizeof(int32_t));
        floatBytes = align64(static_cast<size_t>(tile) * (sizeof(float) + sizeof(int32_t)));  // scratch, then column sums
    }
    size_t perThread() const { return im2colBytes + packBytes + cBytes + floatBytes; }
};

// Weights with zero points: the sums over K of each column of B (the activations as the GEMM
// reads them), so that sum_k (w - zw) x = sum_k w x - zw * colSum.
void columnSums(const uint8_t* b, int64_t ldb, int64_t K, int64_t cols, uint8_t flip, int32_t* sums) {
    std::fill(sums, sums + cols, 0);
    for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < cols; ++j) sums[j] += static_cast<uint8_t>(b[k * ldb + j] ^ flip);
}
void subtractZeroTerms(int32_t* c, int64_t ldc, const int32_t* zero, int64_t rows, const int32_t* colSum, int64_t cols) {
    for (int64_t r = 0; r < rows; ++r)
        if (zero[r])
            for (int64_t j = 0; j < cols; ++j) c[r * ldc + j] -= zero[r] * colSum[j];
}

// The same for a matrix-vector product of the column x (K bytes).
void subtractGemvZeroTerms(int32_t* y, const int32_t* zero, int64_t M, const uint8_t* x, int64_t K, uint8_t flip) {
    if (!zero) return;
    int32_t sum = 0;
    columnSums(x, 1, K, 1, flip, &sum);
    subtractZeroTerms(y, 1, zero, M, &sum, 1);
}

// fill(p0, p1, buffer, &ldb) -> pointer to K rows of the columns [p0, p1); out(c, ldc, m0, rows, p0, cols, scratch).
// wZero: the weights' zero point per row, or null when they are all 0.
template <class Fill, class Out>
void runGemm(const GemmPlan& plan, const uint8_t* packedA, uint8_t flip, const int32_t* wZero, KernelContext& ctx, Fill&& fill, Out&& out) {
    const Int8Kernels& k = *plan.gemm;
    const int64_t tiles = (plan.P + plan.tile - 1) / plan.tile, panels = k.panels(plan.M);
    const int threads = ctx.pool.size();
    // Few tiles (small planes, deep layers): split the row panels too, each task packing its tile.
    const int64_t mSplit = tiles >= threads ? 1 : std::min<int64_t>(panels, (threads + tiles - 1) / tiles);
    const int64_t perSplit = (panels + mSplit - 1) / mSplit;
    const size_t panelBytes = k.panelBytes(plan.K);
    auto task = [&](int64_t t, int th) {
        const int64_t tileIdx = t / mSplit, split = t % mSplit;
        const int64_t p0 = tileIdx * plan.tile, p1 = std::min(plan.P, p0 + plan.tile), cols = p1 - p0;
        uint8_t* base = reinterpret_cast<uint8_t*>(ctx.workspace) + static_cast<size_t>(th) * plan.perThread();
        uint8_t* col = base;
        uint8_t* packed = base + plan.im2colBytes;
        int32_t* c = reinterpret_cast<int32_t*>(packed + plan.packBytes);
        float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(c) + plan.cBytes);
        int64_t ldb = cols;
        const uint8_t* b = fill(p0, p1, col, ldb);
        k.packB(b, ldb, plan.K, cols, flip, packed);
        int32_t* colSum = reinterpret_cast<int32_t*>(scratch + plan.tile);
        if (wZero) columnSums(b, ldb, plan.K, cols, flip, colSum);
        const int64_t pa = split * perSplit, pb = std::min(panels, pa + perSplit);
        for (int64_t pnl = pa; pnl < pb; ++pnl) {
            const int64_t m0 = pnl * k.mr, rows = std::min<int64_t>(k.mr, plan.M - m0);
            k.kernel(packedA + static_cast<size_t>(pnl) * panelBytes, packed, plan.K, cols, c, plan.tile);
            if (wZero) subtractZeroTerms(c, plan.tile, wZero + m0, rows, colSum, cols);
            out(c, plan.tile, m0, rows, p0, cols, scratch);
        }
    };
    const int64_t tasks = tiles * mSplit;
    if (tasks == 1 || threads == 1) {
        for (int64_t t = 0; t < tasks; ++t) task(t, 0);
    } else {
        ctx.pool.runSplit(tasks, task);
    }
}

// ---- Conv -----------------------------------------------------------------------------------

struct Geom {
    int64_t C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0;
    int64_t group = 1, Cg = 0, Mg = 0;
    int64_t K() const { return Cg * kh * kw; }
    int64_t P() const { return OH * OW; }
};

Geom geomOf(const graph::Graph& g, const graph::Node& n) {
    const Shape& x = inShape(g, n, 0);
    const Shape& w = inShape(g, n, 1);
    const Shape& y = outShape(g, n);
    if (x.size() != 4 || x[0] != 1) fail(n, "int8 convolutions take one [1,C,H,W] image");
    Geom q;
    q.C = x[1];
    q.H = x[2];
    q.W = x[3];
    q.M = y[1];
    q.OH = y[2];
    q.OW = y[3];
    q.kh = w[2];
    q.kw = w[3];
    const auto s = n.attrInts("strides"), d = n.attrInts("dilations"), p = n.attrInts("pads");
    q.sh = s.at(0);
    q.sw = s.at(1);
    q.dh = d.at(0);
    q.dw = d.at(1);
    q.pt = p.at(0);
    q.pl = p.at(1);
    q.group = n.attrInt("group", 1);
    q.Cg = q.C / q.group;
    q.Mg = q.M / q.group;
    return q;
}

// Columns [p0, p1) of one group's im2col matrix as K rows of (p1 - p0) bytes; pads are `pad`.
void im2colTile(const Geom& q, const uint8_t* x, uint8_t* col, int64_t p0, int64_t p1, uint8_t pad) {
    const int64_t cols = p1 - p0;
    uint8_t* dst = col;
    for (int64_t c = 0; c < q.Cg; ++c)
        for (int64_t ky = 0; ky < q.kh; ++ky)
            for (int64_t kx = 0; kx < q.kw; ++kx, dst += cols) {
                const int64_t off = kx * q.dw - q.pl;
                int64_t lo, hi;
                validRange(off, q.sw, q.W, q.OW, lo, hi);
                for (int64_t p = p0; p < p1;) {
                    const int64_t oy = p / q.OW, ox0 = p - oy * q.OW, ox1 = std::min(q.OW, ox0 + (p1 - p));
                    uint8_t* d = dst + (p - p0) - ox0;  // d[ox]: this row's slot for column ox
                    const int64_t iy = oy * q.sh - q.pt + ky * q.dh;
                    if (iy < 0 || iy >= q.H) {
                        std::memset(d + ox0, pad, static_cast<size_t>(ox1 - ox0));
                    } else {
                        const uint8_t* in = x + (c * q.H + iy) * q.W;
                        const int64_t a = std::clamp(lo, ox0, ox1), b = std::clamp(hi, a, ox1);
                        std::memset(d + ox0, pad, static_cast<size_t>(a - ox0));
                        if (q.sw == 1) std::memcpy(d + a, in + a + off, static_cast<size_t>(b - a));
                        else
                            for (int64_t ox = a; ox < b; ++ox) d[ox] = in[ox * q.sw + off];
                        std::memset(d + b, pad, static_cast<size_t>(ox1 - b));
                    }
                    p += ox1 - ox0;
                }
            }
}

class Int8ConvGemm final : public Kernel {
public:
    Int8ConvGemm(const Geom& q, const Input& in, const Weights& w, OutputStage out, const Int8Kernels& gemm)
        : q_(q), in_(in), out_(std::move(out)), gemm_(gemm) {
        if (w.asymmetric) zero_ = w.zero;
        direct_ = q.kh == 1 && q.kw == 1 && q.sh == 1 && q.sw == 1 && q.pt == 0 && q.pl == 0 && q.OH == q.H && q.OW == q.W;
        gemv_ = q.P() == 1;
        const int64_t K = q.K();
        if (gemv_) {
            perGroupA_ = gemm.packedGemvBytes(q.Mg, K);
            packed_.resize(perGroupA_ * static_cast<size_t>(q.group));
            for (int64_t gi = 0; gi < q.group; ++gi) gemm.packGemv(w.w.data() + gi * q.Mg * K, K, q.Mg, K, packed_.data() + gi * perGroupA_);
            gemvBytes_ = align64(static_cast<size_t>(K)) + align64(gemm.packedBBytes(K, 1)) + accBytes(q.Mg) + align64(static_cast<size_t>(q.Mg) * sizeof(float));
        } else {
            perGroupA_ = gemm.packedABytes(q.Mg, K);
            packed_.resize(perGroupA_ * static_cast<size_t>(q.group));
            for (int64_t gi = 0; gi < q.group; ++gi) gemm.packA(w.w.data() + gi * q.Mg * K, K, q.Mg, K, packed_.data() + gi * perGroupA_);
            plan_.init(gemm, q.Mg, K, q.P(), !direct_);
        }
    }
    size_t workspaceBytes(int threads) const override { return gemv_ ? gemvBytes_ : plan_.perThread() * static_cast<size_t>(threads); }
    size_t weightBytes() const override { return packed_.size(); }
    const char* algo() const override { return algo_.c_str(); }
    void setAlgo(std::string a) { algo_ = std::move(a); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const size_t ob = out_.floatOutput() ? sizeof(float) : 1;
        const int64_t P = q_.P();
        for (int64_t gi = 0; gi < q_.group; ++gi) {
            const uint8_t* xg = x + gi * q_.Cg * q_.H * q_.W;
            const uint8_t* a = packed_.data() + static_cast<size_t>(gi) * perGroupA_;
            if (gemv_) {
                runGemv(xg, a, y, gi, ctx);
                continue;
            }
            runGemm(
                plan_, a, in_.flip, zero_.empty() ? nullptr : zero_.data() + gi * q_.Mg, ctx,
                [&](int64_t p0, int64_t p1, uint8_t* col, int64_t& ldb) -> const uint8_t* {
                    if (direct_) {
                        ldb = P;
                        return xg + p0;
                    }
                    im2colTile(q_, xg, col, p0, p1, in_.padByte);
                    ldb = p1 - p0;
                    return col;
                },
                [&](const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t p0, int64_t cols, float* scratch) {
                    out_.write(c, ldc, gi * q_.Mg + m0, rows, cols, y + static_cast<size_t>(p0) * ob, P, 1, scratch);
                });
        }
    }

private:
    // One output pixel: the column is the window at (0, 0), then a matrix-vector product.
    void runGemv(const uint8_t* xg, const uint8_t* a, uint8_t* y, int64_t gi, KernelContext& ctx) {
        const int64_t K = q_.K();
        uint8_t* ws = reinterpret_cast<uint8_t*>(ctx.workspace);
        uint8_t* col = ws;
        uint8_t* packedX = col + align64(static_cast<size_t>(K));
        int32_t* acc = reinterpret_cast<int32_t*>(packedX + align64(gemm_.packedBBytes(K, 1)));
        float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(acc) + accBytes(q_.Mg));
        im2colTile(q_, xg, col, 0, 1, in_.padByte);
        gemm_.packB(col, 1, K, 1, in_.flip, packedX);
        gemm_.gemv(a, packedX, q_.Mg, K, acc);
        subtractGemvZeroTerms(acc, zero_.empty() ? nullptr : zero_.data() + gi * q_.Mg, q_.Mg, col, K, in_.flip);
        // Output channel m of this group is element (gi * Mg + m) of the [M, 1, 1] output.
        out_.write(acc, 1, gi * q_.Mg, q_.Mg, 1, y, 1, 1, scratch);
    }

    Geom q_;
    Input in_;
    OutputStage out_;
    const Int8Kernels& gemm_;
    bool direct_ = false, gemv_ = false;
    std::vector<int32_t> zero_;  // the weights' zero point per output channel; empty when all are 0
    std::vector<uint8_t> packed_;
    size_t perGroupA_ = 0, gemvBytes_ = 0;
    GemmPlan plan_;
    std::string algo_;
};

// Depthwise: every channel its own 1-channel convolution.
class Int8ConvDepthwise final : public Kernel {
public:
    Int8ConvDepthwise(const Geom& q, const Input& in, Weights w, OutputStage out, DepthwiseFn simd)
        : q_(q), in_(in), w_(std::move(w)), out_(std::move(out)), simd_(simd) {
        // Each channel's taps less its zero point: the weights' integers as the sums need them.
        const size_t per = static_cast<size_t>(q_.kh * q_.kw);
        taps_.resize(w_.w.size());
        for (size_t k = 0; k < w_.w.size(); ++k) taps_[k] = w_.w[k] - w_.zero[k / per];
    }
    size_t workspaceBytes(int threads) const override { return perThread() * static_cast<size_t>(threads); }
    size_t weightBytes() const override { return w_.w.size() + taps_.size() * sizeof(float); }
    const char* algo() const override { return simd_ ? "int8-depthwise/simd" : "int8-depthwise"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const int64_t C = q_.C, plane = q_.H * q_.W, P = q_.P();
        auto channels = [&](int64_t c0, int64_t c1, int th) {
            uint8_t* base = reinterpret_cast<uint8_t*>(ctx.workspace) + static_cast<size_t>(th) * perThread();
            float* xf = reinterpret_cast<float*>(base);
            float* yf = xf + alignFloats(static_cast<size_t>(plane));
            int32_t* acc = reinterpret_cast<int32_t*>(yf + alignFloats(static_cast<size_t>(P)));
            float* scratch = reinterpret_cast<float*>(acc + alignFloats(static_cast<size_t>(P)));
            for (int64_t c = c0; c < c1; ++c) {
                const uint8_t* xc = x + c * plane;
                if (simd_) channelSimd(xc, c, xf, yf, acc);
                else channelDirect(xc, c, acc);
                out_.write(acc, P, c, 1, P, y, P, 1, scratch);
            }
        };
        if (ctx.pool.size() == 1 || C * P < 16 * 1024) channels(0, C, 0);
        else ctx.pool.parallelFor(C, 1, channels);
    }

private:
    size_t perThread() const {
        const size_t plane = alignFloats(static_cast<size_t>(q_.H * q_.W)), P = alignFloats(static_cast<size_t>(q_.P()));
        return (plane + 3 * P) * sizeof(float);
    }
    // The fp32 kernel on x - zero point (pads then add 0); the sum of the pads' share of the
    // zero point is added back so acc is the GEMM convention's sum.
    void channelSimd(const uint8_t* xc, int64_t c, float* xf, float* yf, int32_t* acc) const {
        const int64_t plane = q_.H * q_.W, P = q_.P();
        const float z = static_cast<float>(in_.zero);
        for (int64_t i = 0; i < plane; ++i) xf[i] = static_cast<float>(static_cast<uint8_t>(xc[i] ^ in_.flip)) - z;
        DepthwiseArgs a{xf, q_.H, q_.W, taps_.data() + c * 9, 0.0f, yf, q_.OH, q_.OW, q_.sh, q_.pt, q_.pl, {}};
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

    Geom q_;
    Input in_;
    Weights w_;
    std::vector<float> taps_;
    OutputStage out_;
    DepthwiseFn simd_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Conv(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Geom q = geomOf(g, n);
    const Input in = readInput(g, n, n.inputs.at(0));
    const Weights w = readWeights(g, n, n.inputs.at(1), q.M, q.K(), false);
    std::vector<double> scale, offset;
    realTerms(w, in, biasOf(g, n, 2, q.M), scale, offset);
    const Int8Kernels& gemm = int8KernelsFor(cfg.simd);
    OutputStage out(g.value(n.outputs.at(0)), n.act, scale, offset, gemm);
    if (q.group == q.C && q.group == q.M && q.group > 1) {
        const bool fast3 = q.kh == 3 && q.kw == 3 && q.dh == 1 && q.dw == 1 && q.sh == q.sw && (q.sh == 1 || q.sh == 2);
        return std::make_unique<Int8ConvDepthwise>(q, in, w, std::move(out), fast3 ? cfg.simd.depthwise3x3 : nullptr);
    }
    auto k = std::make_unique<Int8ConvGemm>(q, in, w, std::move(out), gemm);
    k->setAlgo(std::string(q.P() == 1 ? "int8-gemv/" : "int8-gemm/") + gemm.name);
    return k;
}

// ---- Gemm and MatMul ------------------------------------------------------------------------

namespace {

class Int8Linear final : public Kernel {
public:
    Int8Linear(int64_t rows, int64_t K, int64_t N, const Input& in, const Weights& w, OutputStage out, const Int8Kernels& gemm)
        : rows_(rows), K_(K), N_(N), in_(in), out_(std::move(out)), gemm_(gemm) {
        if (w.asymmetric) zero_ = w.zero;
        gemv_ = rows == 1;
        if (gemv_) {
            packed_.resize(gemm.packedGemvBytes(N, K));
            gemm.packGemv(w.w.data(), K, N, K, packed_.data());
        } else {
            packed_.resize(gemm.packedABytes(N, K));
            gemm.packA(w.w.data(), K, N, K, packed_.data());
            plan_.init(gemm, N, K, rows, true);
        }
        algo_ = std::string(gemv_ ? "int8-gemv/" : "int8-gemm/") + gemm.name;
    }
    size_t workspaceBytes(int threads) const override {
        if (gemv_)
            return align64(gemm_.packedBBytes(K_, 1)) + accBytes(N_) + align64(static_cast<size_t>(N_) * sizeof(float));
        return plan_.perThread() * static_cast<size_t>(threads);
    }
    size_t weightBytes() const override { return packed_.size(); }
    const char* algo() const override { return algo_.c_str(); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        void* y = outputs[0];
        if (gemv_) {
            uint8_t* packedX = reinterpret_cast<uint8_t*>(ctx.workspace);
            int32_t* acc = reinterpret_cast<int32_t*>(packedX + align64(gemm_.packedBBytes(K_, 1)));
            float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(acc) + accBytes(N_));
            gemm_.packB(x, 1, K_, 1, in_.flip, packedX);
            gemm_.gemv(packed_.data(), packedX, N_, K_, acc);
            subtractGemvZeroTerms(acc, zero_.empty() ? nullptr : zero_.data(), N_, x, K_, in_.flip);
            out_.write(acc, 1, 0, N_, 1, y, 1, 1, scratch);
            return;
        }
        const size_t ob = out_.floatOutput() ? sizeof(float) : 1;
        runGemm(
            plan_, packed_.data(), in_.flip, zero_.empty() ? nullptr : zero_.data(), ctx,
            [&](int64_t p0, int64_t p1, uint8_t* col, int64_t& ldb) -> const uint8_t* {
                // B[k][j] = x[p0 + j][k]: the tile's rows of x, transposed.
                for (int64_t k = 0; k < K_; ++k)
                    for (int64_t j = p0; j < p1; ++j) col[k * (p1 - p0) + (j - p0)] = x[j * K_ + k];
                ldb = p1 - p0;
                return col;
            },
            [&](const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t p0, int64_t cols, float* scratch) {
                // C[m][j] is y[p0 + j][m].
                out_.write(c, ldc, m0, rows, cols, static_cast<uint8_t*>(y) + static_cast<size_t>(p0 * N_) * ob, 1, N_, scratch);
            });
    }

private:
    int64_t rows_, K_, N_;
    Input in_;
    OutputStage out_;
    const Int8Kernels& gemm_;
    bool gemv_ = false;
    std::vector<int32_t> zero_;
    std::vector<uint8_t> packed_;
    GemmPlan plan_;
    std::string algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Linear(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Shape& wShape = inShape(g, n, 1);
    if (wShape.size() != 2) fail(n, "int8 weights must be a matrix");
    const int64_t K = x.back(), rows = elementCount(x) / std::max<int64_t>(K, 1);
    // Gemm with transB = 1 stores the weights [N][K] (rows of A as they are); otherwise [K][N].
    const bool rowsAreOutputs = n.op == graph::OpKind::Gemm && n.attrInt("transB", 0) != 0;
    const int64_t N = rowsAreOutputs ? wShape[0] : wShape[1];
    if ((rowsAreOutputs ? wShape[1] : wShape[0]) != K) fail(n, "int8 weights do not match the input's last axis");
    if (n.op == graph::OpKind::Gemm && (n.attrInt("transA", 0) != 0 || n.attrFloat("alpha", 1.0f) != 1.0f || n.attrFloat("beta", 1.0f) != 1.0f))
        fail(n, "int8 Gemm takes transA = 0, alpha = beta = 1");
    const Input in = readInput(g, n, n.inputs.at(0));
    const Weights w = readWeights(g, n, n.inputs.at(1), N, K, !rowsAreOutputs);
    std::vector<double> scale, offset;
    realTerms(w, in, n.op == graph::OpKind::Gemm ? biasOf(g, n, 2, N) : std::vector<float>{}, scale, offset);
    const Int8Kernels& gemm = int8KernelsFor(cfg.simd);
    return std::make_unique<Int8Linear>(rows, K, N, in, w, OutputStage(g.value(n.outputs.at(0)), n.act, scale, offset, gemm), gemm);
}

}  // namespace percept::cpu
