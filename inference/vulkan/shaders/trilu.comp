// SPDX-License-Identifier: Apache-2.0
#version 450
// Trilu: y = x on the upper (j - i >= k) or lower (j - i <= k) triangle of every matrix in the
// last two axes, 0 elsewhere; one invocation per value.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint UPPER = 1;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push { uint count, rows, cols; int k; } p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const int j = int(i % p.cols), row = int((i / p.cols) % p.rows);
        const bool keep = UPPER == 1u ? j - row >= p.k : j - row <= p.k;
        const float v = float(x[i]);
        y[i] = sfloat(keep ? v : 0.0);
    }
}
