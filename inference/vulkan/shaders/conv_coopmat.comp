// SPDX-License-Identifier: Apache-2.0
#version 450
// Convolution as an implicit GEMM on the tensor cores (VK_NV_cooperative_matrix), for GPUs that
// have them, with fp16 arithmetic on (SessionOptions::fp16Arithmetic; built only as the
// FP16_ARITH variant, FP16_ARITH_ONLY). A workgroup of four 32-wide subgroups computes a
// 64-channel x 64-pixel output tile, each subgroup a 32 x 32 quarter of it as (32/MM) x (32/NN)
// accumulator fragments of MM x NN in fp32 (the device's fp16 x fp16 -> fp32 shape, MM x NN x
// KK, specialisation constants). Per step of 32 reduction indices k = (c, ky, kx) the
// workgroup stages the weights (64 x 32, repacked as [group][block of 64 channels][block of 32
// k][64][32]: one contiguous run per step) and the im2col inputs (32 x 64, padding as zeros)
// in shared memory as fp16, and every subgroup multiplies its fragments from there. The
// accumulators go through shared memory to the epilogue: bias, a fused residual (RESIDUAL,
// graph::fusedAddCandidates) and the activation; or, with the reduction split over slices of
// k blocks (PARTIAL, few output tiles: the late stages), to the workspace, where the last
// slice of a tile to arrive adds them (split_reduction.glsl).
//
// Lavapipe has no cooperative matrices: this kernel's op tests run on the GPU machine
// (tests/gpu/run_gpu_op_tests.sh; NVIDIA H100, 5 December).
// FP16_ARITH_ONLY
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#include "common.glsl"
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x = 128) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint KH = 1;
layout(constant_id = 2) const uint KW = 1;
layout(constant_id = 3) const uint SH = 1;
layout(constant_id = 4) const uint SW = 1;
layout(constant_id = 5) const uint DH = 1;
layout(constant_id = 6) const uint DW = 1;
layout(constant_id = 7) const uint RESIDUAL = 0;
layout(constant_id = 8) const uint MM = 16;  // the fragment shape the device offers
layout(constant_id = 9) const uint NN = 16;
layout(constant_id = 10) const uint KK = 16;
layout(constant_id = 11) const uint PARTIAL = 0;
const uint TM = 32u / MM, TN = 32u / NN;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;     // rgba: [g][mb][kb][64][32]
layout(binding = 2) uniform samplerBuffer bias;  // [M]
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(binding = 4) uniform samplerBuffer res;   // RESIDUAL: [n][M][P]
layout(std430, binding = 5) coherent buffer Part { vec4 part[]; };          // PARTIAL: split_reduction.glsl
layout(std430, binding = 6) coherent buffer Arrivals { uint arrivals[]; };  // PARTIAL: per tile
layout(push_constant) uniform Push {
    uint C, H, W, M, OH, OW;
    int pt, pl;
    uint Cg, Mg, mBlocks, pTiles, kBlocks;
    float actA, actB;
    uint sliceBlocks, slices, N;  // k blocks per slice, slice count, images
} p;

shared float16_t As[64 * 32];  // [channel][k]
shared float16_t Bs[32 * 64];  // [k][pixel]
shared float Cs[64 * 64];      // [channel][pixel], the epilogue's input
#define SPLIT_INVOCATIONS 128u
#define SPLIT_VEC4S 8u
#include "split_reduction.glsl"

