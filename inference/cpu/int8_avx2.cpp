// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the int8 GEMM with AVX2, for CPUs without AVX-512 VNNI (and the avx2 and
// avx512 levels there). Its dot product is `vpmaddwd` on 16-bit operands -- 8 lanes, each the
// sum of 2 products -- so A and B are widened when they are packed (exact: `vpmaddubsw` on the
// bytes would saturate its 16-bit pair sums).
//
// Layout (cpu/int8_kernels.h, elemBytes 2): A panels of 6 rows, [K/2][6][2] int16; B strips of
// 16 columns, [K/2][16][2] int16. The micro-kernel holds a 6 x 16 int32 tile in 12 registers.
// The matrix-vector product runs on panels of 8 rows, [K/2][8][2]: one vector per pair.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/int8_kernels.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace percept::cpu::avx2 {
namespace {

constexpr int kMr = 6, kNr = 16, kGroup = 2, kGemvRows = 8;

// 16 bytes of a row (zero past column n, or the whole row past K), flipped.
inline __m128i loadRow(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t k, int64_t K, int64_t j0, int64_t cols, __m128i flip) {
    if (k >= K) return _mm_setzero_si128();
    const uint8_t* row = rowOf(b, rows, ldb, k) + j0;
    if (cols >= 16) return _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row)), flip);
    alignas(16) uint8_t t[16] = {};
    std::memcpy(t, row, static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) t[j] ^= static_cast<uint8_t>(_mm_cvtsi128_si32(flip));
    return _mm_load_si128(reinterpret_cast<const __m128i*>(t));
}

void packB(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) {
    const int64_t pairs = (K + kGroup - 1) / kGroup;
    const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
    int16_t* d = static_cast<int16_t*>(dst);
    for (int64_t j0 = 0; j0 < n; j0 += kNr) {
        const int64_t cols = n - j0 < kNr ? n - j0 : kNr;
        for (int64_t g = 0; g < pairs; ++g, d += kNr * kGroup) {
            const __m128i r0 = loadRow(b, rows, ldb, 2 * g, K, j0, cols, f), r1 = loadRow(b, rows, ldb, 2 * g + 1, K, j0, cols, f);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(r0, r1)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 16), _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(r0, r1)));
        }
    }
}

inline int32_t pair(const int16_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline void storeCols(int32_t* c, __m256i v, int64_t cols) {
    if (cols >= 8) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), v);
    } else if (cols > 0) {
        alignas(32) int32_t t[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
        std::memcpy(c, t, static_cast<size_t>(cols) * sizeof(int32_t));
    }
}

void kernel(const void* aPanel, const void* bPacked, int64_t K, int64_t n, int32_t* c, int64_t ldc) {
    const int64_t pairs = (K + kGroup - 1) / kGroup;
    const int16_t* b = static_cast<const int16_t*>(bPacked);
    for (int64_t j0 = 0; j0 < n; j0 += kNr, b += pairs * kNr * kGroup) {
        const int16_t* a = static_cast<const int16_t*>(aPanel);
        __m256i acc[kMr][2];
        for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
        const int16_t* bp = b;
        for (int64_t g = 0; g < pairs; ++g, a += kMr * kGroup, bp += kNr * kGroup) {
            const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp));
            const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 16));
            for (int r = 0; r < kMr; ++r) {
                const __m256i w = _mm256_set1_epi32(pair(a + r * kGroup));
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(b0, w));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(b1, w));
            }
        }
        const int64_t cols = n - j0;
        for (int r = 0; r < kMr; ++r) {
            storeCols(c + r * ldc + j0, acc[r][0], cols);
            storeCols(c + r * ldc + j0 + 8, acc[r][1], cols - 8);
        }
    }
}

// x packed by packB with n = 1: pair g at g * 32 int16.
void gemv(const void* aPacked, const void* xPacked, int64_t M, int64_t K, int32_t* y) {
    const int64_t pairs = (K + kGroup - 1) / kGroup;
    const int16_t* a = static_cast<const int16_t*>(aPacked);
    const int16_t* x = static_cast<const int16_t*>(xPacked);
    for (int64_t m0 = 0; m0 < M; m0 += kGemvRows, a += pairs * kGemvRows * kGroup) {
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
        int64_t g = 0;
        for (; g + 1 < pairs; g += 2) {
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + g * 16)), _mm256_set1_epi32(pair(x + g * 32))));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + (g + 1) * 16)),
                                                        _mm256_set1_epi32(pair(x + (g + 1) * 32))));
        }
        if (g < pairs) s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + g * 16)), _mm256_set1_epi32(pair(x + g * 32))));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + m0), _mm256_add_epi32(s0, s1));
    }
}

