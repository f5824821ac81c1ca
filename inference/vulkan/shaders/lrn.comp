// SPDX-License-Identifier: Apache-2.0
#version 450
// Local response normalisation across channels, ONNX form, one invocation per value:
//   y = x / (bias + alpha/size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)]) ^ beta
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, C, plane, before, after;
    float scale, beta, bias, actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const uint q = i / p.plane, s = i - q * p.plane;
        const uint n = q / p.C, c = q - n * p.C;
        const uint lo = c >= p.before ? c - p.before : 0u;
        const uint hi = min(p.C - 1u, c + p.after);
        float sq = 0.0;
        for (uint cc = lo; cc <= hi; ++cc) {
            const float v = float(x[(n * p.C + cc) * p.plane + s]);
            sq += v * v;
        }
        const float v = float(x[i]);
        y[i] = sfloat(activate(ACT, v * pow(p.bias + p.scale * sq, -p.beta), p.actA, p.actB));
    }
}
