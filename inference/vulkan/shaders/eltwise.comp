#version 450
// Add / Sub / Mul / Div with numpy broadcasting and a fused activation. The host merges the
// axes (as the CPU kernel does) into at most 6 dims, each with a per-operand element stride
// (0 where that operand repeats). MODE 1: both operands contiguous and of the output's size.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;  // 0 add, 1 sub, 2 mul, 3 div
layout(constant_id = 1) const uint ACT = 0;
layout(constant_id = 2) const uint MODE = 0;

layout(std430, binding = 0) readonly buffer A { sfloat a[]; };
layout(std430, binding = 1) readonly buffer B { sfloat b[]; };
layout(std430, binding = 2) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    uint dims[6];
    uint sa[6];
    uint sb[6];
    float actA, actB;
} p;

float op(float u, float v) {
    if (OP == 0u) return u + v;
    if (OP == 1u) return u - v;
    if (OP == 2u) return u * v;
    return u / v;
}

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint ia = i, ib = i;
        if (MODE == 0u) {
            ia = 0u;
            ib = 0u;
            uint rem = i;
            for (int k = int(p.rank) - 1; k >= 0; --k) {
                const uint d = p.dims[k];
                const uint c = rem % d;
                rem /= d;
                ia += c * p.sa[k];
                ib += c * p.sb[k];
            }
        }
        y[i] = sfloat(activate(ACT, op(float(a[ia]), float(b[ib])), p.actA, p.actB));
    }
}
