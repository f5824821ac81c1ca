// SPDX-License-Identifier: Apache-2.0
#version 450
// Gemm and MatMul: Y[b][m][n] = act(alpha * sum_k A[b][m][k] * B[b][k][n] + beta * C[m][n]).
// A and B are addressed through element strides (transposes and numpy batch broadcasting
// cost nothing: the host describes up to 4 batch axes with per-operand strides, 0 where an
// operand repeats). C is broadcast to [M, N] through (cRow, cCol) strides. Texel-buffer reads
// (see conv.comp).
// The plain form (CPU implementations, and any product with rows to share): each invocation
// computes a block of RM rows x 4 consecutive columns, so each B fetch feeds RM rows and each A
// fetch 4 columns; the reduction is unrolled by 4. A4: A is bound as four-float texels along k
// (k contiguous, K a multiple of 4), one fetch per row per 4 k; B4: B is bound as four-float
// texels along n (n contiguous, rows a multiple of 4 apart), one fetch per k for the 4 columns.
// WIDE 1 (GPUs, one row: a classifier's GEMV): a workgroup of 64 shares the reduction of its 4
// columns instead (invocation t takes k = t, t+64, ...; a tree in shared memory adds the 64
// partial sums), so a GEMV with 1000 columns keeps 16000 invocations busy rather than 250.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint HAS_C = 0;
layout(constant_id = 2) const uint WIDE = 0;
layout(constant_id = 3) const uint RM = 1;  // rows per invocation (plain form): 1, 4 or 8
layout(constant_id = 4) const uint A4 = 0;
layout(constant_id = 5) const uint B4 = 0;

#include "gemm_common.glsl"

shared vec4 partial[64];

void store(uint bi, uint m, uint n0, vec4 acc) {
    const uint cols = min(4u, p.N - n0);
    [[unroll]] for (uint t = 0u; t < 4u; ++t) {
        if (t >= cols) break;
        storeY(bi, m, n0 + t, acc[t]);
    }
}

void mainWide() {
    const uint n0 = gl_WorkGroupID.x * 4u, l = gl_LocalInvocationID.x;
    const uint bi = gl_WorkGroupID.z;
    uint offA, offB;
    batchOffsets(bi, offA, offB);
    int nb[4];
    [[unroll]] for (uint t = 0u; t < 4u; ++t) nb[t] = int(offB + min(n0 + t, p.N - 1u) * p.sBn);
    for (uint m = gl_WorkGroupID.y; m < p.M; m += gl_NumWorkGroups.y) {
        vec4 acc = vec4(0.0);
        for (uint k = l; k < p.K; k += 64u) {
            const float av = texelFetch(a, int(offA + m * p.sAm + k * p.sAk)).x;
            const int kb = int(k * p.sBk);
            acc += av * vec4(texelFetch(b, nb[0] + kb).x, texelFetch(b, nb[1] + kb).x, texelFetch(b, nb[2] + kb).x, texelFetch(b, nb[3] + kb).x);
        }
        partial[l] = acc;
        barrier();
        [[unroll]] for (uint s = 32u; s > 0u; s >>= 1u) {
            if (l < s) partial[l] += partial[l + s];
            barrier();
        }
        if (l == 0u) store(bi, m, n0, partial[0]);
        barrier();
    }
}

void main() {
    if (WIDE == 1u) {
        mainWide();
        return;
    }
    const uint n0 = gl_GlobalInvocationID.x * 4u;
    if (n0 >= p.N) return;
    const uint bi = gl_WorkGroupID.z;
    uint offA, offB;
    batchOffsets(bi, offA, offB);
    int nb[4];  // B4 = 0: the 4 columns (clamped) at k = 0
    [[unroll]] for (uint t = 0u; t < 4u; ++t) nb[t] = int(offB + min(n0 + t, p.N - 1u) * p.sBn);
    const int sAk = int(p.sAk), sBk = int(p.sBk);
    for (uint mb = gl_WorkGroupID.y; mb * RM < p.M; mb += gl_NumWorkGroups.y) {
        const uint m0 = mb * RM;
        vec4 acc[RM];
        int ia[RM];
        [[unroll]] for (uint r = 0u; r < RM; ++r) {
            acc[r] = vec4(0.0);
            ia[r] = int(offA + min(m0 + r, p.M - 1u) * p.sAm);  // rows past M repeat the last (not stored)
            if (A4 == 1u) ia[r] >>= 2;
        }
        int kb = B4 == 1u ? int(offB + n0) >> 2 : 0;
        const int sBk4 = sBk >> 2;
        uint k = 0u;
        for (; k + 4u <= p.K; k += 4u) {
            vec4 bv[4];
            [[unroll]] for (uint u = 0u; u < 4u; ++u) {
                if (B4 == 1u) {
                    bv[u] = texelFetch(b, kb);
                    kb += sBk4;
                } else {
                    bv[u] = vec4(texelFetch(b, nb[0] + kb).x, texelFetch(b, nb[1] + kb).x, texelFetch(b, nb[2] + kb).x, texelFetch(b, nb[3] + kb).x);
                    kb += sBk;
                }
            }
            [[unroll]] for (uint r = 0u; r < RM; ++r) {
                vec4 av;
                if (A4 == 1u) {
                    av = texelFetch(a, ia[r]);
                    ia[r] += 1;
                } else {
                    av = vec4(texelFetch(a, ia[r]).x, texelFetch(a, ia[r] + sAk).x, texelFetch(a, ia[r] + 2 * sAk).x, texelFetch(a, ia[r] + 3 * sAk).x);
                    ia[r] += 4 * sAk;
                }
                acc[r] += av.x * bv[0] + av.y * bv[1] + av.z * bv[2] + av.w * bv[3];
            }
        }
        for (; k < p.K; ++k) {  // the tail (A4 needs K a multiple of 4: none then)
            vec4 bv;
            if (B4 == 1u) {
                bv = texelFetch(b, kb);
                kb += sBk4;
            } else {
                bv = vec4(texelFetch(b, nb[0] + kb).x, texelFetch(b, nb[1] + kb).x, texelFetch(b, nb[2] + kb).x, texelFetch(b, nb[3] + kb).x);
                kb += sBk;
            }
            [[unroll]] for (uint r = 0u; r < RM; ++r) {
                acc[r] += texelFetch(a, ia[r]).x * bv;
                ia[r] += sAk;
            }
        }
        [[unroll]] for (uint r = 0u; r < RM; ++r)
            if (m0 + r < p.M) store(bi, m0 + r, n0, acc[r]);
    }
}
