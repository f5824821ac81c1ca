// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the int8 GEMM with AVX-512 VNNI, `vpdpbusd` (16 lanes, each the sum of 4
// uint8 x int8 products added to an int32). Compiled for that target through a GCC target
// region (as simd_avx512.cpp is) and chosen at run time only on CPUs that have it
// (int8KernelsFor in int8_kernels.cpp).
//
// Layout (cpu/int8_kernels.h): A panels of 8 rows, [K/4][8][4] bytes; B strips of 32 columns,
// [K/4][32][4] bytes. The micro-kernel holds an 8 x 32 int32 tile in 16 registers: per group
// of 4 along K it loads two vectors of B and, per row, broadcasts that row's 4 weights into
// two vpdpbusd. The matrix-vector product runs on its own panels of 16 rows, [K/4][16][4]:
// one vector of weights per group, times the 4 activations broadcast.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "cpu/int8_kernels.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma")
#endif
// GCC 12 flags the intrinsics' own undefined vectors as maybe-uninitialized (as in simd_avx512.cpp).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace percept::cpu::avx512 {
namespace {

constexpr int kMr = 8, kNr = 32, kGroup = 4, kGemvRows = 16;

inline int32_t quad(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

// Four rows of 32 bytes (zero where a row is past K or a column past n) interleaved into 32
// groups of 4: the transpose of a 4 x 32 byte block, two unpack levels and a lane fix-up.
void packB(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const __m256i f = _mm256_set1_epi8(static_cast<char>(flip));
    uint8_t* d = static_cast<uint8_t*>(dst);
    for (int64_t j0 = 0; j0 < n; j0 += kNr) {
        const int64_t cols = n - j0 < kNr ? n - j0 : kNr;
        const __mmask32 m = cols >= 32 ? ~__mmask32(0) : (__mmask32(1) << cols) - 1;
        for (int64_t g = 0; g < groups; ++g, d += kNr * kGroup) {
            __m256i r[4];
            for (int i = 0; i < 4; ++i) {
                const int64_t k = g * kGroup + i;
                // The flip must not fill the tail: zero past column n again after it.
                r[i] = k < K ? _mm256_maskz_mov_epi8(m, _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, rowOf(b, rows, ldb, k) + j0), f)) : _mm256_setzero_si256();
            }
            const __m256i t0 = _mm256_unpacklo_epi8(r[0], r[1]), t1 = _mm256_unpackhi_epi8(r[0], r[1]);
            const __m256i t2 = _mm256_unpacklo_epi8(r[2], r[3]), t3 = _mm256_unpackhi_epi8(r[2], r[3]);
            const __m256i q0 = _mm256_unpacklo_epi16(t0, t2), q1 = _mm256_unpackhi_epi16(t0, t2);
            const __m256i q2 = _mm256_unpacklo_epi16(t1, t3), q3 = _mm256_unpackhi_epi16(t1, t3);
            // q0 = columns 0-3 | 16-19, q1 = 4-7 | 20-23, q2 = 8-11 | 24-27, q3 = 12-15 | 28-31.
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_permute2x128_si256(q0, q1, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 32), _mm256_permute2x128_si256(q2, q3, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 64), _mm256_permute2x128_si256(q0, q1, 0x31));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 96), _mm256_permute2x128_si256(q2, q3, 0x31));
        }
    }
}

inline __mmask16 mask16(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }

// One strip: 8 rows x 32 columns (two vectors), or x 16 when at most 16 columns remain. The
// accumulators are named variables: with an array GCC shuffles them through extra registers on
// every step (twice the instructions of the loop below, measured).
#define PERCEPT_ROW2(r)                                                       \
    {                                                                         \
        const __m512i w = _mm512_set1_epi32(quad(a + (r) * kGroup));          \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, w);                        \
        c##r##1 = _mm512_dpbusd_epi32(c##r##1, b1, w);                        \
    }
#define PERCEPT_ROW1(r) c##r##0 = _mm512_dpbusd_epi32(c##r##0, b0, _mm512_set1_epi32(quad(a + (r) * kGroup)));

