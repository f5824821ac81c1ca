// SPDX-License-Identifier: Apache-2.0
#version 450
// QuantizeLinear (DEQUANTIZE = 0: floats in, 8-bit codes out) and DequantizeLinear
// (DEQUANTIZE = 1: 8-bit codes in, floats out), INT8.md, one invocation per element. Per-tensor
// parameters, or one scale and zero point per index along an axis: element i's channel is
// (i / inner) % channels. The parameters come from the host: the scales, then the zero points.

#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint DEQUANTIZE = 0;

layout(std430, binding = 0) readonly buffer XF { sfloat xf[]; };
layout(std430, binding = 0) readonly buffer X8 { uint8_t x8[]; };
layout(std430, binding = 1) writeonly buffer YF { sfloat yf[]; };
layout(std430, binding = 1) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 2) readonly buffer Params { uint params[]; };  // scale [channels], zero [channels]
layout(push_constant) uniform Push {
    uint count, inner, channels;
    uint isSigned;  // the 8-bit tensor is Int8
    int lo, hi;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const uint c = p.channels == 1u ? 0u : (i / p.inner) % p.channels;
        const float s = uintBitsToFloat(params[c]);
        const int zero = int(params[p.channels + c]);
        if (DEQUANTIZE == 1u) yf[i] = sfloat(float(codeOf(uint(x8[i]), p.isSigned != 0u) - zero) * s);
        else y8[i] = uint8_t(quantizeToByte(float(xf[i]), s, zero, p.lo, p.hi));
    }
}
