// SPDX-License-Identifier: Apache-2.0
#version 450
// Gemm and MatMul on the tensor cores (VK_NV_cooperative_matrix), for GPUs that have them, with
// fp16 arithmetic on (SessionOptions::fp16Arithmetic; built only as the FP16_ARITH variant,
// FP16_ARITH_ONLY). gemm_tiled.comp's operands, push constants, split reduction and epilogue;
// conv_coopmat.comp's tile: a workgroup of four 32-wide subgroups computes a 64-row x 64-column
// tile of Y, each subgroup a 32 x 32 quarter of it as (32/MM) x (32/NN) fp32 accumulator
// fragments of the device's MM x NN x KK fp16 shape. Per step of 32 k the workgroup stages A's
// 64 x 32 ([row][k]) and B's 32 x 64 ([k][column]) in shared memory as fp16 (A4 / B4: read as
// four-float texels along k / along n, else one float at a time through the element strides),
// and every subgroup multiplies its fragments from there. The accumulators go through shared
// memory to the epilogue (alpha, beta * C, the activation) or, split along k (PARTIAL), to the
// workspace, where the last slice of a tile to arrive adds them.
// FP16_ARITH_ONLY
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#include "common.glsl"
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x = 128) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint HAS_C = 0;
layout(constant_id = 2) const uint PARTIAL = 0;
layout(constant_id = 3) const uint A4 = 1;
layout(constant_id = 4) const uint B4 = 1;
layout(constant_id = 5) const uint MM = 16;  // the fragment shape the device offers
layout(constant_id = 6) const uint NN = 16;
layout(constant_id = 7) const uint KK = 16;
const uint TM = 32u / MM, TN = 32u / NN;

#define GEMM_SPLIT
#include "gemm_common.glsl"
layout(std430, binding = 4) coherent buffer Part { vec4 part[]; };          // PARTIAL: split_reduction.glsl
layout(std430, binding = 5) coherent buffer Arrivals { uint arrivals[]; };  // PARTIAL: per tile, 0 between runs

shared float16_t As[64 * 32];  // [row][k]
shared float16_t Bs[32 * 64];  // [k][column]
shared float Cs[64 * 64];      // [row][column], the epilogue's input
#define SPLIT_INVOCATIONS 128u
#define SPLIT_VEC4S 8u
#include "split_reduction.glsl"

void main() {
    const uint t = gl_LocalInvocationID.x, sg = t / 32u;
    const uint mTile = gl_WorkGroupID.x / p.nTiles;
    const uint m0 = mTile * 64u, n0 = (gl_WorkGroupID.x - mTile * p.nTiles) * 64u;
    const uint bi = gl_WorkGroupID.z / p.slices, slice = gl_WorkGroupID.z - bi * p.slices;
    uint offA, offB;
    batchOffsets(bi, offA, offB);

    // This invocation's share of the staging. A: row t/2 of the tile, 16 k from (t%2)*16.
    // B: k row t/4 of the step, 16 columns from (t%4)*16.
    const uint ar = t / 2u, ak = (t % 2u) * 16u;
    const bool aIn = m0 + ar < p.M;
    const uint aRow = offA + min(m0 + ar, p.M - 1u) * p.sAm;  // elements
    const uint bk = t / 4u, bc = (t % 4u) * 16u;

    fcoopmatNV<32, gl_ScopeSubgroup, MM, NN> acc[TM][TN];
    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, MM, NN>(0.0);
    const uint row0 = (sg / 2u) * 32u, col0 = (sg % 2u) * 32u;

    // This invocation's share of the step at ks (A: 16 k of one row; B: 16 columns of one k row),
    // zeros past the slice's end and the matrices' edges.
    const uint kBegin = slice * p.kSlice, kEnd = min(p.K, kBegin + p.kSlice);
    vec4 ra[4], rb[4];
#define FETCH_STEP(kStep)                                                                                    \
    {                                                                                                        \
        const uint ks = (kStep);                                                                             \
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {                                                          \
            const uint k = ks + ak + j * 4u;                                                                 \
            ra[j] = vec4(0.0);                                                                               \
            if (A4 == 1u) {                                                                                  \
                if (aIn && k < kEnd) ra[j] = texelFetch(a, int(aRow / 4u + k / 4u));                         \
            } else {                                                                                         \
                [[unroll]] for (uint e = 0u; e < 4u; ++e)                                                    \
                    if (aIn && k + e < kEnd) ra[j][e] = texelFetch(a, int(aRow + (k + e) * p.sAk)).x;        \
            }                                                                                                \
        }                                                                                                    \
        const uint k = ks + bk;                                                                              \
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {                                                          \
            const uint n = n0 + bc + j * 4u;                                                                 \
            rb[j] = vec4(0.0);                                                                               \
            if (B4 == 1u) {                                                                                  \
                if (k < kEnd && n < p.N) rb[j] = texelFetch(b, int((offB + k * p.sBk + n) / 4u));            \
            } else {                                                                                         \
                [[unroll]] for (uint e = 0u; e < 4u; ++e)                                                    \
                    if (k < kEnd && n + e < p.N) rb[j][e] = texelFetch(b, int(offB + k * p.sBk + (n + e) * p.sBn)).x; \
            }                                                                                                \
        }                                                                                                    \
    }
    FETCH_STEP(kBegin)
    for (uint k0 = kBegin; k0 < kEnd; k0 += 32u) {
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint sa = ar * 32u + ak + j * 4u, sb = bk * 64u + bc + j * 4u;
            [[unroll]] for (uint e = 0u; e < 4u; ++e) {
                As[sa + e] = float16_t(ra[j][e]);
                Bs[sb + e] = float16_t(rb[j][e]);
            }
        }
        barrier();
        // The next step's operands, fetched before this step's products (latency overlapped).
        FETCH_STEP(k0 + 32u)
        [[unroll]] for (uint kk = 0u; kk < 32u; kk += KK) {
            fcoopmatNV<16, gl_ScopeSubgroup, MM, KK> fa[TM];
            fcoopmatNV<16, gl_ScopeSubgroup, KK, NN> fb[TN];
            [[unroll]] for (uint i = 0u; i < TM; ++i) coopMatLoadNV(fa[i], As, (row0 + i * MM) * 32u + kk, 32u, false);
            [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatLoadNV(fb[j], Bs, kk * 64u + col0 + j * NN, 64u, false);
            [[unroll]] for (uint i = 0u; i < TM; ++i)
                [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j]);
        }
        barrier();
    }

    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatStoreNV(acc[i][j], Cs, (row0 + i * MM) * 64u + col0 + j * NN, 64u, false);
    barrier();

    // Invocation t holds the four-float runs t + 128 r of the tile ([row][column], 16 per row).
    vec4 sums[8];
    [[unroll]] for (uint r = 0u; r < 8u; ++r) {
        const uint e = (t + 128u * r) * 4u;
        sums[r] = vec4(Cs[e], Cs[e + 1u], Cs[e + 2u], Cs[e + 3u]);
    }
    if (PARTIAL == 1u && !addSlices(sums, slice, p.slices, bi * gl_NumWorkGroups.x + gl_WorkGroupID.x, p.batch * gl_NumWorkGroups.x)) return;

    [[unroll]] for (uint r = 0u; r < 8u; ++r) {
        const uint e = (t + 128u * r) * 4u, m = m0 + e / 64u;
        if (m >= p.M) break;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint n = n0 + e % 64u + j;
            if (n >= p.N) break;
            storeY(bi, m, n, sums[r][j]);
        }
    }
}