void strip2(const int8_t* a, const uint8_t* b, int64_t groups, int64_t cols, int32_t* c, int64_t ldc) {
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    __m512i c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    for (int64_t g = 0; g < groups; ++g, a += kMr * kGroup, b += kNr * kGroup) {
        const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
        PERCEPT_ROW2(0) PERCEPT_ROW2(1) PERCEPT_ROW2(2) PERCEPT_ROW2(3) PERCEPT_ROW2(4) PERCEPT_ROW2(5) PERCEPT_ROW2(6) PERCEPT_ROW2(7)
    }
    const __m512i acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
    for (int r = 0; r < kMr; ++r)
        for (int v = 0; v < 2; ++v) _mm512_mask_storeu_epi32(c + r * ldc + 16 * v, mask16(cols - 16 * v), acc[r][v]);
}

void strip1(const int8_t* a, const uint8_t* b, int64_t groups, int64_t cols, int32_t* c, int64_t ldc) {
    __m512i c00 = _mm512_setzero_si512(), c10 = c00, c20 = c00, c30 = c00, c40 = c00, c50 = c00, c60 = c00, c70 = c00;
    for (int64_t g = 0; g < groups; ++g, a += kMr * kGroup, b += kNr * kGroup) {
        const __m512i b0 = _mm512_loadu_si512(b);
        PERCEPT_ROW1(0) PERCEPT_ROW1(1) PERCEPT_ROW1(2) PERCEPT_ROW1(3) PERCEPT_ROW1(4) PERCEPT_ROW1(5) PERCEPT_ROW1(6) PERCEPT_ROW1(7)
    }
    const __m512i acc[kMr] = {c00, c10, c20, c30, c40, c50, c60, c70};
    for (int r = 0; r < kMr; ++r) _mm512_mask_storeu_epi32(c + r * ldc, mask16(cols), acc[r]);
}
#undef PERCEPT_ROW2
#undef PERCEPT_ROW1

void kernel(const void* aPanel, const void* bPacked, int64_t K, int64_t n, int32_t* c, int64_t ldc) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPanel);
    const uint8_t* b = static_cast<const uint8_t*>(bPacked);
    for (int64_t j0 = 0; j0 < n; j0 += kNr, b += groups * kNr * kGroup) {
        const int64_t cols = n - j0;
        if (cols > 16) strip2(a, b, groups, cols, c + j0, ldc);
        else strip1(a, b, groups, cols, c + j0, ldc);
    }
}

// x packed by packB with n = 1: group g's 4 bytes at g * 128.
void gemv(const void* aPacked, const void* xPacked, int64_t M, int64_t K, int32_t* y) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPacked);
    const uint8_t* x = static_cast<const uint8_t*>(xPacked);
    for (int64_t m0 = 0; m0 < M; m0 += kGemvRows, a += groups * kGemvRows * kGroup) {
        // Two chains, so consecutive vpdpbusd do not wait on each other.
        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
        int64_t g = 0;
        for (; g + 1 < groups; g += 2) {
            s0 = _mm512_dpbusd_epi32(s0, _mm512_set1_epi32(quad(reinterpret_cast<const int8_t*>(x + g * kNr * kGroup))), _mm512_loadu_si512(a + g * 64));
            s1 = _mm512_dpbusd_epi32(s1, _mm512_set1_epi32(quad(reinterpret_cast<const int8_t*>(x + (g + 1) * kNr * kGroup))),
                                     _mm512_loadu_si512(a + (g + 1) * 64));
        }
        if (g < groups) s0 = _mm512_dpbusd_epi32(s0, _mm512_set1_epi32(quad(reinterpret_cast<const int8_t*>(x + g * kNr * kGroup))), _mm512_loadu_si512(a + g * 64));
        _mm512_storeu_si512(y + m0, _mm512_add_epi32(s0, s1));
    }
}

