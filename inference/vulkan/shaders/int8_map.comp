// SPDX-License-Identifier: Apache-2.0
#version 450
// 8-bit codes through a 256-entry table (INT8.md): a unary function of the reals, or a change
// of scale, zero point or type (views, Concat's parts), computed on the host as the CPU
// backend computes it. Over a block layout, so one dispatch also places a Concat part:
// y[o * dstStride + dstStart + j] = table[x[o * blk + j]] for o < outer, j < blk.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { uint8_t x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint8_t y[]; };
layout(std430, binding = 2) readonly buffer Table { uint table[]; };  // 256 entries
layout(push_constant) uniform Push {
    uint outer, blk, dstStride, dstStart;
} p;

void main() {
    const uint count = p.outer * p.blk, stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < count; i += stride) {
        const uint o = i / p.blk, j = i - o * p.blk;
        y[o * p.dstStride + p.dstStart + j] = uint8_t(table[uint(x[i])]);
    }
}
