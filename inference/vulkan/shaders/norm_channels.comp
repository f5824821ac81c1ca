// SPDX-License-Identifier: Apache-2.0
#version 450
// LayerNormalization over one axis that is not the last (graph::kNormOneAxis: ConvNeXt's
// channel LayerNorm in NCHW; vk_norm.cpp), the GPU form of cpu/norm_channels.cpp. x is
// [outer][C][P] and each pixel (o, j) is normalised over its C values, which lie P apart.
// norm.comp's one workgroup per row would read them one strided element per invocation, 64
// sectors for 64 floats, and run a six-level tree per pixel. Here a workgroup takes PX
// neighbouring pixels of one image and CG = 256 / PX channel groups: invocation (px, cg) walks
// channels cg, cg + CG, ... of pixel px, so neighbouring invocations read neighbouring floats.
// Three passes as on the CPU: the mean, the variance about it, the output; the channel groups'
// sums are added in shared memory (log2 CG levels). Each pixel's values are taken less its
// first one, x0 (x - x0 is exact for x near x0, so a large offset costs no precision).
// vk_norm.cpp picks PX: the widest that still gives the GPU enough workgroups.
#include "common.glsl"
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint HAS_BIAS = 0;
layout(constant_id = 1) const uint PX = 64;  // pixels per workgroup: a power of two, 4..64
const uint CG = 256u / PX;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer S { sfloat scale[]; };
layout(std430, binding = 2) readonly buffer B { sfloat bias[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint outer, C, P, blocks;  // blocks: pixel blocks of PX per image
    float eps;
} p;

shared float sSum[256];  // [cg][px]

// The sum of v over the CG channel groups of this invocation's pixel (every invocation gets it).
float channelSum(float v, uint lid) {
    sSum[lid] = v;
    barrier();
    for (uint s = CG / 2u; s > 0u; s >>= 1) {
        if (lid < s * PX) sSum[lid] += sSum[lid + s * PX];
        barrier();
    }
    const float total = sSum[lid % PX];
    barrier();  // everyone has read it before the next sum overwrites it
    return total;
}

void main() {
    const uint lid = gl_LocalInvocationID.x, px = lid % PX, cg = lid / PX;
    const float invC = 1.0 / float(p.C);
    for (uint u = gl_WorkGroupID.x; u < p.outer * p.blocks; u += gl_NumWorkGroups.x) {
        const uint o = u / p.blocks, j = (u - o * p.blocks) * PX + px;
        const bool inside = j < p.P;
        const uint base = o * p.C * p.P + min(j, p.P - 1u);
        const float x0 = float(x[base]);
        float s = 0.0;
        if (inside)
            for (uint c = cg; c < p.C; c += CG) s += float(x[base + c * p.P]) - x0;
        const float mu = channelSum(s, lid) * invC;
        float q = 0.0;
        if (inside)
            for (uint c = cg; c < p.C; c += CG) {
                const float d = (float(x[base + c * p.P]) - x0) - mu;
                q += d * d;
            }
        const float inv = 1.0 / sqrt(channelSum(q, lid) * invC + p.eps);
        if (inside)
            for (uint c = cg; c < p.C; c += CG) {
                const uint at = base + c * p.P;
                const float b = HAS_BIAS != 0u ? float(bias[c]) : 0.0;
                y[at] = sfloat(((float(x[at]) - x0) - mu) * (inv * float(scale[c])) + b);
            }
    }
}
