// AVX-512 variants of the hot kernels (see simd_kernels.inc), compiled for AVX-512 through a
// GCC target region so the rest of the engine stays baseline x86-64; used only when cpuIsa()
// says the CPU has it.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu/isa.h"
#include "cpu/op_util.h"

// GCC takes a target region; clang ignores it and takes an attribute applied to every function.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")
#endif
// GCC 12 flags _mm512_undefined_ps() inside _mm512_max_ps/_mm512_min_ps as maybe-uninitialized.
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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
inline __mmask16 maskN(int n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1); }
inline V vloadn(const float* p, int n) { return _mm512_maskz_loadu_ps(maskN(n), p); }
inline void vstoren(float* p, V v, int n) { _mm512_mask_storeu_ps(p, maskN(n), v); }
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
}  // namespace
#define PERCEPT_SIMD_MASKED 1
#include "cpu/simd_kernels.inc"
#undef PERCEPT_SIMD_MASKED
}  // namespace percept::cpu::avx512

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