void requantRow(const int32_t* acc, int64_t n, float scale, float offset, int32_t zp, int32_t lo, int32_t hi, uint8_t* q) {
    const __m256 s = _mm256_set1_ps(scale), o = _mm256_set1_ps(offset), vmin = _mm256_set1_ps(-1e9f), vmax = _mm256_set1_ps(1e9f);
    // Clamped before the zero point is added, as clampSteps does (NaN gives lo: max takes the 2nd).
    const __m256i z = _mm256_set1_epi32(zp), l = _mm256_set1_epi32(lo - zp), h = _mm256_set1_epi32(hi - zp);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + j))), s, o);
        v = _mm256_min_ps(_mm256_max_ps(v, vmin), vmax);
        const __m256i i = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(v), l), h), z);
        // Values are in [lo, hi], inside int8 or uint8: pack with that type's saturation (none happens).
        const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(q + j), lo < 0 ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
    }
    for (; j < n; ++j) q[j] = static_cast<uint8_t>(clampSteps(std::nearbyint(static_cast<float>(acc[j]) * scale + offset) + static_cast<float>(zp), lo, hi));
}

// 8 lanes of v (output steps, before the zero point) rounded, clamped and stored as bytes; NaN
// and values past +-1e9 come out as lo or hi (as clampSteps).
inline void storeSteps(__m256 v, __m256i z, __m256i l, __m256i h, bool signedOut, uint8_t* q) {
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-1e9f)), _mm256_set1_ps(1e9f));  // NaN -> -1e9 (max takes the 2nd)
    const __m256i i = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(v), l), h), z);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q), signedOut ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w));
}

}  // namespace

// 16 outputs a step: the row at 2j and at 2j + 2, each split into its even and odd bytes.
void max3s2(const uint8_t* t, uint8_t* y, int64_t n) {
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    int64_t j = 0;
    for (; j + 17 <= n; j += 16) {  // reads t[2j .. 2j + 33], inside t[0 .. 2n]
        const __m256i u = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(t + 2 * j)), split), 0xD8);
        const __m256i w = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(t + 2 * j + 2)), split), 0xD8);
        // u: t[2j + 2k] in the low half, t[2j + 2k + 1] in the high one; w's low half: t[2j + 2k + 2].
        const __m128i m = _mm_max_epu8(_mm_max_epu8(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1)), _mm256_castsi256_si128(w));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(y + j), m);
    }
    for (; j < n; ++j) y[j] = std::max(std::max(t[2 * j], t[2 * j + 1]), t[2 * j + 2]);
}

void quantizeRow(const float* x, uint8_t* q, int64_t n, float scale, int32_t zero, int32_t lo, int32_t hi) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i z = _mm256_set1_epi32(zero), l = _mm256_set1_epi32(lo - zero), h = _mm256_set1_epi32(hi - zero);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
        v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));  // NaN -> 0: the zero point
        storeSteps(v, z, l, h, lo < 0, q + i);
    }
    for (; i < n; ++i) {
        const float v = std::nearbyint(x[i] / scale);
        q[i] = static_cast<uint8_t>(clampSteps((v == v ? v : 0.0f) + static_cast<float>(zero), lo, hi));
    }
}

void addRow(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t flipA, uint8_t flipB, float ca, float cb, float c0, int32_t zp, int32_t lo,
            int32_t hi, uint8_t* y) {
    const __m256 va = _mm256_set1_ps(ca), vb = _mm256_set1_ps(cb), v0 = _mm256_set1_ps(c0);
    const __m128i fa = _mm_set1_epi8(static_cast<char>(flipA)), fb = _mm_set1_epi8(static_cast<char>(flipB));
    const __m256i z = _mm256_set1_epi32(zp), l = _mm256_set1_epi32(lo - zp), h = _mm256_set1_epi32(hi - zp);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 xa = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + i)), fa)));
        const __m256 xb = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + i)), fb)));
        storeSteps(_mm256_fmadd_ps(xa, va, _mm256_fmadd_ps(xb, vb, v0)), z, l, h, lo < 0, y + i);
    }
    for (; i < n; ++i) {
        const float v = static_cast<float>(a[i] ^ flipA) * ca + (static_cast<float>(b[i] ^ flipB) * cb + c0);
        y[i] = static_cast<uint8_t>(clampSteps(std::nearbyint(v) + static_cast<float>(zp), lo, hi));
    }
}

