// SPDX-License-Identifier: Apache-2.0
#version 450
// Convolution as an implicit GEMM with shared-memory tiles, for GPUs: a workgroup of 16 x 16
// invocations computes a 64-channel x 64-pixel output tile, each invocation a 4 x 4 block of
// it. Per step of 16 reduction indices k = (c, ky, kx), the workgroup stages the tile's weights
// (16 x 64, from the repacked [group][block of 64 channels][k][64] layout: coalesced vec4
// loads) and its im2col inputs (16 x 64, gathered with the padding as zeros) in shared memory,
// then every invocation runs 16 rank-1 updates of its 4 x 4 block from there: each value
// staged is read by 16 invocations instead of being fetched 16 times.
// (On CPU implementations shared-memory loads are per-lane scalar loops and barriers are
// coroutine switches; conv.comp is the kernel there.)
//
// Split reductions (PARTIAL 1): when the output has too few tiles to fill the GPU (ResNet's
// 7x7 stages: 8 tiles for a 132-multiprocessor GPU), the k range is cut into slices, one per
// workgroup along z, each storing its partial sums (fp32) in the workspace. The last workgroup
// of a tile to finish (an arrival counter per output tile, taken with an atomic after the
// partial sums are made visible) adds the slices, the bias, the residual and the activation
// and stores the tile, then returns its counter to zero for the next run: one dispatch and no
// barrier where a separate reduction pass would cost a second of each.
//
// RESIDUAL 1: a residual connection fused in (graph::fusedAddCandidates): `res`, of the
// output's shape, is added before the activation (the Add's).
#include "common.glsl"
layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint KH = 1;
layout(constant_id = 2) const uint KW = 1;
layout(constant_id = 3) const uint SH = 1;
layout(constant_id = 4) const uint SW = 1;
layout(constant_id = 5) const uint DH = 1;
layout(constant_id = 6) const uint DW = 1;
layout(constant_id = 7) const uint PARTIAL = 0;
layout(constant_id = 8) const uint RESIDUAL = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;     // rgba: [g][mb][k][16]   (64 channels per k)
layout(binding = 2) uniform samplerBuffer bias;  // [g][mb * 64]
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(binding = 4) uniform samplerBuffer res;                     // RESIDUAL: [n][M][P]
layout(std430, binding = 5) coherent buffer Part { vec4 part[]; };    // PARTIAL: split_reduction.glsl
layout(std430, binding = 6) coherent buffer Arrivals { uint arrivals[]; };  // PARTIAL: per output tile, 0 between runs
layout(push_constant) uniform Push {
    uint C, H, W, M, OH, OW;
    int pt, pl;
    uint Cg, Mg, mBlocks, pTiles;
    uint kSlice, slices, N;  // k per slice (a multiple of 16), slice count, images
    float actA, actB;
} p;

// FP16_ARITH: staged as fp16 (half the shared memory traffic), the 16 rank-1 updates of a k
// step summed in fp16, each step's sums added to the fp32 accumulators.
shared avec4 As[16][16];  // [k][channel quad]
shared avec4 Bs[16][16];  // [k][pixel quad]
#define SPLIT_INVOCATIONS 256u
#define SPLIT_VEC4S 4u
#include "split_reduction.glsl"

void main() {
    const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    const uint t = ty * 16u + tx;
    const uint mb = gl_WorkGroupID.x / p.pTiles, pt0 = (gl_WorkGroupID.x - mb * p.pTiles) * 64u;
    const uint g = gl_WorkGroupID.y, n = gl_WorkGroupID.z / p.slices, slice = gl_WorkGroupID.z - n * p.slices;
    const uint P = p.OH * p.OW, HW = p.H * p.W;
    const uint K = p.Cg * KH * KW;
    const int xb = int((n * p.C + g * p.Cg) * HW);
    const int wb = int((g * p.mBlocks + mb) * K * 16u);

    // This invocation's share of the staging: k row t/16, quad t%16 of both tiles.
    const uint lk = t / 16u, lq = t % 16u;
    int iy0[4], ix0[4];
    bool pin[4];
    [[unroll]] for (uint j = 0u; j < 4u; ++j) {
        const uint q = pt0 + lq * 4u + j;
        pin[j] = q < P;
        const uint qq = min(q, P - 1u);
        const uint oy = qq / p.OW, ox = qq - oy * p.OW;
        iy0[j] = int(oy * SH) - p.pt;
        ix0[j] = int(ox * SW) - p.pl;
    }

    vec4 acc[4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) acc[i] = vec4(0.0);

    // This invocation's share of the step at reduction index k (weights: one texel; inputs: 4
    // pixels, the padding as zeros), zeros past the slice's end.
    const uint kBegin = slice * p.kSlice, kEnd = min(K, kBegin + p.kSlice);
    vec4 wv, xv;
#define FETCH_STEP(kIndex)                                                              \
    {                                                                                   \
        const uint k = (kIndex);                                                        \
        wv = vec4(0.0);                                                                 \
        xv = vec4(0.0);                                                                 \
        if (k < kEnd) {                                                                 \
            wv = texelFetch(w, wb + int(k * 16u + lq));                                 \
            const uint c = k / (KH * KW), r = k - c * (KH * KW);                        \
            const uint ky = r / KW, kx = r - ky * KW;                                   \
            const int xc = xb + int(c * HW);                                            \
            [[unroll]] for (uint j = 0u; j < 4u; ++j) {                                 \
                const int iy = iy0[j] + int(ky * DH), ix = ix0[j] + int(kx * DW);       \
                const bool ok = pin[j] && uint(iy) < p.H && uint(ix) < p.W;             \
                const float v = texelFetch(x, ok ? xc + iy * int(p.W) + ix : 0).x;      \
                xv[j] = ok ? v : 0.0;                                                   \
            }                                                                           \
        }                                                                               \
    }
    FETCH_STEP(kBegin + lk)
    for (uint k0 = kBegin; k0 < kEnd; k0 += 16u) {
        As[lk][lq] = avec4(wv);
        Bs[lk][lq] = avec4(xv);
        barrier();
        // The next step's operands, fetched before this step's products: their memory latency
        // overlaps the arithmetic instead of stalling the workgroup at the top of every step.
        FETCH_STEP(k0 + 16u + lk)
        avec4 step[4];
        [[unroll]] for (uint i = 0u; i < 4u; ++i) step[i] = avec4(0.0);
        [[unroll]] for (uint kk = 0u; kk < 16u; ++kk) {
            const avec4 a = As[kk][ty], b = Bs[kk][tx];
            step[0] += a.x * b;
            step[1] += a.y * b;
            step[2] += a.z * b;
            step[3] += a.w * b;
        }
        [[unroll]] for (uint i = 0u; i < 4u; ++i) acc[i] += vec4(step[i]);
        barrier();
    }

    if (PARTIAL == 1u) {
        const uint tile = (n * gl_NumWorkGroups.y + g) * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        if (!addSlices(acc, slice, p.slices, tile, p.N * gl_NumWorkGroups.y * gl_NumWorkGroups.x)) return;
    }

    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint m = mb * 64u + ty * 4u + i;
        if (m >= p.Mg) break;
        const uint yb = (n * p.M + g * p.Mg + m) * P;
        const float bv = texelFetch(bias, int((g * p.mBlocks) * 64u + m)).x;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint q = pt0 + tx * 4u + j;
            if (q >= P) break;
            float v = acc[i][j] + bv;
            if (RESIDUAL == 1u) v += texelFetch(res, int(yb + q)).x;
            y[yb + q] = sfloat(activate(ACT, v, p.actA, p.actB));
        }
    }
}
