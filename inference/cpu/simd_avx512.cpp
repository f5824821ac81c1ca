// SPDX-License-Identifier: Apache-2.0
// AVX-512 variants of the hot kernels (see simd_kernels.inc), compiled for AVX-512 through a
// GCC target region so the rest of the engine stays baseline x86-64; used only when the
// session picked this level (cpu/isa.h).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu/isa.h"
#include "cpu/op_util.h"

// GCC takes a target region; clang ignores it and takes an attribute applied to every function.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")
#endif
// GCC 12 flags _mm512_undefined_ps() inside _mm512_max_ps/_mm512_min_ps as maybe-uninitialized
// (and, where more of them are inlined into one function, as uninitialized).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace percept::cpu::avx512 {
namespace {
using V = __m512;
constexpr int VW = 16;
constexpr int MR = 14;
inline V vzero() { return _mm512_setzero_ps(); }
inline V vset1(float x) { return _mm512_set1_ps(x); }
inline V vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm512_storeu_ps(p, v); }
inline V vfma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
inline V vmax(V a, V b) { return _mm512_max_ps(a, b); }
inline V vmin(V a, V b) { return _mm512_min_ps(a, b); }
// For the vector functions (simd_activation.inc): lane masks, selects and exponent scaling.
using M = __mmask16;
inline V vabs(V a) { return _mm512_abs_ps(a); }
inline V vcopysign(V mag, V sgn) {
    const V s = _mm512_set1_ps(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(s, mag), _mm512_and_ps(s, sgn));
}
inline M vlt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
inline V vselect(M m, V t, V f) { return _mm512_mask_blend_ps(m, f, t); }
inline V vround(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// p * 2^n for integer-valued n: scalef rounds once, into subnormals or inf as needed.
inline V vscale2(V p, V n) { return _mm512_scalef_ps(p, n); }
inline float vhsum(V a) { return _mm512_reduce_add_ps(a); }
inline __mmask16 maskN(int n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }
inline V vloadn(const float* p, int n) { return _mm512_maskz_loadu_ps(maskN(n), p); }
// vloadRange in two steps, for loops that load many rows at the same offsets (dwPadPlane, the
// stride-2 depthwise kernel): the mask of lanes i with 0 <= start + i < W, then the load under
// it (masked-off lanes are not read, so start may lie before the row or run past its end).
inline __mmask16 rangeMask(int64_t start, int64_t W) {
    const int64_t lo = start < 0 ? -start : 0, hi = W - start < 16 ? W - start : 16;
    if (hi <= lo) return 0;
    return static_cast<__mmask16>(maskN(static_cast<int>(hi)) & ~maskN(static_cast<int>(lo)));
}
inline V vloadMasked(const float* row, int64_t start, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(row) + static_cast<uintptr_t>(start * 4)));
}
// Lanes i = row[start + i] where 0 <= start + i < W, zero elsewhere.
inline V vloadRange(const float* row, int64_t start, int64_t W) { return vloadMasked(row, start, rangeMask(start, W)); }
inline void vstoren(float* p, V v, int n) { _mm512_mask_storeu_ps(p, maskN(n), v); }
// CPU speed: s0[t] = (a, b)[2t], s1[t] = (a, b)[2t + 1] for the 32 floats a, b (deint2 on
// registers; simd_depthwise.inc).
inline void deint2r(V a, V b, V& s0, V& s1) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    s0 = _mm512_permutex2var_ps(a, even, b);
    s1 = _mm512_permutex2var_ps(a, odd, b);
}
// Lanes S .. S + 15 of the 32 floats lo, hi (one shuffle; simd_depthwise.inc).
template <int S>
inline V valign(V lo, V hi) {
    if constexpr (S == 0) return lo;
    else return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), S));
}
// Lanes j < cnt: ev = p[2j], od = p[2j+1], ev2 = p[2j+2]; reads nothing past p[2cnt].
inline void stride2Load(const float* p, int cnt, V& ev, V& od, V& ev2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const int n1 = 2 * cnt, n2 = 2 * cnt - 1;
    const V a = _mm512_maskz_loadu_ps(maskN(n1), p), b = _mm512_maskz_loadu_ps(maskN(n1 - 16), p + 16);
    ev = _mm512_permutex2var_ps(a, even, b);
    od = _mm512_permutex2var_ps(a, odd, b);
    const V a2 = _mm512_maskz_loadu_ps(maskN(n2), p + 2), b2 = _mm512_maskz_loadu_ps(maskN(n2 - 16), p + 18);
    ev2 = _mm512_permutex2var_ps(a2, even, b2);
}
// Lane j = p[2j] for j < 16 (reads p[0..32)).
inline V evenLanes(const float* p) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(vload(p), even, vload(p + 16));
}
// s0[t] = p[2t], s1[t] = p[2t + 1] for t < 16 (reads p[0..32)).
inline void deint2(const float* p, V& s0, V& s1) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const V a = vload(p), b = vload(p + 16);
    s0 = _mm512_permutex2var_ps(a, even, b);
    s1 = _mm512_permutex2var_ps(a, odd, b);
}
// The inverse: z[j] holds p[16j .. 16j+16) of p[2t] = s0[t], p[2t + 1] = s1[t] for t < 16.
inline void int2v(V s0, V s1, V z[2]) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    z[0] = _mm512_permutex2var_ps(s0, lo, s1);
    z[1] = _mm512_permutex2var_ps(s0, hi, s1);
}
inline void int2(V s0, V s1, float* p) {
    V z[2];
    int2v(s0, s1, z);
    vstore(p, z[0]);
    vstore(p + 16, z[1]);
}
// s_k[t] = p[4t + k] for t < 16 (reads p[0..64)): two rounds of two-source permutes.
inline void deint4(const float* p, V& s0, V& s1, V& s2, V& s3) {
    const V z0 = vload(p), z1 = vload(p + 16), z2 = vload(p + 32), z3 = vload(p + 48);
    // Pairs (k, k+1) of 8 tiles: lane l holds tile l/2, element k + l%2.
    const __m512i pair01 = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
    const __m512i pair23 = _mm512_setr_epi32(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
    const V a01 = _mm512_permutex2var_ps(z0, pair01, z1), a23 = _mm512_permutex2var_ps(z0, pair23, z1);
    const V b01 = _mm512_permutex2var_ps(z2, pair01, z3), b23 = _mm512_permutex2var_ps(z2, pair23, z3);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    s0 = _mm512_permutex2var_ps(a01, even, b01);
    s1 = _mm512_permutex2var_ps(a01, odd, b01);
    s2 = _mm512_permutex2var_ps(a23, even, b23);
    s3 = _mm512_permutex2var_ps(a23, odd, b23);
}
// The inverse: z[j] holds p[16j .. 16j+16) of p[4t + k] = s_k[t] for t < 16.
inline void int4v(V s0, V s1, V s2, V s3, V z[4]) {
    // Interleave pairs: lane l of lo = s0/s1 of tile l/2 (tiles 0..7), hi = tiles 8..15.
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const V a01 = _mm512_permutex2var_ps(s0, lo, s1), a01h = _mm512_permutex2var_ps(s0, hi, s1);
    const V a23 = _mm512_permutex2var_ps(s2, lo, s3), a23h = _mm512_permutex2var_ps(s2, hi, s3);
    // Lane l: tile l/4 (+4 for the second), element l%4 from the (k, k+1) pairs.
    const __m512i q0 = _mm512_setr_epi32(0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
    const __m512i q1 = _mm512_setr_epi32(8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
    z[0] = _mm512_permutex2var_ps(a01, q0, a23);
    z[1] = _mm512_permutex2var_ps(a01, q1, a23);
    z[2] = _mm512_permutex2var_ps(a01h, q0, a23h);
    z[3] = _mm512_permutex2var_ps(a01h, q1, a23h);
}
inline void int4(V s0, V s1, V s2, V s3, float* p) {
    V z[4];
    int4v(s0, s1, s2, s3, z);
    for (int k = 0; k < 4; ++k) vstore(p + 16 * k, z[k]);
}
// 64-bit pairs of a and b, interleaved per 128-bit lane (vtranspose's second step).
inline V unpackLo64(V a, V b) { return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); }
inline V unpackHi64(V a, V b) { return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b))); }
// r[i][j] -> r[j][i] over the 16 x 16 block (simd_depthwise.inc's channels-in-lanes kernel):
// pairs, then quads, within each 128-bit lane, then the lanes.
inline void vtranspose(V r[16]) {
    V t[16], u[16], v[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4i + k], 128-bit lane L: column 4L + k of rows 4i .. 4i + 3.
    for (int i = 0; i < 4; ++i) {
        u[4 * i] = unpackLo64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 1] = unpackHi64(t[4 * i], t[4 * i + 2]);
        u[4 * i + 2] = unpackLo64(t[4 * i + 1], t[4 * i + 3]);
        u[4 * i + 3] = unpackHi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int k = 0; k < 4; ++k) {
        v[k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88);  // lanes 0, 2 of each
        v[4 + k] = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xdd);  // lanes 1, 3
        v[8 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88);
        v[12 + k] = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xdd);
    }
    for (int k = 0; k < 4; ++k) {
        r[k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(v[k], v[8 + k], 0xdd);
        r[4 + k] = _mm512_shuffle_f32x4(v[4 + k], v[12 + k], 0x88);
        r[12 + k] = _mm512_shuffle_f32x4(v[4 + k], v[12 + k], 0xdd);
    }
}
}  // namespace
#define PERCEPT_SIMD_MASKED 1
#include "cpu/simd_activation.inc"
#include "cpu/simd_kernels.inc"
#include "cpu/simd_depthwise.inc"
#include "cpu/simd_groupconv.inc"
#include "cpu/simd_winograd.inc"
constexpr Isa kIsa = Isa::Avx512;
// The widest output plane the channels-in-lanes depthwise kernel takes at this level: measured
// per layer (Zen 5) against the per-plane kernel, it is 40 % faster on 7x7, 27 % on 10x10, 45 %
// on 5x5 and 10-17 % on 14x14, whose rows fill 14 of 16 lanes (MobileNetV2's 3x3 + Clip,
// MobileNetV3's + HardSwish, EfficientNet-B0's 3x3 and 5x5 + SiLU); on 28x28 (isa.h's pixel
// limit raised to try it) it was 20 % slower on MobileNetV2's 3x3. On an Intel Xeon VM (Dec
// 2026), against the per-plane kernel with its in-place stride-2 path, 14x14 was slower:
// MobileNetV2's 3x3 at stride 1 44-68 us against 47-81, at stride 2 (28x28 in) 28 against 57;
// whole models, 5 interleaved rounds at 10 against 14: MobileNetV2 1 / 2 threads 6.60 / 4.09
// against 6.71 / 4.17 ms, MobileNetV3-L 2 threads 3.25 against 3.34, MobileNetV3-S 1.21
// against 1.26, the others level. 10 is the one measured on both.
constexpr int64_t kDepthwiseLanesMaxWidth = 10;
#include "cpu/simd_table.inc"
#undef PERCEPT_SIMD_MASKED
}  // namespace percept::cpu::avx512

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
