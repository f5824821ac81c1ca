// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the row kernels of the session's int8 level (PERCEPT_CPU_ISA picks it, so each
// ISA run checks its own) against plain loops, on the edges the op tests reach only by chance:
// the GEMM and GEMV through the level's packing on every panel and strip edge; requantisation
// of every row length around the vector widths, values past both ends and exact halves;
// MaxPool's 3-wide stride-2 windows on every row length up to 70; the stride-2 depthwise byte
// kernel on every row length around its block of outputs, both byte orders and weights with a
// zero point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cpu/int8_kernels.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

const cpu::Int8Kernels& level() { return cpu::int8KernelsFor(cpu::cpuKernels(testIsa())); }

TEST(Int8Rows, RequantRowMatchesTheDefinition) {
    const cpu::Int8Kernels& k = level();
    SCOPED_TRACE(k.name);
    std::mt19937 rng(11);
    std::uniform_int_distribution<int32_t> acc(-4000, 4000);
    struct Out { int32_t zp, lo, hi; };
    // uint8 around 128, int8 around -3, a ReLU's clamp (lo = zero point).
    for (const Out o : {Out{128, 0, 255}, Out{-3, -128, 127}, Out{7, 7, 255}}) {
        for (const int64_t n : {1, 15, 16, 17, 63, 64, 65, 127, 128, 200}) {
            std::vector<int32_t> a(static_cast<size_t>(n));
            for (int32_t& v : a) v = acc(rng);
            // Exact halves after scaling (1.5, -2.5), far past both ends, and the int32 extremes.
            const int32_t special[] = {3, -5, 1000000, -1000000, INT32_MAX, INT32_MIN};
            for (size_t i = 0; i < std::size(special) && i < a.size(); ++i) a[i * 7 % a.size()] = special[i];
            const float scale = 0.5f, offset = 0.0f;
            std::vector<uint8_t> got(static_cast<size_t>(n) + 8, 0xAB);
            k.requantRow(a.data(), n, scale, offset, o.zp, o.lo, o.hi, got.data());
            for (int64_t j = 0; j < n; ++j) {
                const int32_t want = cpu::clampSteps(std::nearbyint(static_cast<float>(a[j]) * scale + offset) + static_cast<float>(o.zp), o.lo, o.hi);
                ASSERT_EQ(got[j], static_cast<uint8_t>(want)) << "n " << n << " j " << j << " acc " << a[j] << " zp " << o.zp;
            }
            for (size_t j = static_cast<size_t>(n); j < got.size(); ++j) ASSERT_EQ(got[j], 0xAB) << "wrote past the row, n " << n;
        }
    }
}

// The GEMM and GEMV through the level's own packing, against int32 loops: every row count up
// to three panels, K across the groups of 4 (1 .. 37), column counts around the strip width,
// weights at both ends of int8 and activations at both ends of uint8, both byte orders (flip:
// int8 activations are stored with their sign bit flipped).
TEST(Int8Rows, GemmAndGemvMatchALoop) {
    const cpu::Int8Kernels& k = level();
    SCOPED_TRACE(k.name);
    std::mt19937 rng(23);
    std::uniform_int_distribution<int> byte(0, 255);
    for (const uint8_t flip : {uint8_t{0}, uint8_t{0x80}})
        for (int64_t M = 1; M <= 3 * k.mr; M += M < 2 * k.mr ? 1 : 3)
            for (const int64_t K : {1, 3, 4, 5, 8, 16, 27, 37})
                for (const int64_t n : {int64_t{1}, int64_t{k.nr - 1}, int64_t{k.nr}, int64_t{k.nr + 1}, int64_t{2 * k.nr + 3}}) {
                    std::vector<int8_t> a(static_cast<size_t>(M * K));
                    std::vector<uint8_t> b(static_cast<size_t>(K * n));
                    for (int8_t& v : a) v = static_cast<int8_t>(byte(rng) - 128);
                    for (uint8_t& v : b) v = static_cast<uint8_t>(byte(rng));
                    a[0] = -128, b[0] = 255;  // the extremes of both types
                    if (a.size() > 1) a[1] = 127;
                    if (b.size() > 1) b[1] = 0;
                    std::vector<uint8_t> pa(k.packedABytes(M, K)), pb(k.packedBBytes(K, n));
                    k.packA(a.data(), K, M, K, pa.data());
                    k.packB(b.data(), nullptr, n, K, n, flip, pb.data());
                    std::vector<int32_t> c(static_cast<size_t>(k.panels(M) * k.mr * n), 0);
                    for (int64_t p = 0; p < k.panels(M); ++p)
                        k.kernel(pa.data() + p * k.panelBytes(K), pb.data(), K, n, c.data() + p * k.mr * n, n);
                    for (int64_t m = 0; m < M; ++m)
                        for (int64_t j = 0; j < n; ++j) {
                            int32_t want = 0;
                            for (int64_t i = 0; i < K; ++i) want += a[static_cast<size_t>(m * K + i)] * (b[static_cast<size_t>(i * n + j)] ^ flip);
                            ASSERT_EQ(c[static_cast<size_t>(m * n + j)], want) << "GEMM M " << M << " K " << K << " n " << n << " at " << m << "," << j;
                        }
                    // The GEMV on column 0 of B.
                    std::vector<uint8_t> pg(k.packedGemvBytes(M, K)), px(k.packedBBytes(K, 1));
                    k.packGemv(a.data(), K, M, K, pg.data());
                    k.packB(b.data(), nullptr, n, K, 1, flip, px.data());
                    // Room for M + 16 sums (int8::accBytes: a level may write its whole last panel).
                    std::vector<int32_t> y(static_cast<size_t>(M) + 17, 0x5A5A5A5A);
                    k.gemv(pg.data(), px.data(), M, K, y.data());
                    for (int64_t m = 0; m < M; ++m) {
                        int32_t want = 0;
                        for (int64_t i = 0; i < K; ++i) want += a[static_cast<size_t>(m * K + i)] * (b[static_cast<size_t>(i * n)] ^ flip);
                        ASSERT_EQ(y[static_cast<size_t>(m)], want) << "GEMV M " << M << " K " << K << " row " << m;
                    }
                    ASSERT_EQ(y[static_cast<size_t>(M) + 16], 0x5A5A5A5A) << "GEMV wrote past row M + 15, M " << M;
                }
}

