// SPDX-License-Identifier: Apache-2.0
#version 450
// A squeeze-and-excitation block (vk_squeeze_excite.cpp) in three dispatches:
//   MODE 0: means[n][c] = mean of x's plane (n, c), one plane per invocation (grid-stride).
//   MODE 1: gate[n] = act2(W2 act1(W1 means[n] + b1) + b2), one workgroup per image: the
//           hidden vector in shared memory, rows strided over the 64 invocations.
//   MODE 2: y = actOut(x * gate[plane]), 4 values of one plane per invocation (grid-stride).
// means and gate are fp32 in the workspace ([2][N][C]); the weights are one blob
// [W1 (Cr x C) | b1 (Cr) | W2 (C x Cr) | b2 (C)]. Texel reads of x and the weights; VEC4 (planes
// of a multiple of 4 values): x is read as four-float texels and y written 4 values at a time.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;
layout(constant_id = 1) const uint ACT1 = 0;
layout(constant_id = 2) const uint ACT2 = 0;
layout(constant_id = 3) const uint ACT_OUT = 0;
layout(constant_id = 4) const uint VEC4 = 0;
const uint MAX_HIDDEN = 1024u;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;
layout(std430, binding = 2) buffer Work { float ws[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(std430, binding = 3) writeonly buffer Y4 { svec4 y4[]; };
layout(push_constant) uniform Push {
    uint N, C, Cr, plane;
    float act1A, act1B, act2A, act2B, outA, outB;
} p;

shared float hidden[MAX_HIDDEN];

void main() {
    const uint NC = p.N * p.C;
    if (MODE == 0u) {
        for (uint q = gl_GlobalInvocationID.x; q < NC; q += gl_NumWorkGroups.x * 64u) {
            float s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
            if (VEC4 == 1u) {
                const int base = int(q * p.plane / 4u);
                vec4 acc = vec4(0.0);
                for (uint i = 0u; i < p.plane / 4u; ++i) acc += texelFetch(x, base + int(i));
                s0 = acc.x, s1 = acc.y, s2 = acc.z, s3 = acc.w;
            } else {
                const int base = int(q * p.plane);
                uint i = 0u;
                for (; i + 4u <= p.plane; i += 4u) {
                    s0 += texelFetch(x, base + int(i)).x;
                    s1 += texelFetch(x, base + int(i) + 1).x;
                    s2 += texelFetch(x, base + int(i) + 2).x;
                    s3 += texelFetch(x, base + int(i) + 3).x;
                }
                for (; i < p.plane; ++i) s0 += texelFetch(x, base + int(i)).x;
            }
            ws[q] = ((s0 + s1) + (s2 + s3)) / float(p.plane);
        }
    } else if (MODE == 1u) {
        const uint n = gl_WorkGroupID.x, l = gl_LocalInvocationID.x;
        const int b1 = int(p.Cr * p.C), w2 = b1 + int(p.Cr), b2 = w2 + int(p.C * p.Cr);
        for (uint r = l; r < p.Cr; r += 64u) {
            float acc = texelFetch(w, b1 + int(r)).x;
            const int row = int(r * p.C);
            for (uint c = 0u; c < p.C; ++c) acc += texelFetch(w, row + int(c)).x * ws[n * p.C + c];
            hidden[r] = activate(ACT1, acc, p.act1A, p.act1B);
        }
        barrier();
        for (uint c = l; c < p.C; c += 64u) {
            float acc = texelFetch(w, b2 + int(c)).x;
            const int row = w2 + int(c * p.Cr);
            for (uint r = 0u; r < p.Cr; ++r) acc += texelFetch(w, row + int(r)).x * hidden[r];
            ws[NC + n * p.C + c] = activate(ACT2, acc, p.act2A, p.act2B);
        }
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
