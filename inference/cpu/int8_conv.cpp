// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): quantised 2-D convolution, the int8 GEMM of cpu/int8_kernels.h with the
// weights as A (packed once, per group) and the activations as B:
//  - "int8-gemm" 1x1, stride 1, unpadded: the input planes are B as they are.
//  - "int8-gemm" otherwise, without im2col: the input is first rewritten, once per run, as
//    zero-point-padded "phase planes" -- for stride s, the padded plane split into s x s planes
//    of every s-th row and column -- so that every row of the im2col matrix, (c, ky, kx), is
//    one phase plane read at a fixed offset. The GEMM then packs its tiles straight from those
//    planes (a table of row offsets), over OH x Wph columns: each output row plus the few
//    columns at its end where the window runs past the padded width, which are computed and
//    never written. The prepared planes are about the input's size, where im2col would
//    write and read kh x kw times it.
//  - "int8-gemv": one output pixel (a classifier on a 1x1 plane), a matrix-vector product.
//  - "int8-depthwise": int8_depthwise.cpp.
// The int32 sums go through the OutputStage: bias, zero points, activation, rounding.
#include "cpu/int8_conv.h"

#include <algorithm>
#include <cstring>

#include "cpu/conv.h"
#include "cpu/int8.h"
#include "graph/quant.h"

namespace percept::cpu {
namespace int8 {

ConvGeom convGeomOf(const graph::Graph& g, const graph::Node& n) {
    const Shape& x = inShape(g, n, 0);
    const Shape& w = inShape(g, n, 1);
    const Shape& y = outShape(g, n);
    if (x.size() != 4 || x[0] != 1) fail(n, "int8 convolutions take one [1,C,H,W] image");
    ConvGeom q;
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

}  // namespace int8

namespace {

using namespace int8;

// The window at output (0, 0) as one im2col column: the matrix-vector product's input.
void windowColumn(const ConvGeom& q, const uint8_t* x, uint8_t* col, uint8_t pad) {
    for (int64_t c = 0; c < q.Cg; ++c)
        for (int64_t ky = 0; ky < q.kh; ++ky)
            for (int64_t kx = 0; kx < q.kw; ++kx) {
                const int64_t iy = ky * q.dh - q.pt, ix = kx * q.dw - q.pl;
                *col++ = iy < 0 || iy >= q.H || ix < 0 || ix >= q.W ? pad : x[(c * q.H + iy) * q.W + ix];
            }
}

// The phase planes of one group's input channels (see the top of the file).
struct Phases {
    int64_t Wph = 0, rows = 0;   // each phase plane: rows x Wph bytes
    int64_t phaseBytes = 0, channelBytes = 0;
    std::vector<int64_t> rowOffset;  // per im2col row (c, ky, kx): where it starts

    Phases(const ConvGeom& q) {
        const int64_t Hp = std::max(q.H + q.pt, (q.OH - 1) * q.sh + (q.kh - 1) * q.dh + 1);
        const int64_t Wp = std::max(q.W + q.pl, (q.OW - 1) * q.sw + (q.kw - 1) * q.dw + 1);
        Wph = (Wp + q.sw - 1) / q.sw;
        const int64_t qhMax = (q.kh - 1) * q.dh / q.sh;
        // One row of slack: the computed-but-unused columns of the last output row read past it.
        rows = std::max((Hp + q.sh - 1) / q.sh, q.OH + qhMax) + 1;
        phaseBytes = rows * Wph;
        channelBytes = phaseBytes * q.sh * q.sw;
        for (int64_t c = 0; c < q.Cg; ++c)
            for (int64_t ky = 0; ky < q.kh; ++ky)
                for (int64_t kx = 0; kx < q.kw; ++kx) {
                    const int64_t ry = ky * q.dh, rx = kx * q.dw;
                    rowOffset.push_back(c * channelBytes + (ry % q.sh * q.sw + rx % q.sw) * phaseBytes + ry / q.sh * Wph + rx / q.sw);
                }
    }
    int64_t columns(const ConvGeom& q) const { return q.OH * Wph; }