void requantRow(const int32_t* acc, int64_t n, float scale, float offset, int32_t zp, int32_t lo, int32_t hi, uint8_t* q) {
    const __m512 s = _mm512_set1_ps(scale), o = _mm512_set1_ps(offset);
    // Clamped before the zero point is added, as clampSteps does, and in floats (the bounds are
    // exact integers, so rounding after clamping gives the same codes); NaN gives lo (max takes
    // the 2nd operand).
    const __m512 l = _mm512_set1_ps(static_cast<float>(lo - zp)), h = _mm512_set1_ps(static_cast<float>(hi - zp));
    const __m512i z = _mm512_set1_epi32(zp);
    const auto codes = [&](__m512i a) { return _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(_mm512_fmadd_ps(_mm512_cvtepi32_ps(a), s, o), l), h)), z); };
    int64_t j = 0;
    // 64 at a time narrowed by two packs (in range already, so no saturation happens; the type's
    // pack keeps the bits) and one permutation: the packs interleave the 4 vectors' 128-bit lanes.
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (; j + 64 <= n; j += 64) {
        const __m512i w0 = _mm512_packs_epi32(codes(_mm512_loadu_si512(acc + j)), codes(_mm512_loadu_si512(acc + j + 16)));
        const __m512i w1 = _mm512_packs_epi32(codes(_mm512_loadu_si512(acc + j + 32)), codes(_mm512_loadu_si512(acc + j + 48)));
        const __m512i b = lo < 0 ? _mm512_packs_epi16(w0, w1) : _mm512_packus_epi16(w0, w1);
        _mm512_storeu_si512(q + j, _mm512_permutexvar_epi32(order, b));
    }
    for (; j < n; j += 16) {
        const __mmask16 m = mask16(n - j);
        _mm_mask_storeu_epi8(q + j, m, _mm512_cvtepi32_epi8(codes(_mm512_maskz_loadu_epi32(m, acc + j))));
    }
}

// Depthwise 3x3 stride 1, 64 outputs of a row at a time. Per window row ky the three shifted
// rows (x[j], x[j+1], x[j+2]) are interleaved into groups of 4 bytes (the 4th zero) so that one
// vpdpbusd adds that row's three taps; the interleaving works inside 128-bit lanes, so
// accumulator i holds, in lane L, the outputs 16 L + 4 i + (0..3), put back in order by a 4 x 4
// transpose of lanes at the end. Weights with a zero point also sum the windows (taps of 1).
void depthwise3x3s1(const uint8_t* x, int64_t ld, int64_t OH, int64_t OW, uint8_t flip, const int8_t* w, int32_t wZero, int32_t* acc) {
    const __m512i f = _mm512_set1_epi8(static_cast<char>(flip)), zero = _mm512_setzero_si512();
    __m512i taps[3];
    for (int ky = 0; ky < 3; ++ky) {
        int32_t q = 0;
        std::memcpy(&q, w + 3 * ky, 3);  // the 4th byte stays 0
        taps[ky] = _mm512_set1_epi32(q);
    }
    const __m512i ones = _mm512_set1_epi32(0x00010101);
    for (int64_t oy = 0; oy < OH; ++oy) {
        int32_t* out = acc + oy * OW;
        for (int64_t ox = 0; ox < OW; ox += 64) {
            __m512i s[4] = {zero, zero, zero, zero}, sx[4] = {zero, zero, zero, zero};
            for (int ky = 0; ky < 3; ++ky) {
                const uint8_t* r = x + (oy + ky) * ld + ox;
                const __m512i a = _mm512_xor_si512(_mm512_loadu_si512(r), f), b = _mm512_xor_si512(_mm512_loadu_si512(r + 1), f);
                const __m512i c = _mm512_xor_si512(_mm512_loadu_si512(r + 2), f);
                const __m512i t0 = _mm512_unpacklo_epi8(a, b), t1 = _mm512_unpackhi_epi8(a, b);
                const __m512i t2 = _mm512_unpacklo_epi8(c, zero), t3 = _mm512_unpackhi_epi8(c, zero);
                const __m512i q[4] = {_mm512_unpacklo_epi16(t0, t2), _mm512_unpackhi_epi16(t0, t2), _mm512_unpacklo_epi16(t1, t3), _mm512_unpackhi_epi16(t1, t3)};
                for (int i = 0; i < 4; ++i) {
                    s[i] = _mm512_dpbusd_epi32(s[i], q[i], taps[ky]);
                    if (wZero) sx[i] = _mm512_dpbusd_epi32(sx[i], q[i], ones);
                }
            }
            if (wZero)
                for (int i = 0; i < 4; ++i) s[i] = _mm512_sub_epi32(s[i], _mm512_mullo_epi32(sx[i], _mm512_set1_epi32(wZero)));
            // Lane L of s[i] holds outputs 16 L + 4 i + (0..3): transpose the 4 x 4 lanes.
            const __m512i u0 = _mm512_shuffle_i64x2(s[0], s[1], 0x44), u1 = _mm512_shuffle_i64x2(s[0], s[1], 0xEE);
            const __m512i u2 = _mm512_shuffle_i64x2(s[2], s[3], 0x44), u3 = _mm512_shuffle_i64x2(s[2], s[3], 0xEE);
            const __m512i o[4] = {_mm512_shuffle_i64x2(u0, u2, 0x88), _mm512_shuffle_i64x2(u0, u2, 0xDD), _mm512_shuffle_i64x2(u1, u3, 0x88),
                                  _mm512_shuffle_i64x2(u1, u3, 0xDD)};
            for (int k = 0; k < 4; ++k) _mm512_mask_storeu_epi32(out + ox + 16 * k, mask16(OW - ox - 16 * k), o[k]);
        }
    }
}

