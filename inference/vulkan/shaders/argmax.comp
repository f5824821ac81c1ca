// SPDX-License-Identifier: Apache-2.0
#version 450
// ArgMax / ArgMin along one axis: one invocation per output, scanning the `len` values of its
// column (spaced `inner` apart) in arg_extreme.glsl's order. The index is written as a float,
// how integers computed at run time are held (exact: the schema bounds the axis by 2^24).
#include "common.glsl"
#include "arg_extreme.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IS_MAX = 1;
layout(constant_id = 1) const uint SELECT_LAST = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push { uint outer, len, inner; } p;

void main() {
    const uint columns = p.outer * p.inner;
    for (uint c = gl_GlobalInvocationID.x; c < columns; c += gl_NumWorkGroups.x * 64u) {
        const uint o = c / p.inner, j = c - o * p.inner;
        const uint base = o * p.len * p.inner + j;
        uint at = 0u;
        float best = float(x[base]);
        for (uint k = 1u; k < p.len; ++k) {
            const float v = float(x[base + k * p.inner]);
            if (replacesExtreme(v, best, IS_MAX != 0u, SELECT_LAST != 0u)) {
                best = v;
                at = k;
            }
        }
        y[c] = sfloat(float(at));
    }
}
