// SPDX-License-Identifier: Apache-2.0
// What the GEMM kernels share (gemm.comp, gemm_tiled.comp, gemm_coopmat.comp; vk_gemm.cpp's
// GemmPush): the operands, the push constants, batch bi's element offsets, and the store of one
// output, Y[bi][m][n] = act(alpha * sum + beta * C[m][n]). The including shader declares the
// specialisation constants ACT and HAS_C first, and defines GEMM_SPLIT when its push constants
// carry a split reduction's fields (the tiled kernels).
layout(binding = 0) uniform samplerBuffer a;  // A4: rgba along k
layout(binding = 1) uniform samplerBuffer b;  // B4: rgba along n
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
#ifdef GEMM_SPLIT
    uint kSlice, slices, nTiles;  // k per slice (a multiple of 16), slice count, tiles along n
#endif
} p;

// Element offsets of batch bi's A and B.
void batchOffsets(uint bi, out uint offA, out uint offB) {
    uint rem = bi;
    offA = 0u;
    offB = 0u;
    for (int k = int(p.brank) - 1; k >= 0; --k) {
        const uint d = rem % p.bdims[k];
        rem /= p.bdims[k];
        offA += d * p.bsa[k];
        offB += d * p.bsb[k];
    }
}

// Y[bi][m][n] from its reduction `sum`: alpha, beta * C (broadcast through cRow, cCol), the
// activation.
void storeY(uint bi, uint m, uint n, float sum) {
    float v = p.alpha * sum;
    if (HAS_C == 1u) v += p.beta * texelFetch(c, int(m * p.cRow + n * p.cCol)).x;
    y[(bi * p.M + m) * p.N + n] = sfloat(activate(ACT, v, p.actA, p.actB));
}
