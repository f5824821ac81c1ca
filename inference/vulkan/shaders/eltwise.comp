// SPDX-License-Identifier: Apache-2.0
#version 450
// The pointwise ops of two inputs with numpy broadcasting and a fused activation (Add ... Xor,
// and each step of Sum / Mean / Min / Max; vk_eltwise.cpp). The host merges the axes (as the
// CPU kernel does) into at most 6 dims, each with a per-operand element stride (0 where that
// operand repeats). MODE 1: both operands contiguous and of the output's size. A variadic
// op's later steps bind the output as operand A too (read then written at the same index).
// Booleans are 0/1 (graph/ir.h).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint OP = 0;  // OP_* below (vk_eltwise.cpp's EltOp)
layout(constant_id = 1) const uint ACT = 0;
layout(constant_id = 2) const uint MODE = 0;

const uint OP_ADD = 0u, OP_SUB = 1u, OP_MUL = 2u, OP_DIV = 3u, OP_POW = 4u, OP_SQUARE = 5u, OP_FMOD = 6u, OP_PRELU = 7u,
           OP_MIN = 8u, OP_MAX = 9u, OP_ADD_DIV = 10u, OP_EQUAL = 11u, OP_LESS = 12u, OP_LESS_EQUAL = 13u, OP_GREATER = 14u,
           OP_GREATER_EQUAL = 15u, OP_AND = 16u, OP_OR = 17u, OP_XOR = 18u;

layout(std430, binding = 0) readonly buffer A { sfloat a[]; };
layout(std430, binding = 1) readonly buffer B { sfloat b[]; };
layout(std430, binding = 2) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    uint dims[6];
    uint sa[6];
    uint sb[6];
    float actA, actB;
    float param;  // OP_ADD_DIV: the divisor (Mean's input count)
} p;

float flag(bool c) { return c ? 1.0 : 0.0; }

float op(float u, float v) {
    if (OP == OP_ADD) return u + v;
    if (OP == OP_SUB) return u - v;
    if (OP == OP_MUL) return u * v;
    if (OP == OP_DIV) return u / v;
    if (OP == OP_POW) return powOf(u, v);
    if (OP == OP_SQUARE) return u * u;
    if (OP == OP_FMOD) return fmodOf(u, v);
    if (OP == OP_PRELU) return u < 0.0 ? u * v : u;
    // numpy's minimum/maximum: NaN in either operand gives NaN.
    if (OP == OP_MIN) return (u < v || isnan(u)) ? u : v;
    if (OP == OP_MAX) return (u > v || isnan(u)) ? u : v;
    if (OP == OP_ADD_DIV) return (u + v) / p.param;
    if (OP == OP_EQUAL) return flag(u == v);
    if (OP == OP_LESS) return flag(u < v);
    if (OP == OP_LESS_EQUAL) return flag(u <= v);
    if (OP == OP_GREATER) return flag(u > v);
    if (OP == OP_GREATER_EQUAL) return flag(u >= v);
    if (OP == OP_AND) return flag(u != 0.0 && v != 0.0);
    if (OP == OP_OR) return flag(u != 0.0 || v != 0.0);
    return flag((u != 0.0) != (v != 0.0));  // OP_XOR
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
