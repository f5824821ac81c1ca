// SPDX-License-Identifier: Apache-2.0
#version 450
// ConvTranspose (1-D, 2-D, 3-D; 1-D and 2-D have leading axes of size 1) in its gather form:
//     y[m][o] = bias[m] + sum over taps t and channels c of the group of W[c][m][t] * x[c][i],
// where per axis i = (o + padBegin - t*dilation) / stride, for the taps where that division is
// exact and i lies in the input. Each invocation computes 8 output channels of one output
// position: the taps loop outside (an invalid one costs a few integer ops), the channels inside,
// each input value fetched once for the 8 channels. Weights are repacked as
// [group][block of 8 channels][tap][c][8] (two vec4 texels per (tap, c)). No atomics: every
// output is written by one invocation. Grid-stride over (channel block, position).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint KD = 1;
layout(constant_id = 2) const uint KH = 1;
layout(constant_id = 3) const uint KW = 1;
layout(constant_id = 4) const int SD = 1;
layout(constant_id = 5) const int SH = 1;
layout(constant_id = 6) const int SW = 1;
layout(constant_id = 7) const int DD = 1;
layout(constant_id = 8) const int DH = 1;
layout(constant_id = 9) const int DW = 1;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;     // rgba: [g][mb][tap][c][2]
layout(binding = 2) uniform samplerBuffer bias;  // rgba: [g][mb][2]
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint C, D, H, W, M, OD, OH, OW;
    int pf, pt, pl;
    uint Cg, Mg, mBlocks, count;  // count = mBlocks * OD * OH * OW
    float actA, actB;
} p;

// The input index along one axis that output o reads through tap k, or -1 (no such input).
int source(int o, int pad, uint k, int dil, int stride, uint size) {
    const int num = o + pad - int(k) * dil;
    if (num < 0 || num % stride != 0) return -1;
    const int i = num / stride;
    return i < int(size) ? i : -1;
}

void main() {
    const uint g = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
    const uint P = p.OD * p.OH * p.OW, inPlane = p.D * p.H * p.W;
    const uint taps = KD * KH * KW;
    for (uint id = gl_GlobalInvocationID.x; id < p.count; id += gl_NumWorkGroups.x * 64u) {
        const uint mb = id / P, q = id - mb * P;
        const uint oz = q / (p.OH * p.OW), r = q - oz * p.OH * p.OW;
        const uint oy = r / p.OW, ox = r - oy * p.OW;
        vec4 a0 = vec4(0.0), a1 = vec4(0.0);
        const int xg = int((n * p.C + g * p.Cg) * inPlane);
        const int wBlock = int((g * p.mBlocks + mb) * taps * p.Cg * 2u);
        for (uint kz = 0u; kz < KD; ++kz) {
            const int iz = source(int(oz), p.pf, kz, DD, SD, p.D);
            if (iz < 0) continue;
            for (uint ky = 0u; ky < KH; ++ky) {
                const int iy = source(int(oy), p.pt, ky, DH, SH, p.H);
                if (iy < 0) continue;
                for (uint kx = 0u; kx < KW; ++kx) {
                    const int ix = source(int(ox), p.pl, kx, DW, SW, p.W);
                    if (ix < 0) continue;
                    const uint tap = (kz * KH + ky) * KW + kx;
                    int xi = xg + (iz * int(p.H) + iy) * int(p.W) + ix;
                    int wi = wBlock + int(tap * p.Cg * 2u);
                    for (uint c = 0u; c < p.Cg; ++c) {
                        const float v = texelFetch(x, xi).x;
                        a0 += texelFetch(w, wi) * v;
                        a1 += texelFetch(w, wi + 1) * v;
                        xi += int(inPlane);
                        wi += 2;
                    }
                }
            }
        }
        const int bi = int((g * p.mBlocks + mb) * 2u);
        a0 += texelFetch(bias, bi);
        a1 += texelFetch(bias, bi + 1);
        const uint m0 = mb * 8u;
        [[unroll]] for (uint i = 0u; i < 8u; ++i) {
            if (m0 + i >= p.Mg) break;
            const float v = i < 4u ? a0[i] : a1[i - 4u];
            y[(n * p.M + g * p.Mg + m0 + i) * P + q] = sfloat(activate(ACT, v, p.actA, p.actB));
        }
    }
}
