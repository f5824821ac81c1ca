#version 450
// Gemm and MatMul: Y[b][m][n] = act(alpha * sum_k A[b][m][k] * B[b][k][n] + beta * C[m][n]).
// A and B are addressed through element strides (transposes and numpy batch broadcasting
// cost nothing: the host describes up to 4 batch axes with per-operand strides, 0 where an
// operand repeats). C is broadcast to [M, N] through (cRow, cCol) strides. Each invocation
// computes 4 consecutive columns of one row (the classifier's GEMV runs over the columns);
// the reduction is unrolled by 4. Texel-buffer reads (see conv.comp).
// WIDE 1 (GPUs): a workgroup of 64 shares the reduction of its 4 columns instead (invocation t
// takes k = t, t+64, ...; a tree in shared memory adds the 64 partial sums), so a GEMV with
// 1000 columns keeps 16000 invocations busy rather than 250.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint HAS_C = 0;
layout(constant_id = 2) const uint WIDE = 0;

layout(binding = 0) uniform samplerBuffer a;
layout(binding = 1) uniform samplerBuffer b;
layout(binding = 2) uniform samplerBuffer c;
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint M, N, K;
    uint sAm, sAk, sBk, sBn;
    uint batch, brank;
    uint bdims[4];
    uint bsa[4];
    uint bsb[4];
    uint cRow, cCol;
    float alpha, beta, actA, actB;
} p;

shared vec4 partial[64];

void store(uint bi, uint m, uint n0, vec4 acc) {
    const uint cols = min(4u, p.N - n0);
    const uint yb = (bi * p.M + m) * p.N;
    [[unroll]] for (uint t = 0u; t < 4u; ++t) {
        if (t >= cols) break;
        float v = p.alpha * acc[t];
        if (HAS_C == 1u) v += p.beta * texelFetch(c, int(m * p.cRow + (n0 + t) * p.cCol)).x;
        y[yb + n0 + t] = sfloat(activate(ACT, v, p.actA, p.actB));
    }
}

void mainWide() {
    const uint n0 = gl_WorkGroupID.x * 4u, l = gl_LocalInvocationID.x;
    const uint bi = gl_WorkGroupID.z;
    uint rem = bi, offA = 0u, offB = 0u;
    for (int k = int(p.brank) - 1; k >= 0; --k) {
        const uint d = rem % p.bdims[k];
        rem /= p.bdims[k];
        offA += d * p.bsa[k];
        offB += d * p.bsb[k];
    }
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
    uint rem = bi, offA = 0u, offB = 0u;
    for (int k = int(p.brank) - 1; k >= 0; --k) {
        const uint d = rem % p.bdims[k];
        rem /= p.bdims[k];
        offA += d * p.bsa[k];
        offB += d * p.bsb[k];
    }
    int nb[4];
    [[unroll]] for (uint t = 0u; t < 4u; ++t) nb[t] = int(offB + min(n0 + t, p.N - 1u) * p.sBn);
    const int sAk = int(p.sAk), sBk = int(p.sBk);
    for (uint m = gl_WorkGroupID.y; m < p.M; m += gl_NumWorkGroups.y) {
        vec4 acc = vec4(0.0);
        int ia = int(offA + m * p.sAm), kb = 0;
        uint k = 0u;
        for (; k + 4u <= p.K; k += 4u) {
            [[unroll]] for (uint u = 0u; u < 4u; ++u) {
                const float av = texelFetch(a, ia).x;
                acc += av * vec4(texelFetch(b, nb[0] + kb).x, texelFetch(b, nb[1] + kb).x, texelFetch(b, nb[2] + kb).x, texelFetch(b, nb[3] + kb).x);
                ia += sAk;
                kb += sBk;
            }
        }
        for (; k < p.K; ++k) {
            const float av = texelFetch(a, ia).x;
            acc += av * vec4(texelFetch(b, nb[0] + kb).x, texelFetch(b, nb[1] + kb).x, texelFetch(b, nb[2] + kb).x, texelFetch(b, nb[3] + kb).x);
            ia += sAk;
            kb += sBk;
        }
        store(bi, m, n0, acc);
    }
}
