// SPDX-License-Identifier: Apache-2.0
// ConvTranspose (1-D, 2-D, 3-D; groups, strides, dilations, pads as the schema resolved them)
// as a GEMM then col2im: for image n and group g, the columns
//     col[(m, tap)][p] = sum_c W[g*Cg + c][m][tap] * x[g*Cg + c][p]      (p: an input position)
// are the transposed weights [Mg*taps x Cg] times the input [Cg x P_in], and each column entry
// is added to the output at o = p*stride - padBegin + tap*dilation, per axis, where that lies in
// the output (the scatter a direct conv gathers).
//
// Work is split by blocks of output channels (image, group, block): a block's output planes are
// written by one thread only, so col2im needs no atomics; within a block the input positions
// are taken a tile at a time (the column tile stays within kTileBytes per thread). The
// transposed weights are packed once for the SIMD GEMM, a block at a time (OpenBLAS on the
// generic level). Output planes start at the bias; the activation runs on a block once it is
// complete.
#include <algorithm>
#include <cstring>

#include "cpu/conv.h"
#include "cpu/isa.h"
#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

constexpr int64_t kTileBytes = int64_t{1} << 20;  // one thread's column tile
constexpr int64_t kBlockRows = 128;               // GEMM rows (channels x taps) per block, about