void main() {
    const uint t = gl_LocalInvocationID.x, sg = t / 32u;
    const uint mb = gl_WorkGroupID.x / p.pTiles, pt0 = (gl_WorkGroupID.x - mb * p.pTiles) * 64u;
    const uint g = gl_WorkGroupID.y, n = gl_WorkGroupID.z / p.slices, slice = gl_WorkGroupID.z - n * p.slices;
    const uint P = p.OH * p.OW, HW = p.H * p.W, K = p.Cg * KH * KW;
    const int xb = int((n * p.C + g * p.Cg) * HW);
    const int wb = int((g * p.mBlocks + mb) * p.kBlocks * 512u);  // 2048 halves = 512 texels per step

    // This invocation's share of the input staging: k row t/4, 16 pixels from (t%4)*16.
    const uint lk = t / 4u, lc = (t % 4u) * 16u;
    int iy0[16], ix0[16];
    bool pin[16];
    [[unroll]] for (uint j = 0u; j < 16u; ++j) {
        const uint q = pt0 + lc + j;
        pin[j] = q < P;
        const uint qq = min(q, P - 1u);
        const uint oy = qq / p.OW, ox = qq - oy * p.OW;
        iy0[j] = int(oy * SH) - p.pt;
        ix0[j] = int(ox * SW) - p.pl;
    }

    fcoopmatNV<32, gl_ScopeSubgroup, MM, NN> acc[TM][TN];
    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, MM, NN>(0.0);
    const uint row0 = (sg / 2u) * 32u, col0 = (sg % 2u) * 32u;

    // This invocation's share of k block kb: weights, 16 consecutive halves (4 texels, zero
    // padded at the repacking); inputs, one reduction index for 16 pixels (padding as zeros).
    const uint kbBegin = slice * p.sliceBlocks, kbEnd = min(p.kBlocks, kbBegin + p.sliceBlocks);
    vec4 rw[4];
    float rx[16];
#define FETCH_STEP(kBlock)                                                                    \
    {                                                                                         \
        const uint kb = (kBlock);                                                             \
        const bool bOk = kb < kbEnd;                                                          \
        [[unroll]] for (uint j = 0u; j < 4u; ++j)                                             \
            rw[j] = bOk ? texelFetch(w, wb + int(kb * 512u + t * 4u + j)) : vec4(0.0);        \
        const uint k = kb * 32u + lk;                                                         \
        const bool kOk = bOk && k < K;                                                        \
        const uint c = k / (KH * KW), r = k - c * (KH * KW);                                  \
        const uint ky = r / KW, kx = r - ky * KW;                                             \
        const int xc = xb + int(c * HW);                                                      \
        [[unroll]] for (uint j = 0u; j < 16u; ++j) {                                          \
            const int iy = iy0[j] + int(ky * DH), ix = ix0[j] + int(kx * DW);                 \
            const bool ok = kOk && pin[j] && uint(iy) < p.H && uint(ix) < p.W;                \
            const float v = texelFetch(x, ok ? xc + iy * int(p.W) + ix : 0).x;                \
            rx[j] = ok ? v : 0.0;                                                             \
        }                                                                                     \
    }
    FETCH_STEP(kbBegin)
    for (uint kb = kbBegin; kb < kbEnd; ++kb) {
        [[unroll]] for (uint j = 0u; j < 4u; ++j)
            [[unroll]] for (uint e = 0u; e < 4u; ++e) As[(t * 4u + j) * 4u + e] = float16_t(rw[j][e]);
        [[unroll]] for (uint j = 0u; j < 16u; ++j) Bs[lk * 64u + lc + j] = float16_t(rx[j]);
        barrier();
        // The next block's operands, fetched before this block's products (latency overlapped).
        FETCH_STEP(kb + 1u)
        [[unroll]] for (uint kk = 0u; kk < 32u; kk += KK) {
            fcoopmatNV<16, gl_ScopeSubgroup, MM, KK> a[TM];
            fcoopmatNV<16, gl_ScopeSubgroup, KK, NN> b[TN];
            [[unroll]] for (uint i = 0u; i < TM; ++i) coopMatLoadNV(a[i], As, (row0 + i * MM) * 32u + kk, 32u, false);
            [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatLoadNV(b[j], Bs, kk * 64u + col0 + j * NN, 64u, false);
            [[unroll]] for (uint i = 0u; i < TM; ++i)
                [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = coopMatMulAddNV(a[i], b[j], acc[i][j]);
        }
        barrier();
    }

    [[unroll]] for (uint i = 0u; i < TM; ++i)
        [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatStoreNV(acc[i][j], Cs, (row0 + i * MM) * 64u + col0 + j * NN, 64u, false);
    barrier();
    // Invocation t holds the four-float runs t + 128 r of the tile ([channel][pixel]).
    vec4 sums[8];
    [[unroll]] for (uint r = 0u; r < 8u; ++r) {
        const uint e = (t + 128u * r) * 4u;
        sums[r] = vec4(Cs[e], Cs[e + 1u], Cs[e + 2u], Cs[e + 3u]);
    }
    if (PARTIAL == 1u) {
        const uint tile = (n * gl_NumWorkGroups.y + g) * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        if (!addSlices(sums, slice, p.slices, tile, p.N * gl_NumWorkGroups.y * gl_NumWorkGroups.x)) return;
    }
    [[unroll]] for (uint r = 0u; r < 8u; ++r) {
        const uint e = (t + 128u * r) * 4u, m = mb * 64u + e / 64u;
        if (m >= p.Mg) continue;
        const uint om = g * p.Mg + m, yb = (n * p.M + om) * P;
        const float bv = texelFetch(bias, int(om)).x;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint q = pt0 + e % 64u + j;
            if (q >= P) break;
            float v = sums[r][j] + bv;
            if (RESIDUAL == 1u) v += texelFetch(res, int(yb + q)).x;
            y[yb + q] = sfloat(activate(ACT, v, p.actA, p.actB));
        }
    }
}
