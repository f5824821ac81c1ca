// SPDX-License-Identifier: Apache-2.0
#version 450
// A squeeze-and-excitation block (vk_squeeze_excite.cpp) in four dispatches, each with enough
// parallel work for a GPU (a block's planes may be few and large, 32 of 112x112, or many and
// small, 1152 of 7x7; its gate a product of up to 1152 x 48):
//   MODE 0: means[n][c] = mean of x's plane (n, c), one workgroup per plane: the invocations
//           stride over it and a tree in shared memory adds their 64 sums.
//   MODE 1: hidden[n][r] = act1(W1[r] . means[n] + b1[r]), one workgroup per (r, n), the same
//           way over c.
//   MODE 2: gate[n][c] = act2(W2[c] . hidden[n] + b2[c]), one invocation per (n, c).
//   MODE 3: y = actOut(x * gate[plane]), 4 values of one plane per invocation (grid-stride).
// means, gate and hidden are fp32 in the workspace ([means N x C | gate N x C | hidden N x Cr]);
// the weights are one blob [W1 (Cr x C) | b1 (Cr) | W2 (C x Cr) | b2 (C)]. Texel reads of x and
// the weights; VEC4 (planes of a multiple of 4 values): x is read as four-float texels and y
// written 4 values at a time.
#include "common.glsl"
#include "workgroup_reduce.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;
layout(constant_id = 1) const uint ACT1 = 0;
layout(constant_id = 2) const uint ACT2 = 0;
layout(constant_id = 3) const uint ACT_OUT = 0;
layout(constant_id = 4) const uint VEC4 = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;
layout(std430, binding = 2) buffer Work { float ws[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(std430, binding = 3) writeonly buffer Y4 { svec4 y4[]; };
layout(push_constant) uniform Push {
    uint N, C, Cr, plane;
    float act1A, act1B, act2A, act2B, outA, outB;
} p;

void main() {
    const uint NC = p.N * p.C, l = gl_LocalInvocationID.x;
    if (MODE == 0u) {
        for (uint q = gl_WorkGroupID.x; q < NC; q += gl_NumWorkGroups.x) {
            float s = 0.0;
            if (VEC4 == 1u) {
                const int base = int(q * p.plane / 4u);
                vec4 acc = vec4(0.0);
                for (uint i = l; i < p.plane / 4u; i += 64u) acc += texelFetch(x, base + int(i));
                s = (acc.x + acc.y) + (acc.z + acc.w);
            } else {
                const int base = int(q * p.plane);
                for (uint i = l; i < p.plane; i += 64u) s += texelFetch(x, base + int(i)).x;
            }
            s = workgroupSum(s);
            if (l == 0u) ws[q] = s / float(p.plane);
        }
    } else if (MODE == 1u) {
        const uint r = gl_WorkGroupID.x, n = gl_WorkGroupID.y;
        const int row = int(r * p.C);
        float acc = 0.0;
        for (uint c = l; c < p.C; c += 64u) acc += texelFetch(w, row + int(c)).x * ws[n * p.C + c];
        acc = workgroupSum(acc);
        if (l == 0u) ws[2u * NC + n * p.Cr + r] = activate(ACT1, acc + texelFetch(w, int(p.Cr * p.C + r)).x, p.act1A, p.act1B);
    } else if (MODE == 2u) {
        const uint q = gl_GlobalInvocationID.x;
        if (q >= NC) return;
        const uint n = q / p.C, c = q - n * p.C;
        const int w2 = int(p.Cr * p.C + p.Cr), b2 = w2 + int(p.C * p.Cr);
        const int row = w2 + int(c * p.Cr);
        float acc = texelFetch(w, b2 + int(c)).x;
        for (uint r = 0u; r < p.Cr; ++r) acc += texelFetch(w, row + int(r)).x * ws[2u * NC + n * p.Cr + r];
        ws[NC + q] = activate(ACT2, acc, p.act2A, p.act2B);
    } else {
        const uint quads = (p.plane + 3u) / 4u;
        for (uint t = gl_GlobalInvocationID.x; t < NC * quads; t += gl_NumWorkGroups.x * 64u) {
            const uint q = t / quads, i0 = (t - q * quads) * 4u;
            const float g = ws[NC + q];
            if (VEC4 == 1u) {
                y4[t] = svec4(activate4(ACT_OUT, texelFetch(x, int(t)) * g, p.outA, p.outB));  // plane % 4 == 0: quad t is texel t
                continue;
            }
            const uint base = q * p.plane;
            [[unroll]] for (uint k = 0u; k < 4u; ++k) {
                if (i0 + k >= p.plane) break;
                y[base + i0 + k] = sfloat(activate(ACT_OUT, texelFetch(x, int(base + i0 + k)).x * g, p.outA, p.outB));
            }
        }
    }
}
