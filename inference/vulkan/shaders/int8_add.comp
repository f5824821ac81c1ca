// SPDX-License-Identifier: Apache-2.0
#version 450
// A quantised Add of two 8-bit tensors of one shape (INT8.md): the sum of their reals, the
// activation, then rounded onto the output's grid (OUT_FLOAT = 0) or stored as a float.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint OUT_FLOAT = 0;

layout(std430, binding = 0) readonly buffer A { uint8_t a[]; };
layout(std430, binding = 1) readonly buffer B { uint8_t b[]; };
layout(std430, binding = 2) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 2) writeonly buffer YF { sfloat yf[]; };
layout(push_constant) uniform Push {
    uint count;
    float scaleA, scaleB;
    int zeroA, zeroB;
    uint signedA, signedB;
    float invScale;  // the output's grid
    int zero, lo, hi;
    float actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const float ra = float(codeOf(uint(a[i]), p.signedA != 0u) - p.zeroA) * p.scaleA;
        const float rb = float(codeOf(uint(b[i]), p.signedB != 0u) - p.zeroB) * p.scaleB;
        const float r = activate(ACT, ra + rb, p.actA, p.actB);
        if (OUT_FLOAT == 1u) yf[i] = sfloat(r);
        else y8[i] = uint8_t(quantizeToByte(r, p.invScale, p.zero, p.lo, p.hi));
    }
}