// Depthwise 3x3 stride 2, 16 outputs of a row at a time. The 32 bytes under 16 outputs' windows
// widen to 16-bit values, pairs (x[2j], x[2j+1]); one vpdpwssd with the taps (w0, w1) adds each
// output's first two products into its int32 lane, and the pairs 2 bytes on, (x[2j+2], x[2j+3]),
// times (w2, 0) the third. The 16-bit taps hold w - wZero exactly, so no window sums are needed.
void depthwise3x3s2(const uint8_t* x, int64_t ld, int64_t OH, int64_t OW, uint8_t flip, const int8_t* w, int32_t wZero, int32_t* acc) {
    const __m256i f = _mm256_set1_epi8(static_cast<char>(flip));
    int32_t pairTaps[3], lastTaps[3];
    depthwiseS2Taps(w, wZero, pairTaps, lastTaps);
    __m512i pair[3], last[3];
    for (int ky = 0; ky < 3; ++ky) pair[ky] = _mm512_set1_epi32(pairTaps[ky]), last[ky] = _mm512_set1_epi32(lastTaps[ky]);
    for (int64_t oy = 0; oy < OH; ++oy) {
        int32_t* out = acc + oy * OW;
        for (int64_t ox = 0; ox < OW; ox += 16) {
            __m512i s = _mm512_setzero_si512(), t = _mm512_setzero_si512();
            for (int ky = 0; ky < 3; ++ky) {
                const uint8_t* r = x + (2 * oy + ky) * ld + 2 * ox;
                const __m512i a = _mm512_cvtepu8_epi16(_mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r)), f));
                const __m512i b = _mm512_cvtepu8_epi16(_mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(r + 2)), f));
                s = _mm512_dpwssd_epi32(s, a, pair[ky]);
                t = _mm512_dpwssd_epi32(t, b, last[ky]);
            }
            _mm512_mask_storeu_epi32(out + ox, mask16(OW - ox), _mm512_add_epi32(s, t));
        }
    }
}

}  // namespace

const Int8Kernels kInt8Vnni = {"vnni",   kMr,         kNr,        kGroup,       1,         &packPanels<kMr, kGroup, int8_t>,
                               &packB,   &kernel,     &packPanels<kGemvRows, kGroup, int8_t>,  &gemv,        kGemvRows, &requantRow,
                               &avx2::max3s2, &avx2::quantizeRow, &avx2::addRow, &avx2::columnSums, &avx2::zeroTerms, &avx2::toOffsets,
                               &depthwise3x3s1, &depthwise3x3s2};

}  // namespace percept::cpu::avx512

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