    // Channel c of x into its phase planes, pads holding `pad` (the input's zero point).
    void prepare(const ConvGeom& q, const uint8_t* x, uint8_t* dst, uint8_t pad) const {
        for (int64_t ry = 0; ry < q.sh; ++ry)
            for (int64_t rx = 0; rx < q.sw; ++rx) {
                uint8_t* plane = dst + (ry * q.sw + rx) * phaseBytes;
                // Phase column j is padded column j * sw + rx, input column j * sw + rx - pl.
                int64_t lo, hi;
                validRange(rx - q.pl, q.sw, q.W, Wph, lo, hi);
                for (int64_t i = 0; i < rows; ++i) {
                    uint8_t* d = plane + i * Wph;
                    const int64_t iy = i * q.sh + ry - q.pt;
                    if (iy < 0 || iy >= q.H) {
                        std::memset(d, pad, static_cast<size_t>(Wph));
                        continue;
                    }
                    const uint8_t* in = x + iy * q.W;
                    std::memset(d, pad, static_cast<size_t>(lo));
                    if (q.sw == 1) std::memcpy(d + lo, in + lo + rx - q.pl, static_cast<size_t>(hi - lo));
                    else
                        for (int64_t j = lo; j < hi; ++j) d[j] = in[j * q.sw + rx - q.pl];
                    std::memset(d + hi, pad, static_cast<size_t>(Wph - hi));
                }
            }
    }
};

class Int8ConvGemm final : public Kernel {
public:
    Int8ConvGemm(const ConvGeom& q, const Input& in, const Weights& w, OutputStage out, const Int8Kernels& gemm)
        : q_(q), in_(in), out_(std::move(out)), gemm_(gemm), phases_(q) {
        if (w.asymmetric) zero_ = w.zero;
        direct_ = q.kh == 1 && q.kw == 1 && q.sh == 1 && q.sw == 1 && q.pt == 0 && q.pl == 0 && q.OH == q.H && q.OW == q.W;
        gemv_ = q.P() == 1;
        const int64_t K = q.K();
        perGroupA_ = gemv_ ? gemm.packedGemvBytes(q.Mg, K) : gemm.packedABytes(q.Mg, K);
        packed_.resize(perGroupA_ * static_cast<size_t>(q.group));
        for (int64_t gi = 0; gi < q.group; ++gi)
            (gemv_ ? gemm.packGemv : gemm.packA)(w.w.data() + gi * q.Mg * K, K, q.Mg, K, packed_.data() + gi * perGroupA_);
        if (gemv_) gemvBytes_ = align64(static_cast<size_t>(K)) + align64(gemm.packedBBytes(K, 1)) + accBytes(q.Mg) + align64(static_cast<size_t>(q.Mg) * sizeof(float));
        else if (direct_) plan_.init(gemm, q.Mg, K, q.P(), 0);
        else plan_.init(gemm, q.Mg, K, phases_.columns(q), 0, static_cast<size_t>(phases_.channelBytes * q.Cg));
        algo_ = std::string(gemv_ ? "int8-gemv/" : "int8-gemm/") + gemm.name;
    }
    size_t workspaceBytes(int threads) const override { return gemv_ ? gemvBytes_ : plan_.workspaceBytes(threads); }
    size_t weightBytes() const override { return packed_.size(); }
    const char* algo() const override { return algo_.c_str(); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const size_t ob = out_.floatOutput() ? sizeof(float) : 1;
        const int64_t P = q_.P(), plane = q_.H * q_.W;
        for (int64_t gi = 0; gi < q_.group; ++gi) {
            const uint8_t* xg = x + gi * q_.Cg * plane;
            const uint8_t* a = packed_.data() + static_cast<size_t>(gi) * perGroupA_;
            const int32_t* zero = zero_.empty() ? nullptr : zero_.data() + gi * q_.Mg;
            if (gemv_) {
                runGemv(xg, a, zero, y, gi, ctx);
                continue;
            }
            if (direct_) {
                runGemm(
                    plan_, a, in_.flip, zero, ctx, [&](int64_t p0, int64_t, uint8_t*) { return BView{xg + p0, nullptr, P}; },
                    [&](const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t p0, int64_t cols, float* scratch) {
                        out_.write(c, ldc, gi * q_.Mg + m0, rows, cols, y + static_cast<size_t>(p0) * ob, P, 1, scratch);
                    });
                continue;
            }
            uint8_t* prepared = reinterpret_cast<uint8_t*>(ctx.workspace);
            const int64_t chan = phases_.channelBytes;
            auto prepare = [&](int64_t c0, int64_t c1, int) {
                for (int64_t c = c0; c < c1; ++c) phases_.prepare(q_, xg + c * plane, prepared + c * chan, in_.padByte);
            };
            if (ctx.pool.size() == 1 || q_.Cg * chan < 64 * 1024) prepare(0, q_.Cg, 0);
            else ctx.pool.parallelFor(q_.Cg, 1, prepare);
            const int64_t Wph = phases_.Wph;
            runGemm(
                plan_, a, in_.flip, zero, ctx, [&](int64_t p0, int64_t, uint8_t*) { return BView{prepared + p0, phases_.rowOffset.data(), 0}; },
                [&](const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t p0, int64_t cols, float* scratch) {
                    // Column p of the tile is output (p / Wph, p % Wph); the columns past OW are not outputs.
                    for (int64_t oy = p0 / Wph; oy * Wph < p0 + cols; ++oy) {
                        const int64_t s = std::max(p0, oy * Wph), e = std::min(p0 + cols, oy * Wph + q_.OW);
                        if (s < e)
                            out_.write(c + (s - p0), ldc, gi * q_.Mg + m0, rows, e - s, y + static_cast<size_t>(oy * q_.OW + s - oy * Wph) * ob, P, 1,
                                       scratch);
                    }
                });
        }
    }

private:
    void runGemv(const uint8_t* xg, const uint8_t* a, const int32_t* zero, uint8_t* y, int64_t gi, KernelContext& ctx) {
        const int64_t K = q_.K();
        uint8_t* col = reinterpret_cast<uint8_t*>(ctx.workspace);
        uint8_t* packedX = col + align64(static_cast<size_t>(K));
        int32_t* acc = reinterpret_cast<int32_t*>(packedX + align64(gemm_.packedBBytes(K, 1)));
        float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(acc) + accBytes(q_.Mg));
        windowColumn(q_, xg, col, in_.padByte);
        gemm_.packB(col, nullptr, 1, K, 1, in_.flip, packedX);
        gemm_.gemv(a, packedX, q_.Mg, K, acc);
        subtractGemvZeroTerms(gemm_, acc, zero, q_.Mg, col, K, in_.flip);
        // Output channel m of this group is element (gi * Mg + m) of the [M, 1, 1] output.
        out_.write(acc, 1, gi * q_.Mg, q_.Mg, 1, y, 1, 1, scratch);
    }

    ConvGeom q_;
    Input in_;
    OutputStage out_;
    const Int8Kernels& gemm_;
    Phases phases_;
    bool direct_ = false, gemv_ = false;
    std::vector<int32_t> zero_;  // the weights' zero point per output channel; empty when all are 0
    std::vector<uint8_t> packed_;
    size_t perGroupA_ = 0, gemvBytes_ = 0;
    GemmPlan plan_;
    std::string algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Conv(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const ConvGeom q = convGeomOf(g, n);
    const Input in = readInput(g, n, n.inputs.at(0));
    const Weights w = readWeights(g, n, n.inputs.at(1), q.M, q.K(), false);
    std::vector<double> scale, offset;
    realTerms(w, in, biasOf(g, n, 2, q.M), scale, offset);
    const Int8Kernels& gemm = int8KernelsFor(cfg.simd);
    OutputStage out(g.value(n.outputs.at(0)), n.act, scale, offset, gemm);
    if (q.group == q.C && q.group == q.M && q.group > 1) return makeInt8Depthwise(q, in, w, std::move(out), cfg, gemm);
    return std::make_unique<Int8ConvGemm>(q, in, w, std::move(out), gemm);
}

}  // namespace percept::cpu
