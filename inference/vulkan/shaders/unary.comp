// SPDX-License-Identifier: Apache-2.0
#version 450
// Pointwise activations (Relu, Clip, LeakyRelu, Sigmoid, each possibly followed by a fused
// second one) and copies with an activation: Concat's per-input block copies, Reshape /
// Flatten when a pass fused an activation into them.
//   BLOCK 0: y[i] = act2(act1(x[i])), i < count
//   BLOCK 1: y[o*dstStride + dstStart + j] = act2(act1(x[o*blk + j])), i = o*blk + j < count
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT1 = 0;
layout(constant_id = 1) const uint ACT2 = 0;
layout(constant_id = 2) const uint BLOCK = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, blk, dstStride, dstStart;
    float a1, b1, a2, b2;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        float v = activate(ACT2, activate(ACT1, float(x[i]), p.a1, p.b1), p.a2, p.b2);
        uint d = i;
        if (BLOCK == 1u) {
            const uint o = i / p.blk;
            d = o * p.dstStride + p.dstStart + (i - o * p.blk);
        }
        y[d] = sfloat(v);
    }
}
