// SPDX-License-Identifier: Apache-2.0
#version 450
// The softmax family over `len` values spaced `inner` apart, one invocation per (outer, inner)
// column: Softmax and LogSoftmax subtract the maximum before exp, as on the CPU; Hardmax
// writes 1 at the first maximum (arg_extreme.glsl's order) and 0 elsewhere.
// ROWS 1 (Softmax and LogSoftmax over contiguous rows of at least 64: attention's, 197 long):
// one workgroup per row instead, its invocations striding over it, the maximum and the sum
// taken by a tree in shared memory (one invocation per row would run 3 x 197 dependent loads).
#include "common.glsl"
#include "arg_extreme.glsl"
#include "workgroup_reduce.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint MODE = 0;  // 0 Softmax, 1 LogSoftmax, 2 Hardmax
layout(constant_id = 2) const uint ROWS = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint outer, len, inner;
    float actA, actB;
} p;

void mainRows() {
    const uint l = gl_LocalInvocationID.x;
    for (uint o = gl_WorkGroupID.x; o < p.outer; o += gl_NumWorkGroups.x) {
        const uint base = o * p.len;
        float m = float(x[base + l]);  // len >= 64
        for (uint k = l + 64u; k < p.len; k += 64u) m = max(m, float(x[base + k]));
        m = workgroupMax(m);
        float s = 0.0;
        for (uint k = l; k < p.len; k += 64u) s += exp(float(x[base + k]) - m);
        s = workgroupSum(s);
        const float shift = m + log(s), inv = 1.0 / s;
        for (uint k = l; k < p.len; k += 64u) {
            const float v = float(x[base + k]);
            y[base + k] = sfloat(activate(ACT, MODE == 1u ? v - shift : exp(v - m) * inv, p.actA, p.actB));
        }
    }
}

void main() {
    if (ROWS == 1u) {
        mainRows();
        return;
    }
    const uint col = gl_GlobalInvocationID.x;
    if (col >= p.outer * p.inner) return;
    const uint o = col / p.inner, j = col - o * p.inner;
    const uint base = o * p.len * p.inner + j;
    if (MODE == 2u) {
        uint at = 0u;
        float best = float(x[base]);
        for (uint k = 1u; k < p.len; ++k) {
            const float v = float(x[base + k * p.inner]);
            if (replacesExtreme(v, best, true, false)) {
                best = v;
                at = k;
            }
        }
        for (uint k = 0u; k < p.len; ++k) y[base + k * p.inner] = sfloat(activate(ACT, k == at ? 1.0 : 0.0, p.actA, p.actB));
        return;
    }
    float m = float(x[base]);
    for (uint k = 1u; k < p.len; ++k) m = max(m, float(x[base + k * p.inner]));
    float s = 0.0;
    for (uint k = 0u; k < p.len; ++k) s += exp(float(x[base + k * p.inner]) - m);
    if (MODE == 1u) {
        const float shift = m + log(s);
        for (uint k = 0u; k < p.len; ++k)
            y[base + k * p.inner] = sfloat(activate(ACT, float(x[base + k * p.inner]) - shift, p.actA, p.actB));
        return;
    }
    const float inv = 1.0 / s;
    for (uint k = 0u; k < p.len; ++k)
        y[base + k * p.inner] = sfloat(activate(ACT, exp(float(x[base + k * p.inner]) - m) * inv, p.actA, p.actB));
}