TEST(Int8Rows, MaxPoolWindowsMatchALoop) {
    const cpu::Int8Kernels& k = level();
    SCOPED_TRACE(k.name);
    std::mt19937 rng(13);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int64_t n = 1; n <= 70; ++n) {
        // Exactly 2n + 1 bytes, in a vector of their own: a read past them is an ASan error.
        std::vector<uint8_t> t(static_cast<size_t>(2 * n + 1));
        for (uint8_t& v : t) v = static_cast<uint8_t>(byte(rng));
        std::vector<uint8_t> got(static_cast<size_t>(n) + 4, 0xAB);
        k.max3s2(t.data(), got.data(), n);
        for (int64_t j = 0; j < n; ++j)
            ASSERT_EQ(got[static_cast<size_t>(j)], std::max(std::max(t[2 * j], t[2 * j + 1]), t[2 * j + 2])) << "n " << n << " j " << j;
        for (size_t j = static_cast<size_t>(n); j < got.size(); ++j) ASSERT_EQ(got[j], 0xAB) << "wrote past the row, n " << n;
    }
}

TEST(Int8Rows, DepthwiseStride2MatchesALoop) {
    const cpu::Int8Kernels& k = level();
    if (!k.depthwise3x3s2) GTEST_SKIP() << k.name << " has no stride-2 depthwise byte kernel (the fp32 path takes it)";
    SCOPED_TRACE(k.name);
    std::mt19937 rng(12);
    std::uniform_int_distribution<int> byte(0, 255), tap(-128, 127);
    for (const uint8_t flip : {uint8_t{0}, uint8_t{0x80}})
        for (const int32_t wZero : {0, 9})
            for (const int64_t OW : {1, 7, 15, 16, 17, 33, 48}) {
                const int64_t OH = 3, ld = 2 * ((OW + 15) / 16 * 16) + 2 + 5;  // the contract, and a few bytes more
                std::vector<uint8_t> x(static_cast<size_t>((2 * OH + 1) * ld));
                for (uint8_t& v : x) v = static_cast<uint8_t>(byte(rng));
                int8_t w[9];
                for (int8_t& v : w) v = static_cast<int8_t>(tap(rng));
                w[0] = -128;  // the widest tap less its zero point: -137
                std::vector<int32_t> got(static_cast<size_t>(OH * OW) + 16, 0x5A5A5A5A);
                k.depthwise3x3s2(x.data(), ld, OH, OW, flip, w, wZero, got.data());
                for (int64_t oy = 0; oy < OH; ++oy)
                    for (int64_t ox = 0; ox < OW; ++ox) {
                        int32_t want = 0;
                        for (int ky = 0; ky < 3; ++ky)
                            for (int kx = 0; kx < 3; ++kx)
                                want += (w[ky * 3 + kx] - wZero) * static_cast<int32_t>(x[static_cast<size_t>((2 * oy + ky) * ld + 2 * ox + kx)] ^ flip);
                        ASSERT_EQ(got[static_cast<size_t>(oy * OW + ox)], want) << "OW " << OW << " at " << oy << "," << ox << " flip " << int(flip) << " wZero " << wZero;
                    }
                for (size_t j = static_cast<size_t>(OH * OW); j < got.size(); ++j) ASSERT_EQ(got[j], 0x5A5A5A5A) << "wrote past the plane, OW " << OW;
            }
}

}  // namespace
}  // namespace percept::optest
