// SPDX-License-Identifier: Apache-2.0
#version 450
// LayerNormalization, InstanceNormalization and MeanVarianceNormalization (vk_norm.cpp): one
// workgroup per row (kept index of graph::planReduce's nest over the normalised axes).
// Each invocation runs Welford's update over every 64th element of the row, the 64 states are
// merged pairwise in shared memory (Chan et al.), then every invocation writes its elements:
// y = (x - mean) * inv * scale + bias, inv = 1 / (sqrt(var + epsIn) + epsOut). As on the CPU,
// everything is relative to the row's first element x0 (x - x0 is exact for x near x0; x - mean
// would round a large mean to float first).
#include "common.glsl"
#include "reduce_nest.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint AFFINE = 0;  // 0 none (MVN), 1 scale/bias per element of the row (LayerNorm), 2 per channel (InstanceNorm)
layout(constant_id = 1) const uint HAS_BIAS = 0;
layout(constant_id = 2) const uint HAS_MEAN = 0;    // LayerNorm's optional outputs
layout(constant_id = 3) const uint HAS_INVSTD = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer S { sfloat scale[]; };
layout(std430, binding = 2) readonly buffer B { sfloat bias[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(std430, binding = 4) writeonly buffer M { sfloat meanOut[]; };
layout(std430, binding = 5) writeonly buffer I { sfloat invOut[]; };
layout(push_constant) uniform Push {
    uint rows, count, nKept, nRed;
    uvec4 keptDims, keptStrides, redDims, redStrides;
    float epsIn, epsOut;
    uint channels;
} p;

shared float sN[64], sMean[64], sM2[64];

void main() {
    const uint lid = gl_LocalInvocationID.x;
    for (uint o = gl_WorkGroupID.x; o < p.rows; o += gl_NumWorkGroups.x) {
        const uint base = nestOffset(o, p.nKept, p.keptDims, p.keptStrides);
        const float x0 = float(x[base]);
        float n = 0.0, mean = 0.0, m2 = 0.0;  // of x - x0
        for (uint r = lid; r < p.count; r += 64u) {
            const float v = float(x[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)]) - x0;
            n += 1.0;
            const float d = v - mean;
            mean += d / n;
            m2 += d * (v - mean);
        }
        sN[lid] = n;
        sMean[lid] = mean;
        sM2[lid] = m2;
        barrier();
        for (uint s = 32u; s > 0u; s >>= 1) {
            if (lid < s) {
                const float na = sN[lid], nb = sN[lid + s], nt = na + nb;
                if (nb > 0.0) {
                    const float d = sMean[lid + s] - sMean[lid];
                    sMean[lid] += d * (nb / nt);
                    sM2[lid] += sM2[lid + s] + d * d * (na * nb / nt);
                    sN[lid] = nt;
                }
            }
            barrier();
        }
        const float mu = sMean[0];
        const float var = max(sM2[0] / float(p.count), 0.0);
        const float inv = 1.0 / (sqrt(var + p.epsIn) + p.epsOut);
        barrier();  // everyone has read the totals before the next row overwrites them
        if (lid == 0u) {
            if (HAS_MEAN != 0u) meanOut[o] = sfloat(x0 + mu);
            if (HAS_INVSTD != 0u) invOut[o] = sfloat(inv);
        }
        float a = inv, b = 0.0;
        if (AFFINE == 2u) {
            const uint c = o % p.channels;
            a = inv * float(scale[c]);
            if (HAS_BIAS != 0u) b = float(bias[c]);
        }
        for (uint r = lid; r < p.count; r += 64u) {
            const uint at = base + nestOffset(r, p.nRed, p.redDims, p.redStrides);
            float v = (float(x[at]) - x0) - mu;
            if (AFFINE == 1u) v = v * (inv * float(scale[r])) + (HAS_BIAS != 0u ? float(bias[r]) : 0.0);
            else v = v * a + b;
            y[at] = sfloat(v);
        }
    }
}
