// SPDX-License-Identifier: Apache-2.0
#version 450
// BatchNormalization (inference) folded at build time into y = a[c] * x + b[c]; the weights
// binding holds a[0..C) then b[0..C).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer AB { sfloat ab[]; };
layout(std430, binding = 2) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, C, plane;
    float actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const uint c = (i / p.plane) % p.C;
        y[i] = sfloat(activate(ACT, float(ab[c]) * float(x[i]) + float(ab[p.C + c]), p.actA, p.actB));
    }
}
