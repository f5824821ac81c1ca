#version 450
// Softmax over `len` values spaced `inner` apart, one invocation per (outer, inner) column;
// the maximum is subtracted before exp, as on the CPU.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint outer, len, inner;
    float actA, actB;
} p;

void main() {
    const uint col = gl_GlobalInvocationID.x;
    if (col >= p.outer * p.inner) return;
    const uint o = col / p.inner, j = col - o * p.inner;
    const uint base = o * p.len * p.inner + j;
    float m = float(x[base]);
    for (uint k = 1u; k < p.len; ++k) m = max(m, float(x[base + k * p.inner]));
    float s = 0.0;
    for (uint k = 0u; k < p.len; ++k) s += exp(float(x[base + k * p.inner]) - m);
    const float inv = 1.0 / s;
    for (uint k = 0u; k < p.len; ++k)
        y[base + k * p.inner] = sfloat(activate(ACT, exp(float(x[base + k * p.inner]) - m) * inv, p.actA, p.actB));
}
