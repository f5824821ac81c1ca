// SPDX-License-Identifier: Apache-2.0
#version 450
// LayerNormalization, InstanceNormalization and MeanVarianceNormalization (vk_norm.cpp), rows of
// graph::planReduce's nest over the normalised axes, in one of two forms:
//  - registers (TPR > 0; rows of at most 64 x 16 elements: every LayerNorm of the zoo): TPR
//    invocations per row, 64 / TPR rows per workgroup, each invocation holding at most 16 of
//    its row's elements in registers: one read, the mean and then the squared deviations summed
//    over the row's invocations in shared memory (log2(TPR) steps each), one write. Where the
//    row is strided and its rows are adjacent (the channel axis of NCHW: graph::kNormOneAxis),
//    the invocations of one element index are adjacent instead (PIXEL_MAJOR), so a subgroup's
//    reads cover consecutive pixels of a channel. (The streaming form ran each such row -- 96
//    channels of one pixel -- on a whole workgroup, six barriers for 1.5 elements per
//    invocation, 9-13 us per ConvNeXt LayerNorm on an H200.)
//  - streaming (TPR = 0; longer rows: InstanceNorm's planes): one workgroup per row, each
//    invocation running Welford's update over every 64th element of the row, the 64 states
//    merged pairwise in shared memory (Chan et al.), then every invocation writing its elements.
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
layout(constant_id = 4) const uint TPR = 0;          // registers: invocations per row (a power of 2, <= 64); 0: streaming
layout(constant_id = 5) const uint PIXEL_MAJOR = 0;  // registers: invocation = lane * rows per group + row
const uint EPT = 16u;                                // registers: elements per invocation, at most

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

// The affine part of row o's element r: y = d * a + b for d = x - mean.
void affineOf(uint o, uint r, float inv, out float a, out float b) {
    a = inv;
    b = 0.0;
    if (AFFINE == 1u) {
        a = inv * float(scale[r]);
        if (HAS_BIAS != 0u) b = float(bias[r]);
    } else if (AFFINE == 2u) {
        const uint c = o % p.channels;
        a = inv * float(scale[c]);
        if (HAS_BIAS != 0u) b = float(bias[c]);
    }
}

// The sum of v over the TPR invocations of this invocation's row, for each of them.
float rowSum(float v, uint row, uint lane, uint rowsPerGroup) {
    const uint lid = gl_LocalInvocationID.x;
    sN[lid] = v;
    barrier();
    for (uint s = TPR / 2u; s > 0u; s >>= 1u) {
        if (lane < s) sN[lid] += sN[PIXEL_MAJOR == 1u ? (lane + s) * rowsPerGroup + row : row * TPR + lane + s];
        barrier();
    }
    const float total = sN[PIXEL_MAJOR == 1u ? row : row * TPR];
    barrier();
    return total;
}

void registerRows() {
    const uint lid = gl_LocalInvocationID.x, rowsPerGroup = 64u / TPR;
    const uint row = PIXEL_MAJOR == 1u ? lid % rowsPerGroup : lid / TPR, lane = PIXEL_MAJOR == 1u ? lid / rowsPerGroup : lid % TPR;
    for (uint o0 = gl_WorkGroupID.x * rowsPerGroup; o0 < p.rows; o0 += gl_NumWorkGroups.x * rowsPerGroup) {
        const uint o = o0 + row;
        const bool live = o < p.rows;
        const uint base = live ? nestOffset(o, p.nKept, p.keptDims, p.keptStrides) : 0u;
        const float x0 = live ? float(x[base]) : 0.0;
        float v[EPT];
        float s = 0.0;
        [[unroll]] for (uint i = 0u; i < EPT; ++i) {
            const uint r = lane + i * TPR;
            v[i] = live && r < p.count ? float(x[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)]) - x0 : 0.0;
            s += v[i];
        }
        const float mu = rowSum(s, row, lane, rowsPerGroup) / float(p.count);
        float q = 0.0;
        [[unroll]] for (uint i = 0u; i < EPT; ++i) {
            const float d = v[i] - mu;
            if (lane + i * TPR < p.count) q += d * d;
        }
        const float var = max(rowSum(q, row, lane, rowsPerGroup) / float(p.count), 0.0);
        const float inv = 1.0 / (sqrt(var + p.epsIn) + p.epsOut);
        if (!live) continue;
        if (lane == 0u) {
            if (HAS_MEAN != 0u) meanOut[o] = sfloat(x0 + mu);
            if (HAS_INVSTD != 0u) invOut[o] = sfloat(inv);
        }
        [[unroll]] for (uint i = 0u; i < EPT; ++i) {
            const uint r = lane + i * TPR;
            if (r >= p.count) break;
            float a, b;
            affineOf(o, r, inv, a, b);
            y[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)] = sfloat((v[i] - mu) * a + b);
        }
    }
}

void streamingRows() {
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
        for (uint r = lid; r < p.count; r += 64u) {
            const uint at = base + nestOffset(r, p.nRed, p.redDims, p.redStrides);
            float a, b;
            affineOf(o, r, inv, a, b);
            y[at] = sfloat(((float(x[at]) - x0) - mu) * a + b);
        }
    }
}

void main() {
    if (TPR > 0u) registerRows();
    else streamingRows();
}
