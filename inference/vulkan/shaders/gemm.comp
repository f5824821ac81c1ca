#version 450
// Gemm and MatMul: Y[b][m][n] = act(alpha * sum_k A[b][m][k] * B[b][k][n] + beta * C[m][n]).
// A and B are addressed through element strides (transposes and numpy batch broadcasting
// cost nothing: the host describes up to 4 batch axes with per-operand strides, 0 where an
// operand repeats). C is broadcast to [M, N] through (cRow, cCol) strides. Each invocation
// computes 4 consecutive columns of one row (the classifier's GEMV runs over the columns);
// the reduction is unrolled by 4. Texel-buffer reads (see conv.comp).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint HAS_C = 0;

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

void main() {
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
    const uint cols = min(4u, p.N - n0);
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
        const uint yb = (bi * p.M + m) * p.N;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            if (t >= cols) break;
            float v = p.alpha * acc[t];
            if (HAS_C == 1u) v += p.beta * texelFetch(c, int(m * p.cRow + (n0 + t) * p.cCol)).x;
            y[yb + n0 + t] = sfloat(activate(ACT, v, p.actA, p.actB));
        }
    }
}
