// SPDX-License-Identifier: Apache-2.0
#version 450
// Moves the caller's fp32 input into the arena in storage precision (DIR 0), and the arena's
// outputs back to fp32 (DIR 1). Only the fp16 sessions need it; fp32 sessions copy buffers.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DIR = 0;

layout(std430, binding = 0) readonly buffer SrcF { float srcF[]; };
layout(std430, binding = 0) readonly buffer SrcS { sfloat srcS[]; };
layout(std430, binding = 1) writeonly buffer DstF { float dstF[]; };
layout(std430, binding = 1) writeonly buffer DstS { sfloat dstS[]; };
layout(push_constant) uniform Push { uint count; } p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        if (DIR == 0u) dstS[i] = sfloat(srcF[i]);
        else dstF[i] = float(srcS[i]);
    }
}
