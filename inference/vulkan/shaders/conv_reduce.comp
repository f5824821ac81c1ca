// SPDX-License-Identifier: Apache-2.0
#version 450
// The second pass of a split convolution (conv_tiled.comp, PARTIAL 1): adds the slices'
// partial sums, the bias and the activation, one output value per invocation.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer Part { float part[]; };  // [slice][count]
layout(binding = 1) uniform samplerBuffer bias;                      // [M]
layout(std430, binding = 2) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, P, M, slices;
    float actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float v = texelFetch(bias, int((i / p.P) % p.M)).x;
        for (uint s = 0u; s < p.slices; ++s) v += part[s * p.count + i];
        y[i] = sfloat(activate(ACT, v, p.actA, p.actB));
    }
}
