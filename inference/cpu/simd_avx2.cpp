// SPDX-License-Identifier: Apache-2.0
// AVX2+FMA variants of the hot kernels (see simd_kernels.inc), compiled through a GCC target
// region; used when the CPU has AVX2 and FMA but not AVX-512 (or PERCEPT_CPU_ISA=avx2).
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
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace percept::cpu::avx2 {
namespace {
using V = __m256;
constexpr int VW = 8;
constexpr int MR = 6;
inline V vzero() { return _mm256_setzero_ps(); }
inline V vset1(float x) { return _mm256_set1_ps(x); }
inline V vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, V v) { _mm256_storeu_ps(p, v); }
inline V vfma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
inline V vmax(V a, V b) { return _mm256_max_ps(a, b); }
inline V vmin(V a, V b) { return _mm256_min_ps(a, b); }
// For the vector functions (simd_activation.inc): lane masks, selects and exponent scaling.
using M = __m256;
inline V vabs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
inline V vcopysign(V mag, V sgn) {
    const V s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
}
inline M vlt(V a, V b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
inline V vselect(M m, V t, V f) { return _mm256_blendv_ps(f, t, m); }
inline V vround(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
// 2^n for integer-valued n in [-126, 127], built in the exponent field.
inline V vpow2(V n) {
    const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
// p * 2^n for integer-valued n in [-150, 130]: in two steps, so 2^n need not be a normal
// float (the first product is exact; the second rounds once, into subnormals or inf).
inline V vscale2(V p, V n) {
    const V n1 = _mm256_floor_ps(n * _mm256_set1_ps(0.5f));
    return p * vpow2(n1) * vpow2(n - n1);
}
inline float vhsum(V a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
inline void vstoren(float* p, V v, int n) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    for (int j = 0; j < n; ++j) p[j] = t[j];
}
// ev = p[2j], od = p[2j+1], ev2 = p[2j+2] for j < 8; reads p[0..17].
inline void stride2Load(const float* p, int, V& ev, V& od, V& ev2) {
    const V a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
    const V a2 = _mm256_loadu_ps(p + 2), b2 = _mm256_loadu_ps(p + 10);
    ev2 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a2, b2, 0x88)), 0xD8));
}
// Lane j = p[2j] for j < 8 (reads p[0..16)).
inline V evenLanes(const float* p) {
    const V a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
}
// s0[t] = p[2t], s1[t] = p[2t + 1] for t < 8 (reads p[0..16)).
inline void deint2(const float* p, V& s0, V& s1) {
    const V a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    s0 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    s1 = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}
// The inverse: p[2t] = s0[t], p[2t + 1] = s1[t] for t < 8.
inline void int2(V s0, V s1, float* p) {
    const V lo = _mm256_unpacklo_ps(s0, s1), hi = _mm256_unpackhi_ps(s0, s1);  // pairs 0,1 | 4,5 and 2,3 | 6,7
    vstore(p, _mm256_permute2f128_ps(lo, hi, 0x20));
    vstore(p + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
}
// In-lane 4x4 transpose of four vectors (each 128-bit half a 4x4 block); its own inverse.
inline void transpose4(V& a, V& b, V& c, V& d) {
    const V t0 = _mm256_unpacklo_ps(a, b), t1 = _mm256_unpackhi_ps(a, b);
    const V t2 = _mm256_unpacklo_ps(c, d), t3 = _mm256_unpackhi_ps(c, d);
    a = _mm256_shuffle_ps(t0, t2, 0x44);
    b = _mm256_shuffle_ps(t0, t2, 0xEE);
    c = _mm256_shuffle_ps(t1, t3, 0x44);
    d = _mm256_shuffle_ps(t1, t3, 0xEE);
}
// s_k[t] = p[4t + k] for t < 8 (reads p[0..32)). The in-lane transpose leaves the tiles in the
// order 0,2,4,6,1,3,5,7; one permute puts them back.
inline void deint4(const float* p, V& s0, V& s1, V& s2, V& s3) {
    s0 = vload(p), s1 = vload(p + 8), s2 = vload(p + 16), s3 = vload(p + 24);
    transpose4(s0, s1, s2, s3);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    s0 = _mm256_permutevar8x32_ps(s0, order);
    s1 = _mm256_permutevar8x32_ps(s1, order);
    s2 = _mm256_permutevar8x32_ps(s2, order);
    s3 = _mm256_permutevar8x32_ps(s3, order);
}
// The inverse: p[4t + k] = s_k[t] for t < 8.
inline void int4(V s0, V s1, V s2, V s3, float* p) {
    const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    s0 = _mm256_permutevar8x32_ps(s0, order);
    s1 = _mm256_permutevar8x32_ps(s1, order);
    s2 = _mm256_permutevar8x32_ps(s2, order);
    s3 = _mm256_permutevar8x32_ps(s3, order);
    transpose4(s0, s1, s2, s3);
    vstore(p, s0);
    vstore(p + 8, s1);
    vstore(p + 16, s2);
    vstore(p + 24, s3);
}
// r[i][j] -> r[j][i] over the 8 x 8 block (simd_depthwise.inc's channels-in-lanes kernel).
inline void vtranspose(V r[8]) {
    V t[8], u[8];
    for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4i + k], 128-bit lane L: column 4L + k of rows 4i .. 4i + 3.
    for (int i = 0; i < 2; ++i) {
        u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; ++k) {
        r[k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x20);
        r[4 + k] = _mm256_permute2f128_ps(u[k], u[4 + k], 0x31);
    }
}
}  // namespace
#include "cpu/simd_activation.inc"
#include "cpu/simd_kernels.inc"
#include "cpu/simd_depthwise.inc"
#include "cpu/simd_groupconv.inc"
#include "cpu/simd_winograd.inc"
constexpr Isa kIsa = Isa::Avx2;
// The widest output plane the channels-in-lanes depthwise kernel takes at this level: measured
// per layer on MobileNetV2 / v1 (Zen 5, capped to AVX2), against the per-plane kernel, it is
// 18-40 % faster on 14x14, 7x7, 10x10 and 5x5 (the 8-lane per-plane kernel loads every tap).
constexpr int64_t kDepthwiseLanesMaxWidth = 14;
#include "cpu/simd_table.inc"
}  // namespace percept::cpu::avx2

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
