// int8 (INT8.md): the int8 GEMM with AVX2, for CPUs without AVX-512 VNNI (and the avx2 and
// avx512 levels there). Its dot product is `vpmaddwd` on 16-bit operands -- 8 lanes, each the
// sum of 2 products -- so A and B are widened when they are packed (exact: `vpmaddubsw` on the
// bytes would saturate its 16-bit pair sums).
//
// Layout (cpu/int8_gemm.h, elemBytes 2): A panels of 6 rows, [K/2][6][2] int16; B strips of
// 16 columns, [K/2][16][2] int16. The micro-kernel holds a 6 x 16 int32 tile in 12 registers.
// The matrix-vector product runs on panels of 8 rows, [K/2][8][2]: one vector per pair.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "cpu/int8_gemm.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace percept::cpu::avx2 {
namespace {

constexpr int kMr = 6, kNr = 16, kGroup = 2, kGemvRows = 8;

template <int Rows>
void packRows(const int8_t* a, int64_t lda, int64_t M, int64_t K, void* dst) {
    const int64_t Kp = (K + kGroup - 1) / kGroup * kGroup;
    int16_t* d = static_cast<int16_t*>(dst);
    for (int64_t m0 = 0; m0 < M; m0 += Rows)
        for (int64_t k0 = 0; k0 < Kp; k0 += kGroup)
            for (int64_t r = 0; r < Rows; ++r)
                for (int64_t i = 0; i < kGroup; ++i) *d++ = m0 + r < M && k0 + i < K ? a[(m0 + r) * lda + k0 + i] : 0;
}

// 16 bytes of a row (zero past column n, or the whole row past K), flipped.
inline __m128i loadRow(const uint8_t* b, int64_t ldb, int64_t k, int64_t K, int64_t j0, int64_t cols, __m128i flip) {
    if (k >= K) return _mm_setzero_si128();
    if (cols >= 16) return _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + k * ldb + j0)), flip);
    alignas(16) uint8_t t[16] = {};
    std::memcpy(t, b + k * ldb + j0, static_cast<size_t>(cols));
    for (int64_t j = 0; j < cols; ++j) t[j] ^= static_cast<uint8_t>(_mm_cvtsi128_si32(flip));
    return _mm_load_si128(reinterpret_cast<const __m128i*>(t));
}

void packB(const uint8_t* b, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) {
    const int64_t pairs = (K + kGroup - 1) / kGroup;
    const __m128i f = _mm_set1_epi8(static_cast<char>(flip));
    int16_t* d = static_cast<int16_t*>(dst);
    for (int64_t j0 = 0; j0 < n; j0 += kNr) {
        const int64_t cols = n - j0 < kNr ? n - j0 : kNr;
        for (int64_t g = 0; g < pairs; ++g, d += kNr * kGroup) {
            const __m128i r0 = loadRow(b, ldb, 2 * g, K, j0, cols, f), r1 = loadRow(b, ldb, 2 * g + 1, K, j0, cols, f);
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

}  // namespace

const Int8Gemm kInt8Gemm = {"avx2", kMr, kNr, kGroup, 2, &packRows<kMr>, &packB, &kernel, &packRows<kGemvRows>, &gemv, kGemvRows, &requantRow};

}  // namespace percept::cpu::avx2

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
