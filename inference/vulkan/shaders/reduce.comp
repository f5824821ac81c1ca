// SPDX-License-Identifier: Apache-2.0
#version 450
// The reductions (vk_reduce.cpp: Reduce*, GlobalMaxPool) over graph::planReduce's nest, as the
// CPU kernel: sums Kahan-compensated (the CPU sums in double), LogSumExp with the maximum
// subtracted before exp, Max/Min propagating NaN.
//  GROUP 0: one invocation per output (short reductions; neighbouring invocations read
//           neighbouring addresses when the reduced axes are not the last).
//  GROUP 1: one workgroup per output (long reductions): each invocation reduces every 64th
//           element, then a tree in shared memory (pairwise, so no long running sum either).
#include "common.glsl"
#include "reduce_nest.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;
layout(constant_id = 1) const uint GROUP = 0;

// OP: the reduction (vk_reduce.cpp's ReduceCode, in this order).
#define RED_SUM 0u
#define RED_MEAN 1u
#define RED_MAX 2u
#define RED_MIN 3u
#define RED_PROD 4u
#define RED_L1 5u
#define RED_L2 6u
#define RED_SUMSQUARE 7u
#define RED_LOGSUM 8u
#define RED_LOGSUMEXP 9u

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint outCount, redCount, nKept, nRed;
    uvec4 keptDims, keptStrides, redDims, redStrides;
} p;

shared float partials[64];

// Max/Min (and LogSumExp's first pass, a max): NaN wins, as numpy's maximum.reduce.
float pick(bool isMax, float acc, float v) { return (isMax ? v > acc : v < acc) || isnan(v) ? v : acc; }

// LogSumExp runs two passes: the maximum (sumPass false), then sum(exp(x - m)). Every other
// reduction runs one (sumPass true).
bool extremePass(bool sumPass) { return OP == RED_MAX || OP == RED_MIN || (OP == RED_LOGSUMEXP && !sumPass); }

float combine(float a, float b, bool sumPass) {
    if (extremePass(sumPass)) return pick(OP != RED_MIN, a, b);
    if (OP == RED_PROD) return a * b;
    return a + b;
}

// Elements r0, r0 + step, ... of the output at `base`, reduced.
float partial(uint base, uint r0, uint step, bool sumPass, float m) {
    if (extremePass(sumPass)) {
        const bool isMax = OP != RED_MIN;
        float acc = isMax ? -infinity() : infinity();
        for (uint r = r0; r < p.redCount; r += step) acc = pick(isMax, acc, float(x[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)]));
        return acc;
    }
    if (OP == RED_PROD) {
        float acc = 1.0;
        for (uint r = r0; r < p.redCount; r += step) acc *= float(x[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)]);
        return acc;
    }
    float s = 0.0, c = 0.0;
    for (uint r = r0; r < p.redCount; r += step) {
        const float v = float(x[base + nestOffset(r, p.nRed, p.redDims, p.redStrides)]);
        float t = v;
        if (OP == RED_L1) t = abs(v);
        else if (OP == RED_L2 || OP == RED_SUMSQUARE) t = v * v;
        else if (OP == RED_LOGSUMEXP) t = exp(v - m);
        kahanAdd(s, c, t);
    }
    return s;
}

float finish(float acc, float m) {
    if (OP == RED_MEAN) return acc / float(p.redCount);
    if (OP == RED_L2) return sqrt(acc);
    if (OP == RED_LOGSUM) return log(acc);
    // An infinite or NaN maximum is the result (all -inf: log(0) = -inf).
    if (OP == RED_LOGSUMEXP) return isinf(m) || isnan(m) ? m : m + log(acc);
    return acc;
}

float groupReduce(float v, bool sumPass) {
    const uint lid = gl_LocalInvocationID.x;
    partials[lid] = v;
    barrier();
    for (uint s = 32u; s > 0u; s >>= 1) {
        if (lid < s) partials[lid] = combine(partials[lid], partials[lid + s], sumPass);
        barrier();
    }
    const float r = partials[0];
    barrier();  // before the next output overwrites the partials
    return r;
}

void main() {
    if (GROUP == 1u) {
        const uint lid = gl_LocalInvocationID.x;
        for (uint o = gl_WorkGroupID.x; o < p.outCount; o += gl_NumWorkGroups.x) {
            const uint base = nestOffset(o, p.nKept, p.keptDims, p.keptStrides);
            float m = 0.0;
            if (OP == RED_LOGSUMEXP) m = groupReduce(partial(base, lid, 64u, false, 0.0), false);
            const float acc = groupReduce(partial(base, lid, 64u, true, m), true);
            if (lid == 0u) y[o] = sfloat(finish(acc, m));
        }
        return;
    }
    for (uint o = gl_GlobalInvocationID.x; o < p.outCount; o += gl_NumWorkGroups.x * 64u) {
        const uint base = nestOffset(o, p.nKept, p.keptDims, p.keptStrides);
        const float m = OP == RED_LOGSUMEXP ? partial(base, 0u, 1u, false, 0.0) : 0.0;
        y[o] = sfloat(finish(partial(base, 0u, 1u, true, m), m));
    }
}
