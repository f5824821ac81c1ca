// SPDX-License-Identifier: Apache-2.0
// Winograd F(4x4, 3x3) (and F(2x2, 3x3) for small planes): U = G g G^T per (output, input)
// channel pair, packed at creation as 36 (16) GEMM A matrices [M x C]; per frame, V = B^T d B
// per input tile (simd_winograd.inc), then 36 (16) packed GEMMs Mx_p = U_p * V_p over
// [C x tiles], then Y = A^T Mx A per tile plus bias and activation. F(4x4) rather than
// F(6x6): its rounding stays well inside the op tests' 1e-4.
//
// Work is cut by tile rows. When every thread can get a block of tile rows wide enough for
// the GEMM (>= kMinBlockTiles tiles), each thread runs all three steps on its own block with
// its own buffers (no barriers; the block's transformed data stays in L2). Otherwise (small
// planes: 14x14, 7x7) one block covers the plane and each step is spread over the threads
// (channels, then positions x row panels, then output channels).
#include "cpu/conv_winograd.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu/isa.h"
#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

// Transformed input + GEMM output of one block kept within about L2 (Zen 5: 1 MiB per core).
constexpr int64_t kBlockBytes = int64_t{1} << 20;
constexpr int64_t kMinBlockTiles = 24;

// The two tile sizes: m x m outputs from (m+2) x (m+2) inputs, (m+2)^2 positions; G is the
// (m+2) x 3 weight transform (points 0, +-1, +-2, inf for F(4x4); 0, +-1, inf for F(2x2)).
struct Variant {
    int m, n, positions;
    const double (*G)[3];
    void (*input)(const WinoInArgs&);
    void (*output)(const WinoOutArgs&);
};
constexpr double kG4[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                              {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
constexpr double kG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

Variant variant(int m, const WinogradFns& f) {
    if (m == 4) return {4, 6, 36, kG4, f.input, f.output};
    return {2, 4, 16, kG2, f.input2, f.output2};
}

// U_p[m][c] for p = n*i + j: (G g G^T)[i][j], computed in double.
std::vector<float> transformWeights(const std::vector<float>& w, int64_t M, int64_t C, const Variant& v) {
    const int n = v.n;
    std::vector<float> u(static_cast<size_t>(v.positions * M * C));
    for (int64_t m = 0; m < M; ++m)
        for (int64_t c = 0; c < C; ++c) {
            const float* g = w.data() + (m * C + c) * 9;
            double t[6][3];  // G g
            for (int i = 0; i < n; ++i)
                for (int b = 0; b < 3; ++b) t[i][b] = v.G[i][0] * g[b] + v.G[i][1] * g[3 + b] + v.G[i][2] * g[6 + b];
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j)
                    u[static_cast<size_t>(((i * n + j) * M + m) * C + c)] =
                        static_cast<float>(t[i][0] * v.G[j][0] + t[i][1] * v.G[j][1] + t[i][2] * v.G[j][2]);
        }
    return u;
}

class ConvWinograd final : public Kernel {
public:
    ConvWinograd(const WinoGeom& q, const std::vector<float>& w, std::vector<float> bias, graph::FusedActivation act, const PackedGemm* pg,
                 Variant v, const char* isa, int residualInput)
        : q_(q), bias_(std::move(bias)), act_(act), pg_(pg), v_(v), P_(v.positions), residualInput_(residualInput),
          algo_(std::string(v.m == 2 ? "winograd2x2/" : "winograd/") + isa) {
        TY_ = (q.OH + v.m - 1) / v.m, TX_ = (q.OW + v.m - 1) / v.m;
        const std::vector<float> u = transformWeights(w, q.M, q.C, v);
        perA_ = pg->packedFloats(q.M, q.C);
        packed_.resize(static_cast<size_t>(perA_ * P_));
        for (int p = 0; p < P_; ++p) pg->pack(u.data() + p * q.M * q.C, q.C, q.M, q.C, packed_.data() + p * perA_);
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t weightBytes() const override { return (packed_.size() + bias_.size()) * sizeof(float); }

    size_t workspaceBytes(int threads) const override {
        const Plan p = plan(threads);
        const size_t tiles = static_cast<size_t>(p.rows * TX_);
        const size_t data = alignFloats(P_ * q_.C * tiles + 16) + alignFloats(P_ * q_.M * tiles + 16);
        const size_t own = alignFloats(static_cast<size_t>(packBFloats())) + alignFloats(static_cast<size_t>(winogradScratchFloats(TX_)));
        const size_t T = static_cast<size_t>(std::max(threads, 1));
        return (p.perThread ? T * threadStride(data + own) : threadStride(data) + T * threadStride(own)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int threads = ctx.pool.size();
        const Plan p = plan(threads);
        const size_t tilesMax = static_cast<size_t>(p.rows * TX_);
        const size_t vFloats = alignFloats(P_ * q_.C * tilesMax + 16), mFloats = alignFloats(P_ * q_.M * tilesMax + 16);
        const size_t packF = alignFloats(static_cast<size_t>(packBFloats())), scrF = alignFloats(static_cast<size_t>(winogradScratchFloats(TX_)));
        for (int64_t n = 0; n < q_.N; ++n) {
            const float* x = inputs[0] + n * q_.C * q_.H * q_.W;
            float* y = outputs[0] + n * q_.M * q_.OH * q_.OW;
            const float* res = residualInput_ >= 0 ? inputs[residualInput_] + n * q_.M * q_.OH * q_.OW : nullptr;
            if (p.perThread) {
                ctx.pool.runSplit(p.blocks, [&](int64_t b, int th) {  // top rows on thread 0, ...
                    float* base = ctx.workspace + static_cast<size_t>(th) * threadStride(vFloats + mFloats + packF + scrF);
                    Bufs bufs{base, base + vFloats, base + vFloats + mFloats, base + vFloats + mFloats + packF};
                    const int64_t ty0 = (b * TY_ + p.blocks - 1) / p.blocks, ty1 = ((b + 1) * TY_ + p.blocks - 1) / p.blocks;
                    inputRange(x, ty0, ty1, 0, q_.C, bufs);
                    gemmRange(ty0, ty1, bufs);
                    outputRange(y, res, ty0, ty1, 0, q_.M, bufs);
                });
                continue;
            }
            // One block, each step spread over the threads.
            float* v = ctx.workspace;
            float* m = v + vFloats;
            auto bufsOf = [&](int th) {
                float* own = v + threadStride(vFloats + mFloats) + static_cast<size_t>(th) * threadStride(packF + scrF);
                return Bufs{v, m, own, own + packF};
            };
            ctx.pool.parallelFor(q_.C, 1, [&](int64_t c0, int64_t c1, int th) { inputRange(x, 0, TY_, c0, c1, bufsOf(th)); });
            const int64_t panels = pg_->panels(q_.M);
            // Tasks of a few row panels of one position: even shares for the threads.
            const int64_t per = std::max<int64_t>(1, panels / 2);
            const int64_t chunks = (panels + per - 1) / per;
            ctx.pool.run(P_ * chunks, [&](int64_t t, int th) {
                const int64_t pos = t / chunks, c = t % chunks;
                gemmOne(pos, 0, TY_, c * per, std::min(panels, (c + 1) * per), bufsOf(th));
            });
            ctx.pool.parallelFor(q_.M, 1, [&](int64_t m0, int64_t m1, int th) { outputRange(y, res, 0, TY_, m0, m1, bufsOf(th)); });
        }
    }

private:
    struct Plan {
        int64_t rows = 1, blocks = 1;
        bool perThread = false;
    };
    struct Bufs {
        float *v, *m, *packB, *scratch;
    };

    Plan plan(int threads) const {
        threads = std::max(threads, 1);
        const int64_t rowBytes = P_ * (q_.C + q_.M) * TX_ * 4;
        // As many blocks as the L2 budget asks for, but none narrower than kMinBlockTiles
        // (the GEMM would stream the transformed weights once per thin block).
        const int64_t maxBlocks = std::clamp<int64_t>(TY_ * TX_ / kMinBlockTiles, 1, TY_);
        int64_t blocks = std::clamp<int64_t>((TY_ * rowBytes + kBlockBytes - 1) / kBlockBytes, 1, maxBlocks);
        Plan p;
        if (threads > 1) {
            if (maxBlocks < threads) {
                p.rows = TY_, p.blocks = 1, p.perThread = false;
                return p;
            }
            // A whole number of blocks per thread.
            blocks = std::min((blocks + threads - 1) / threads * threads, maxBlocks / threads * threads);
        }
        // The tile rows spread evenly, block b taking rows [ceil(b * TY / blocks), ceil((b + 1) *
        // TY / blocks)), taller blocks first (thread 0, the caller, starts at once; with the
        // shorter first, 7 rows as 3 + 4, a 27x27 layer took 8 % longer): one block height
        // rounded up gave back a count the threads do not divide (SqueezeNet's 55x55 expand at
        // 2 threads: 4 blocks asked of 14 rows, made as 4 + 4 + 4 + 2, 8 rows on one thread and
        // 6 on the other). rows: the tallest block's, for the workspace.
        p.blocks = std::min(blocks, TY_);
        p.rows = (TY_ + p.blocks - 1) / p.blocks;
        p.perThread = true;
        return p;
    }

    // Input channels [c0, c1) of tile rows [ty0, ty1) into bufs.v ([36][C][tiles]).
    void inputRange(const float* x, int64_t ty0, int64_t ty1, int64_t c0, int64_t c1, const Bufs& b) const {
        const int64_t tiles = (ty1 - ty0) * TX_;
        for (int64_t c = c0; c < c1; ++c) {
            const WinoInArgs a{x + c * q_.H * q_.W, q_.H, q_.W, q_.pt, q_.pl, ty0, ty1, TX_, b.v + c * tiles, q_.C * tiles, b.scratch};
            v_.input(a);
        }
    }

    void gemmOne(int64_t pos, int64_t ty0, int64_t ty1, int64_t mb0, int64_t mb1, const Bufs& b) const {
        const int64_t tiles = (ty1 - ty0) * TX_;
        PackedGemmArgs g;
        g.a = packed_.data() + pos * perA_, g.M = q_.M, g.K = q_.C;
        g.b = b.v + pos * q_.C * tiles, g.ldb = tiles;
        g.c = b.m + pos * q_.M * tiles, g.ldc = tiles;
        g.n0 = 0, g.n1 = tiles, g.mb0 = mb0, g.mb1 = mb1;
        g.packB = b.packB;
        pg_->run(g);
    }

    // Every position's GEMM of one block, on one thread.
    void gemmRange(int64_t ty0, int64_t ty1, const Bufs& b) const {
        for (int64_t pos = 0; pos < P_; ++pos) gemmOne(pos, ty0, ty1, 0, pg_->panels(q_.M), b);
    }

    // Output channels [m0, m1) of tile rows [ty0, ty1) from bufs.m into y, plus res (the
    // residual connection, laid out as y) where it is not null. Each element of res is read
    // just before the element of y at the same place is written: y may be res's buffer
    // (PlanHints::inPlaceOf).
    void outputRange(float* y, const float* res, int64_t ty0, int64_t ty1, int64_t m0, int64_t m1, const Bufs& b) const {
        const int64_t tiles = (ty1 - ty0) * TX_;
        const int64_t plane = q_.OH * q_.OW;
        for (int64_t m = m0; m < m1; ++m) {
            const WinoOutArgs a{b.m + m * tiles, q_.M * tiles, y + m * plane, res ? res + m * plane : nullptr, q_.OH, q_.OW, ty0, ty1, TX_,
                                bias_[static_cast<size_t>(m)], act_, b.scratch};
            v_.output(a);
        }
    }

    WinoGeom q_;
    std::vector<float> bias_;
    graph::FusedActivation act_;
    const PackedGemm* pg_;
    Variant v_;
    int P_;  // positions
    int residualInput_;  // the residual connection's input, or -1
    std::string algo_;
    int64_t TY_ = 0, TX_ = 0, perA_ = 0;
    std::vector<float> packed_;  // 36 packed A matrices
};

}  // namespace

int winogradTile(const WinoGeom& q, const KernelConfig& cfg) {
    if (!cfg.simd.gemm || !cfg.simd.winograd.input) return 0;
    const int64_t tiles4 = ((q.OH + 3) / 4) * ((q.OW + 3) / 4), tiles2 = ((q.OH + 1) / 2) * ((q.OW + 1) / 2);
    switch (cfg.tuning.winograd) {
        case Tuning::Winograd::F4: return 4;
        case Tuning::Winograd::F2: return 2;
        case Tuning::Winograd::Off: return 0;
        case Tuning::Winograd::Auto: break;
    }
    // Too few channels: the transforms cost more than the GEMM saves. Too few tiles: the GEMM
    // runs on mostly padded strips and the transformed weights (4x the originals for F(4x4),
    // 1.8x for F(2x2)) dominate the memory traffic. Measured on Zen 5, one thread, against
    // im2col: F(4x4) 2.1-2.4x on 56x56x64 and 28x28x128, 1.7x on 14x14x256, 1.1x on 13x13
    // (SqueezeNet) but 0.75x on 7x7x512 (4 tiles), where F(2x2) has 16 tiles.
    if (q.C < 16 || q.M < 16) return 0;
    // On several threads, a plane too small for F(4x4)'s per-thread blocks of tile rows (14x14:
    // 16 tiles) but not for F(2x2)'s (49) takes F(2x2): each thread then runs the three steps
    // on its own rows with no barrier between them, and streams transformed weights 1.8x the
    // originals, not 4x. On 2 threads (Intel VM) ResNet-50's 14x14x256 convs took 860-880 us
    // with F(4x4), 670-700 with F(2x2); SqueezeNet's 13x13 ones 108-188 against 108-173. One
    // thread: level.
    const int64_t perThreadTiles = kMinBlockTiles * cfg.threads;
    if (cfg.threads > 1 && tiles4 < perThreadTiles && tiles2 >= perThreadTiles) return 2;
    if (tiles4 >= 16) return 4;
    if (tiles2 >= 16) return 2;
    return 0;
}

std::unique_ptr<Kernel> makeWinogradConv(const WinoGeom& q, int tile, const std::vector<float>& weights, std::vector<float> bias,
                                         graph::FusedActivation act, const CpuKernels& simd, int residualInput) {
    return std::make_unique<ConvWinograd>(q, weights, std::move(bias), act, simd.gemm, variant(tile, simd.winograd), simd.name(), residualInput);
}

}  // namespace percept::cpu
