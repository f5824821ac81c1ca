// SPDX-License-Identifier: Apache-2.0
#version 450
// A quantised Add of two 8-bit tensors of one shape (INT8.md), as cpu/int8_ops.cpp's AddKernel
// computes it: real = ca a + (cb b + c0) (the terms from the host), then by OUT_MODE
//   0: (no activation, Relu or Clip) in steps of the output's grid, the codes read as unsigned
//      bytes (XOR flip, c0u): rounded, the zero point added, clamped to [lo, hi];
//   1: the activation, then rounded onto the output's grid;
//   2: the activation, stored as a float.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint OUT_MODE = 0;

layout(std430, binding = 0) readonly buffer A { uint8_t a[]; };
layout(std430, binding = 1) readonly buffer B { uint8_t b[]; };
layout(std430, binding = 2) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 2) writeonly buffer YF { sfloat yf[]; };
layout(push_constant) uniform Push {
    uint count;
    float ca, cb, c0;
    uint signedA, signedB;
    uint flipA, flipB;
    float c0u;
    float outScale;
    int zero, lo, hi;
    float actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        if (OUT_MODE == 0u) {
            const float v = float(uint(a[i]) ^ p.flipA) * p.ca + (float(uint(b[i]) ^ p.flipB) * p.cb + p.c0u);
            y8[i] = uint8_t(stepsToByte(v, p.zero, p.lo, p.hi));
            continue;
        }
        const float v = float(codeOf(uint(a[i]), p.signedA != 0u)) * p.ca + (float(codeOf(uint(b[i]), p.signedB != 0u)) * p.cb + p.c0);
        const float r = activate(ACT, v, p.actA, p.actB);
        if (OUT_MODE == 2u) yf[i] = sfloat(r);
        else y8[i] = uint8_t(quantizeToByte(r, p.outScale, p.zero, p.lo, p.hi));
    }
}