// 32 columns a step: each row's bytes widened to 32-bit lanes and added.
void columnSums(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, int32_t* sums) {
    const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
        for (int64_t k = 0; k < K; ++k) {
            const __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rowOf(b, rows, ldb, k) + j)), f);
            s0 = _mm256_add_epi32(s0, _mm256_cvtepu8_epi32(v));
            s1 = _mm256_add_epi32(s1, _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(v, v)));
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + j), s0);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + j + 8), s1);
    }
    for (; j < n; ++j) {
        int32_t s = 0;
        for (int64_t k = 0; k < K; ++k) s += static_cast<uint8_t>(rowOf(b, rows, ldb, k)[j] ^ flip);
        sums[j] = s;
    }
}

void zeroTerms(int32_t* c, int64_t ldc, const int32_t* zero, int64_t rows, const int32_t* sums, int64_t n) {
    for (int64_t r = 0; r < rows; ++r) {
        if (!zero[r]) continue;
        const __m256i z = _mm256_set1_epi32(zero[r]);
        int32_t* row = c + r * ldc;
        int64_t j = 0;
        for (; j + 8 <= n; j += 8) {
            const __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + j));
            __m256i* p = reinterpret_cast<__m256i*>(row + j);
            _mm256_storeu_si256(p, _mm256_sub_epi32(_mm256_loadu_si256(p), _mm256_mullo_epi32(z, s)));
        }
        for (; j < n; ++j) row[j] -= zero[r] * sums[j];
    }
}

void toOffsets(const uint8_t* x, float* y, int64_t n, uint8_t flip, float zero) {
    const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
    const __m256 z = _mm256_set1_ps(zero);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i v = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i)), f);
        _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)), z));
    }
    for (; i < n; ++i) y[i] = static_cast<float>(static_cast<uint8_t>(x[i] ^ flip)) - zero;
}

// Depthwise 3x3 stride 2, 8 outputs of a row at a time: the AVX-512 level's scheme
// (int8_vnni.cpp) on 16 bytes widened to 16-bit pairs, vpmaddwd and an add in place of vpdpwssd.
void depthwise3x3s2(const uint8_t* x, int64_t ld, int64_t OH, int64_t OW, uint8_t flip, const int8_t* w, int32_t wZero, int32_t* acc) {
    const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
    int32_t pairTaps[3], lastTaps[3];
    depthwiseS2Taps(w, wZero, pairTaps, lastTaps);
    __m256i pair[3], last[3];
    for (int ky = 0; ky < 3; ++ky) pair[ky] = _mm256_set1_epi32(pairTaps[ky]), last[ky] = _mm256_set1_epi32(lastTaps[ky]);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t oy = 0; oy < OH; ++oy) {
        int32_t* out = acc + oy * OW;
        for (int64_t ox = 0; ox < OW; ox += 8) {
            __m256i s = _mm256_setzero_si256();
            for (int ky = 0; ky < 3; ++ky) {
                const uint8_t* r = x + (2 * oy + ky) * ld + 2 * ox;
                const __m256i a = _mm256_cvtepu8_epi16(_mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r)), f));
                const __m256i b = _mm256_cvtepu8_epi16(_mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + 2)), f));
                s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_madd_epi16(a, pair[ky]), _mm256_madd_epi16(b, last[ky])));
            }
            if (OW - ox >= 8) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ox), s);
            else _mm256_maskstore_epi32(out + ox, _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(OW - ox)), lane), s);
        }
    }
}

const Int8Kernels kInt8Kernels = {"avx2",        kMr,          kNr,          kGroup,         2,         &packPanels<kMr, kGroup, int16_t>,
                                  &packB,        &kernel,      &packPanels<kGemvRows, kGroup, int16_t>, &gemv, kGemvRows, &requantRow,
                                  &max3s2,       &quantizeRow, &addRow,      &columnSums,    &zeroTerms, &toOffsets,
                                  nullptr,       &depthwise3x3s2};

}  // namespace percept::cpu::avx2

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
