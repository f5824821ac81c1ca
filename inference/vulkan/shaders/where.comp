// SPDX-License-Identifier: Apache-2.0
#version 450
// Where: y = cond ? x : z with numpy broadcasting of all three (vk_eltwise.cpp), the axes
// merged as for the binary ops into at most 6 dims with per-operand strides (0 = repeated).
// The condition is a boolean held as 0/1 (graph/ir.h).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer C { sfloat c[]; };
layout(std430, binding = 1) readonly buffer X { sfloat x[]; };
layout(std430, binding = 2) readonly buffer Z { sfloat z[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    uint dims[6];
    uint sc[6];
    uint sx[6];
    uint sz[6];
    float actA, actB;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint ic = 0u, ix = 0u, iz = 0u;
        uint rem = i;
        for (int k = int(p.rank) - 1; k >= 0; --k) {
            const uint d = p.dims[k];
            const uint q = rem % d;
            rem /= d;
            ic += q * p.sc[k];
            ix += q * p.sx[k];
            iz += q * p.sz[k];
        }
        const float v = float(c[ic]) != 0.0 ? float(x[ix]) : float(z[iz]);
        y[i] = sfloat(activate(ACT, v, p.actA, p.actB));
    }
}
