// SPDX-License-Identifier: Apache-2.0
#version 450
// Gemm and MatMul on GPUs with shared-memory tiles (gemm.comp's operands, push constants and
// epilogue; conv_tiled.comp's tiling): a workgroup of 16 x 16 invocations computes a 64-row x
// 64-column tile of Y, each invocation a 4 x 4 block of it. Per step of 16 k, the workgroup
// stages A's 64 x 16 (four-float texels along k, transposed into [k][row quad] as they are
// stored) and B's 16 x 64 (four-float texels along n) in shared memory, then every invocation
// runs 16 rank-1 updates of its block from there. A4 / B4 (vk_gemm.cpp decides): A is read as
// four-float texels along k (k contiguous, K a multiple of 4), B along n (n contiguous, rows a
// multiple of 4 apart); otherwise each is read one float at a time through its element strides
// (attention's Q x K^T and softmax x V, whose 197-long axes are no multiple of 4).
// (On CPU implementations gemm.comp is the kernel: shared memory costs more there than it saves.)
//
// Split reductions (PARTIAL 1), as in conv_tiled.comp: when Y has too few tiles to fill the GPU
// (ConvNeXt's last stage: 49 rows x 768 columns, 12 tiles, K = 3072), the k range is cut into
// slices along z, each storing its partial sums (fp32) in the workspace; the last workgroup of
// a tile to arrive (an atomic counter per tile, returned to zero) adds them and stores the
// tile, in the same dispatch.
// FP16_ARITH: staged as fp16, the 16 rank-1 updates of a step summed in fp16 and added to fp32
// accumulators (conv_tiled.comp's scheme).
#include "common.glsl"
layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint HAS_C = 0;
layout(constant_id = 2) const uint PARTIAL = 0;
layout(constant_id = 3) const uint A4 = 1;
layout(constant_id = 4) const uint B4 = 1;

#define GEMM_SPLIT
#include "gemm_common.glsl"
layout(std430, binding = 4) coherent buffer Part { vec4 part[]; };          // PARTIAL: split_reduction.glsl
layout(std430, binding = 5) coherent buffer Arrivals { uint arrivals[]; };  // PARTIAL: per tile, 0 between runs

shared avec4 As[16][16];  // [k][row quad]
shared avec4 Bs[16][16];  // [k][column quad]
#define SPLIT_INVOCATIONS 256u
#define SPLIT_VEC4S 4u
#include "split_reduction.glsl"

void main() {
    const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    const uint t = ty * 16u + tx;
    const uint mTile = gl_WorkGroupID.x / p.nTiles;
    const uint m0 = mTile * 64u, n0 = (gl_WorkGroupID.x - mTile * p.nTiles) * 64u;
    const uint bi = gl_WorkGroupID.z / p.slices, slice = gl_WorkGroupID.z - bi * p.slices;
    uint offA, offB;
    batchOffsets(bi, offA, offB);

    // This invocation's share of the staging. A: row t/4 of the tile, texel t%4 of the step's
    // 16 k (4 neighbours read 64 contiguous bytes of a row). B: k row t/16, column quad t%16.
    const uint ar = t / 4u, aq = t % 4u;
    const bool aIn = m0 + ar < p.M;
    const uint aRow = offA + min(m0 + ar, p.M - 1u) * p.sAm;  // elements
    const int aBase = int(aRow / 4u + aq);                     // A4: texels
    const uint bk = t / 16u, bq = t % 16u;
    const bool bIn = n0 + bq * 4u < p.N;
    const int bBase = int((offB + bk * p.sBk + n0) / 4u + bq);  // B4: texels
    const int sBk4 = int(p.sBk / 4u);

    vec4 acc[4];
    [[unroll]] for (uint i = 0u; i < 4u; ++i) acc[i] = vec4(0.0);

    // This invocation's share of the step at k0 (A: a texel's worth along k; B: one along n),
    // zeros past the slice's end.
    const uint kBegin = slice * p.kSlice, kEnd = min(p.K, kBegin + p.kSlice);
    vec4 av, bv;
#define FETCH_STEP(kStep)                                                                               \
    {                                                                                                   \
        const uint ks = (kStep);                                                                        \
        av = vec4(0.0);                                                                                 \
        bv = vec4(0.0);                                                                                 \
        if (A4 == 1u) {                                                                                 \
            if (aIn && ks + aq * 4u < kEnd) av = texelFetch(a, aBase + int(ks / 4u));                  \
        } else {                                                                                        \
            [[unroll]] for (uint j = 0u; j < 4u; ++j) {                                                 \
                const uint k = ks + aq * 4u + j;                                                        \
                if (aIn && k < kEnd) av[j] = texelFetch(a, int(aRow + k * p.sAk)).x;                    \
            }                                                                                           \
        }                                                                                               \
        if (B4 == 1u) {                                                                                 \
            if (bIn && ks + bk < kEnd) bv = texelFetch(b, bBase + int(ks) * sBk4);                      \
        } else {                                                                                        \
            [[unroll]] for (uint j = 0u; j < 4u; ++j) {                                                 \
                const uint n = n0 + bq * 4u + j;                                                        \
                if (n < p.N && ks + bk < kEnd) bv[j] = texelFetch(b, int(offB + (ks + bk) * p.sBk + n * p.sBn)).x; \
            }                                                                                           \
        }                                                                                               \
    }
    FETCH_STEP(kBegin)
    for (uint k0 = kBegin; k0 < kEnd; k0 += 16u) {
        [[unroll]] for (uint j = 0u; j < 4u; ++j) As[aq * 4u + j][ar / 4u][ar % 4u] = afloat(av[j]);
        Bs[bk][bq] = avec4(bv);
        barrier();
        // The next step's operands, fetched before this step's products: their memory latency
        // overlaps the arithmetic instead of stalling the workgroup at the top of every step.
        FETCH_STEP(k0 + 16u)
        avec4 step[4];
        [[unroll]] for (uint i = 0u; i < 4u; ++i) step[i] = avec4(0.0);
        [[unroll]] for (uint kk = 0u; kk < 16u; ++kk) {
            const avec4 ra = As[kk][ty], rb = Bs[kk][tx];
            step[0] += ra.x * rb;
            step[1] += ra.y * rb;
            step[2] += ra.z * rb;
            step[3] += ra.w * rb;
        }
        [[unroll]] for (uint i = 0u; i < 4u; ++i) acc[i] += vec4(step[i]);
        barrier();
    }

    if (PARTIAL == 1u && !addSlices(acc, slice, p.slices, bi * gl_NumWorkGroups.x + gl_WorkGroupID.x, p.batch * gl_NumWorkGroups.x)) return;

    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint m = m0 + ty * 4u + i;
        if (m >= p.M) break;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint n = n0 + tx * 4u + j;
            if (n >= p.N) break;
            storeY(bi, m, n, acc[i][j]);
        }
    }
}