class ConvTransposeKernel final : public Kernel {
public:
    ConvTransposeKernel(int64_t N, int64_t C, int64_t M, int64_t group, const Spatial3& s, const std::vector<float>& w, std::vector<float> bias,
                        graph::FusedActivation act, const CpuKernels& simd)
        : N_(N), C_(C), M_(M), group_(group), s_(s), bias_(std::move(bias)), act_(act), pg_(simd.gemm) {
        Cg_ = C / group, Mg_ = M / group, taps_ = s.taps();
        const int64_t rowsPerGroup = Mg_ * taps_;
        // Transposed weights per group: wt[g][(m, tap)][c] = w[g*Cg + c][m][tap].
        wt_.resize(static_cast<size_t>(group * rowsPerGroup * Cg_));
        for (int64_t g = 0; g < group; ++g)
            for (int64_t c = 0; c < Cg_; ++c)
                for (int64_t r = 0; r < rowsPerGroup; ++r)
                    wt_[static_cast<size_t>((g * rowsPerGroup + r) * Cg_ + c)] = w[static_cast<size_t>(((g * Cg_ + c) * Mg_) * taps_ + r)];
        mBlock_ = std::clamp<int64_t>(kBlockRows / std::max<int64_t>(taps_, 1), 1, Mg_);
        blocks_ = (Mg_ + mBlock_ - 1) / mBlock_;
        const int64_t rows = mBlock_ * taps_, P = s_.inPlane();
        tile_ = std::clamp<int64_t>(kTileBytes / (4 * rows), 1, std::max<int64_t>(P, 1));
        if (pg_) {
            if (tile_ >= pg_->nr && tile_ < P) tile_ -= tile_ % pg_->nr;  // whole column strips
            // Each (group, block) packed on its own, so a block's GEMM is one packed matrix.
            perBlock_ = pg_->packedFloats(rows, Cg_);
            packed_.resize(static_cast<size_t>(group * blocks_ * perBlock_));
            for (int64_t g = 0; g < group; ++g)
                for (int64_t b = 0; b < blocks_; ++b) {
                    const int64_t r0 = b * mBlock_ * taps_, r1 = std::min(Mg_, (b + 1) * mBlock_) * taps_;
                    pg_->pack(wt_.data() + (g * rowsPerGroup + r0) * Cg_, Cg_, r1 - r0, Cg_, packed_.data() + (g * blocks_ + b) * perBlock_);
                }
            wt_.clear();
            wt_.shrink_to_fit();
        }
        slice_ = threadStride(alignFloats(static_cast<size_t>(rows * tile_)) + (pg_ ? alignFloats(static_cast<size_t>(packBFloats())) : 0));
        algo_ = pg_ ? std::string("gemm-col2im/") + simd.name() : "gemm-col2im";
    }

    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override { return static_cast<size_t>(std::max(threads, 1)) * slice_ * sizeof(float); }
    size_t weightBytes() const override { return (wt_.size() + packed_.size() + bias_.size()) * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t jobs = N_ * group_ * blocks_;
        ctx.pool.runSplit(jobs, [&](int64_t job, int th) {
            const int64_t n = job / (group_ * blocks_), g = (job / blocks_) % group_, b = job % blocks_;
            block(inputs[0], outputs[0], n, g, b, ctx.workspace + static_cast<size_t>(th) * slice_);
        });
    }

private:
    // Output channels [b*mBlock, ...) of group g, image n.
    void block(const float* x, float* y, int64_t n, int64_t g, int64_t b, float* scratch) const {
        const int64_t P = s_.inPlane(), Q = s_.outPlane();
        const int64_t m0 = b * mBlock_, m1 = std::min(Mg_, m0 + mBlock_), rows = (m1 - m0) * taps_;
        float* yb = y + (n * M_ + g * Mg_ + m0) * Q;  // the block's first output plane
        for (int64_t m = m0; m < m1; ++m) std::fill(yb + (m - m0) * Q, yb + (m - m0 + 1) * Q, bias_[static_cast<size_t>(g * Mg_ + m)]);
        const float* xg = x + (n * C_ + g * Cg_) * P;
        float* col = scratch;
        for (int64_t p0 = 0; p0 < P; p0 += tile_) {
            const int64_t cols = std::min(tile_, P - p0);
            if (pg_) {
                PackedGemmArgs a;
                a.a = packed_.data() + (g * blocks_ + b) * perBlock_, a.M = rows, a.K = Cg_, a.b = xg + p0, a.ldb = P;
                a.c = col, a.ldc = cols, a.n0 = 0, a.n1 = cols, a.mb0 = 0, a.mb1 = pg_->panels(rows);
                a.packB = scratch + alignFloats(static_cast<size_t>(rows * tile_));
                pg_->run(a);
            } else {
                const float* w = wt_.data() + (g * Mg_ * taps_ + m0 * taps_) * Cg_;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(Cg_), 1.0f,
                            w, static_cast<int>(Cg_), xg + p0, static_cast<int>(P), 0.0f, col, static_cast<int>(cols));
            }
            for (int64_t m = m0; m < m1; ++m) col2im(col + (m - m0) * taps_ * cols, cols, p0, yb + (m - m0) * Q);
        }
        if (act_.any()) activate(act_, yb, yb, (m1 - m0) * Q);
    }

    // Adds the rows (tap) of one output channel's columns [p0, p0 + cols) into its plane y.
    void col2im(const float* col, int64_t cols, int64_t p0, float* y) const {
        const int64_t H = s_.in[1], W = s_.in[2], OD = s_.out[0], OH = s_.out[1], OW = s_.out[2];
        int64_t tap = 0;
        for (int64_t kz = 0; kz < s_.kernel[0]; ++kz)
            for (int64_t ky = 0; ky < s_.kernel[1]; ++ky)
                for (int64_t kx = 0; kx < s_.kernel[2]; ++kx, ++tap) {
                    const float* c = col + tap * cols;
                    const int64_t off = kx * s_.dilation[2] - s_.padBegin[2];
                    int64_t lo, hi;  // input columns whose output column is inside the row
                    validRange(off, s_.stride[2], OW, W, lo, hi);
                    // One input row segment at a time.
                    for (int64_t p = p0; p < p0 + cols;) {
                        const int64_t row = p / W, ix0 = p - row * W, ix1 = std::min(W, ix0 + (p0 + cols - p));
                        const int64_t iz = row / H, iy = row - iz * H;
                        const int64_t oz = iz * s_.stride[0] - s_.padBegin[0] + kz * s_.dilation[0];
                        const int64_t oy = iy * s_.stride[1] - s_.padBegin[1] + ky * s_.dilation[1];
                        if (oz >= 0 && oz < OD && oy >= 0 && oy < OH) {
                            float* yr = y + (oz * OH + oy) * OW + off;  // yr[ix * stride] is input column ix's target
                            const float* cr = c + (p - p0) - ix0;        // cr[ix] is input column ix's value
                            const int64_t a = std::clamp(lo, ix0, ix1), e = std::clamp(hi, a, ix1);
                            if (s_.stride[2] == 1) {
                                for (int64_t ix = a; ix < e; ++ix) yr[ix] += cr[ix];
                            } else {
                                for (int64_t ix = a; ix < e; ++ix) yr[ix * s_.stride[2]] += cr[ix];
                            }
                        }
                        p += ix1 - ix0;
                    }
                }
    }

    int64_t N_, C_, M_, group_, Cg_ = 0, Mg_ = 0, taps_ = 1;
    Spatial3 s_;
    std::vector<float> bias_;
    graph::FusedActivation act_;
    const PackedGemm* pg_;
    std::vector<float> wt_;      // transposed weights (OpenBLAS path)
    std::vector<float> packed_;  // packed per (group, block) (SIMD path)
    int64_t perBlock_ = 0;       // floats of one packed block
    int64_t mBlock_ = 1, blocks_ = 1;  // output channels per block, blocks per group
    int64_t tile_ = 1;           // input positions per column tile
    size_t slice_ = 0;           // workspace floats per thread
    std::string algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeConvTranspose(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Shape& ws = inShape(g, n, 1);
    const Shape& y = outShape(g, n);
    if (ws.size() != x.size()) fail(n, "weights " + shapeToString(ws) + " do not have the input's rank");
    const Spatial3 s = spatial3(n, x, y);
    const int64_t group = n.attrInt("group", 1), C = x[1], M = y[1];
    if (group <= 0 || C % group || M % group || ws[0] != C || ws[1] * group != M || elementCount(ws) != C * (M / group) * s.taps())
        fail(n, "weights " + shapeToString(ws) + " do not match input " + shapeToString(x) + " with group " + std::to_string(group));
    const std::vector<float> w = constInput(g, n, 1, "weights");
    std::vector<float> bias = constInput(g, n, 2, "bias");
    if (bias.empty()) bias.assign(static_cast<size_t>(M), 0.0f);
    if (static_cast<int64_t>(bias.size()) != M) fail(n, "bias must have " + std::to_string(M) + " values");
    return std::make_unique<ConvTransposeKernel>(x[0], C, M, group, s, w, std::move(bias), n.act, cfg.simd);
}

}  // namespace percept::cpu
