// SPDX-License-Identifier: Apache-2.0
#include "cpu/packed_gemm.h"

#include <algorithm>

#include "cpu/op_util.h"

namespace percept::cpu {

namespace {

// How many chunks of whole row panels to cut `panels` into for T threads, between T and 2T:
// the count whose largest thread share (runSplit hands thread k the k-th contiguous run of
// chunks, and a thread takes another's only once its own are done) has the fewest panels, the
// fewest chunks on a tie (each packs B again). EfficientNet-B0's 7x7 projections (M = 192: 14
// panels) had been cut 4, 4, 4, 2, one thread 8 panels and the other 6; cut 7 and 7 instead.
int64_t rowChunks(int64_t panels, int T) {
    int64_t best = 1, bestShare = panels + 1;
    for (int64_t c = std::min<int64_t>(panels, T); c <= std::min<int64_t>(panels, 2 * T); ++c) {
        const int64_t per = (panels + c - 1) / c, chunks = (panels + per - 1) / per;
        int64_t worst = 0;
        for (int k = 0; k < T; ++k) {
            const int64_t c0 = chunks * k / T, c1 = chunks * (k + 1) / T;
            worst = std::max(worst, std::min(panels, c1 * per) - std::min(panels, c0 * per));
        }
        if (worst < bestShare) best = chunks, bestShare = worst;
    }
    return best;
}

}  // namespace

void packedGemmParallel(ThreadPool& pool, const PackedGemm& pg, const float* ap, int64_t M, int64_t K, const float* b, int64_t ldb,
                        int64_t N, float* c, int64_t ldc, const float* bias, const graph::FusedActivation& act, float* scratch,
                        const float* residual, const float* bRowScale) {
    const int T = pool.size();
    const int64_t strips = (N + pg.nr - 1) / pg.nr, panels = pg.panels(M);
    PackedGemmArgs base;
    base.a = ap, base.M = M, base.K = K, base.b = b, base.ldb = ldb, base.c = c, base.ldc = ldc, base.bias = bias, base.act = act;
    base.residual = residual, base.bRowScale = bRowScale;
    // Columns [n0, n1) of row panels [mb0, mb1) on thread th, with its own slice of the scratch.
    auto part = [&](int64_t n0, int64_t n1, int64_t mb0, int64_t mb1, int th) {
        if (n0 >= n1 || mb0 >= mb1) return;
        PackedGemmArgs a = base;
        a.n0 = n0, a.n1 = n1, a.mb0 = mb0, a.mb1 = mb1;
        a.packB = scratch + static_cast<size_t>(th) * threadStride(static_cast<size_t>(packBFloats()));
        pg.run(a);
    };
    if (T == 1 || M * N * K < 64 * 1024) {
        part(0, N, 0, panels, 0);
        return;
    }
    // By columns, each thread reads all of A (M x K) and its share of B (K x N); by rows, its
    // share of A and all of B. So columns where there are plenty (4 strips per thread), or
    // enough (2) and A is the smaller operand (M <= N).
    if (strips >= 4 * T || (strips >= 2 * T && M <= N)) {
        // Split by column ranges, each thread its own share first: the next layer reads the
        // same spatial range from the same core's cache. Thread k's share is [edge(k),
        // edge(k + 1)), cut in `per` chunks (runSplit hands thread k the k-th run of tasks; a
        // thread done early takes another's). The edges are as even as whole vectors of
        // columns allow, not whole strips: a 15x15 plane (N = 225, 8 strips of 32) is cut
        // 112 / 113, not 128 / 97. Wide shares keep whole-strip edges (a half strip at each
        // edge costs more than the imbalance it saves).
        const int64_t share = (N + T - 1) / T;
        const int64_t unit = share >= 8 * pg.nr ? pg.nr : pg.nr / 2;
        const int64_t per = std::clamp<int64_t>(strips / T, 1, 4);
        auto edge = [&](int64_t k) { return k == T ? N : std::min(N, (N * k / T + unit / 2) / unit * unit); };
        pool.runSplit(T * per, [&](int64_t t, int th) {
            const int64_t k = t / per, j = t % per, e0 = edge(k), e1 = edge(k + 1);
            // The share's chunks are whole strips from its start; the last takes the rest.
            const int64_t step = ((e1 - e0 + per - 1) / per + pg.nr - 1) / pg.nr * pg.nr;
            part(std::min(e1, e0 + j * step), j + 1 == per ? e1 : std::min(e1, e0 + (j + 1) * step), 0, panels, th);
        });
        return;
    }
    // Few strips (a 14x14 plane is 7 at nr = 32, a 7x7 one 2) and more rows than columns: by
    // row panels only (rowChunks). Cut by strips, each thread read all of A (the weights:
    // EfficientNet-B0's last 1x1 conv, 320 -> 1280, is 1.6 MB, more than this machine's L2)
    // for its strips; cut by rows, each reads its share of A once and packs the few columns of
    // B again. On 2 threads that layer took 0.285-0.314 ms against 0.319-0.381 cut 2 x 2,
    // ConvNeXt-T's and ResNet-50's 7x7 stages' 1x1 convs 0-6 % less. The M <= N test (Intel
    // VM, 2 threads, 5 interleaved rounds, against columns from 2 strips per thread as
    // before): MobileNetV2 4.20 -> 4.07 ms, SqueezeNet 1.1 (13x13) 3.43 -> 3.28, MobileNetV3-L
    // 3.32 -> 3.24, MobileNet v1 0.5 (10x10) 1.076 -> 1.031, ResNet-50 (its 14x14 1x1 convs to
    // 1024 channels 415-453 -> 366-397 us) 33.3 -> 32.2 and 31.7 -> 31.3 in two runs.
    const int64_t chunks = rowChunks(panels, T), pPer = (panels + chunks - 1) / chunks;
    pool.runSplit((panels + pPer - 1) / pPer, [&](int64_t t, int th) { part(0, N, t * pPer, std::min(panels, (t + 1) * pPer), th); });
}

size_t packScratchFloats(int threads) { return static_cast<size_t>(std::max(threads, 1)) * threadStride(static_cast<size_t>(packBFloats())); }

AlignedFloats packBMatrix(const float* b, bool transposed, int64_t K, int64_t N, float alpha, int nr) {
    const int64_t cols = packedCols(N, nr);
    AlignedFloats out(static_cast<size_t>(K * cols), 0.0f);
    for (int64_t k0 = 0; k0 < K; k0 += kPackKc) {
        const int64_t kc = std::min<int64_t>(kPackKc, K - k0);
        float* block = out.data() + k0 * cols;
        for (int64_t n = 0; n < N; ++n) {
            float* dst = block + (n / nr) * kc * nr + n % nr;  // strip n / nr, lane n % nr
            for (int64_t k = 0; k < kc; ++k) dst[k * nr] = alpha * (transposed ? b[n * K + k0 + k] : b[(k0 + k) * N + n]);
        }
    }
    return out;
}

AlignedFloats gemvRows(const float* w, bool transposed, int64_t rows, int64_t K) {
    AlignedFloats out(static_cast<size_t>(rows * K));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t k = 0; k < K; ++k) out[static_cast<size_t>(r * K + k)] = transposed ? w[k * rows + r] : w[r * K + k];
    return out;
}

}  // namespace percept::cpu
