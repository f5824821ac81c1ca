// SPDX-License-Identifier: Apache-2.0
#version 450
// CumSum along one axis: one invocation per (outer, inner) column, walking its `len` values
// (spaced `inner` apart) forwards or in reverse with a Kahan-compensated running sum (the CPU
// keeps it in double); exclusive writes the sum before adding the element.
#include "common.glsl"
#include "reduce_nest.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint EXCLUSIVE = 0;
layout(constant_id = 1) const uint REVERSE = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push { uint outer, len, inner; } p;

void main() {
    const uint columns = p.outer * p.inner;
    for (uint c = gl_GlobalInvocationID.x; c < columns; c += gl_NumWorkGroups.x * 64u) {
        const uint o = c / p.inner, j = c - o * p.inner;
        const uint base = o * p.len * p.inner + j;
        float s = 0.0, comp = 0.0;
        for (uint step = 0u; step < p.len; ++step) {
            const uint k = REVERSE != 0u ? p.len - 1u - step : step;
            const uint at = base + k * p.inner;
            const float v = float(x[at]);
            if (EXCLUSIVE != 0u) y[at] = sfloat(s);
            kahanAdd(s, comp, v);
            if (EXCLUSIVE == 0u) y[at] = sfloat(s);
        }
    }
}
