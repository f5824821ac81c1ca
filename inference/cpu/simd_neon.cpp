// SPDX-License-Identifier: Apache-2.0
// arm64/NEON variants of the hot kernels (see simd_kernels.inc): the same kernels as the AVX2
// and AVX-512 levels, written once over the vector layer below (128-bit Advanced SIMD, fp32
// FMA), which aarch64 always has, so no target region is needed. Compiled on aarch64 only
// (inference/CMakeLists.txt); used when the session picked Isa::Neon (cpu/isa.h).
#include <arm_neon.h>

#include <algorithm>
#include <array>
#include <utility>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu/isa.h"
#include "cpu/op_util.h"

namespace percept::cpu::neon {
namespace {
using V = float32x4_t;
constexpr int VW = 4;
// 8 rows x 2 vectors of C: 16 accumulators, 2 of B and the A broadcasts stay within the 32
// vector registers (the 12x8 tiles of ncnn/OpenBLAS would leave the epilogue constants none).
constexpr int MR = 8;
inline V vzero() { return vdupq_n_f32(0.0f); }
inline V vset1(float x) { return vdupq_n_f32(x); }
inline V vload(const float* p) { return vld1q_f32(p); }
inline void vstore(float* p, V v) { vst1q_f32(p, v); }
inline V vfma(V a, V b, V c) { return vfmaq_f32(c, a, b); }  // a * b + c, one rounding
// x86's MAXPS/MINPS semantics (a > b ? a : b): the second operand when either is NaN. The
// kernels put the data second (vmax(zero, v)), so a NaN passes through as in cpu::activate,
// and every level agrees bit for bit on it (FMAX would return NaN for either operand).
inline V vmax(V a, V b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
inline V vmin(V a, V b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
// For the vector functions (simd_activation.inc): lane masks, selects and exponent scaling.
using M = uint32x4_t;
inline V vabs(V a) { return vabsq_f32(a); }
inline V vcopysign(V mag, V sgn) { return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, mag); }
inline M vlt(V a, V b) { return vcltq_f32(a, b); }
inline V vselect(M m, V t, V f) { return vbslq_f32(m, t, f); }
inline V vround(V a) { return vrndnq_f32(a); }  // to nearest, ties to even (as _MM_FROUND_TO_NEAREST_INT)
// 2^n for integer-valued n in [-126, 127], built in the exponent field.
inline V vpow2(V n) {
    const int32x4_t e = vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}
// p * 2^n for integer-valued n in [-150, 130]: in two steps, so 2^n need not be a normal
// float (the first product is exact; the second rounds once, into subnormals or inf).
inline V vscale2(V p, V n) {
    const V n1 = vrndmq_f32(n * vdupq_n_f32(0.5f));
    return p * vpow2(n1) * vpow2(n - n1);
}
inline float vhsum(V a) { return vaddvq_f32(a); }
inline void vstoren(float* p, V v, int n) {
    float t[4];
    vst1q_f32(t, v);
    for (int j = 0; j < n; ++j) p[j] = t[j];
}
// ev = p[2j], od = p[2j+1], ev2 = p[2j+2] for j < 4; reads p[0..10).
inline void stride2Load(const float* p, int, V& ev, V& od, V& ev2) {
    const float32x4x2_t a = vld2q_f32(p);
    ev = a.val[0];
    od = a.val[1];
    ev2 = vld2q_f32(p + 2).val[0];
}
// Lane j = p[2j] for j < 4 (reads p[0..8)).
inline V evenLanes(const float* p) { return vld2q_f32(p).val[0]; }
// s0[t] = p[2t], s1[t] = p[2t + 1] for t < 4 (reads p[0..8)): LD2 de-interleaves in the load.
inline void deint2(const float* p, V& s0, V& s1) {
    const float32x4x2_t a = vld2q_f32(p);
    s0 = a.val[0];
    s1 = a.val[1];
}
// The inverse: p[2t] = s0[t], p[2t + 1] = s1[t] for t < 4.
inline void int2(V s0, V s1, float* p) { vst2q_f32(p, (float32x4x2_t{{s0, s1}})); }
// s_k[t] = p[4t + k] for t < 4 (reads p[0..16)): LD4.
inline void deint4(const float* p, V& s0, V& s1, V& s2, V& s3) {
    const float32x4x4_t a = vld4q_f32(p);
    s0 = a.val[0];
    s1 = a.val[1];
    s2 = a.val[2];
    s3 = a.val[3];
}
// The inverse: p[4t + k] = s_k[t] for t < 4 (ST4).
inline void int4(V s0, V s1, V s2, V s3, float* p) { vst4q_f32(p, (float32x4x4_t{{s0, s1, s2, s3}})); }
// r[i][j] -> r[j][i] over the 4 x 4 block (simd_depthwise.inc's channels-in-lanes kernel).
inline void vtranspose(V r[4]) {
    const float32x4x2_t a = vtrnq_f32(r[0], r[1]), b = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
    r[1] = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
    r[2] = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
    r[3] = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}
}  // namespace
#include "cpu/simd_activation.inc"
#include "cpu/simd_kernels.inc"
#include "cpu/simd_depthwise.inc"
#include "cpu/simd_groupconv.inc"
#include "cpu/simd_winograd.inc"
constexpr Isa kIsa = Isa::Neon;
// The widest output plane the channels-in-lanes depthwise kernel takes at this level: not
// timed on an arm64 device yet (qemu only checks it), so only where the per-plane kernel's
// 4-lane rows are least full (5 of 8 lanes), as the x86 measurements suggest.
constexpr int64_t kDepthwiseLanesMaxWidth = 5;
#include "cpu/simd_table.inc"
}  // namespace percept::cpu::neon
