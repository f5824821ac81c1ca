// SPDX-License-Identifier: Apache-2.0
#version 450
// Every pure index mapping (Transpose, Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth:
// graph::viewOf), one invocation per output value: the output index is split over the view's
// axes (rank <= 12 after merging) and each digit times that axis' input stride (0 repeats,
// negative walks back) added to the view's offset. ROUND_HALF: Cast to float16 in an fp32
// session (the value is rounded to half precision: roundToHalf).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ROUND_HALF = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    int offset;
    uint dims[12];
    int st[12];
} p;

// v rounded to the nearest float16 (ties to even; beyond 65504 + half an ulp, infinity), in
// integer arithmetic: NVIDIA's compiler folds unpackHalf2x16(packHalf2x16(v)) into v (an H100
// cast 70000 to float16 as 70000).
float roundToHalf(float v) {
    const uint u = floatBitsToUint(v), sign = u & 0x80000000u;
    uint a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return v;  // inf, NaN
    if (a < 0x38800000u) {           // below float16's smallest normal: multiples of 2^-24
        const float r = roundEven(uintBitsToFloat(a) * 16777216.0) * (1.0 / 16777216.0);
        return uintBitsToFloat(sign | floatBitsToUint(r));
    }
    a = (a + 0x0fffu + ((a >> 13) & 1u)) & ~0x1fffu;  // 10 mantissa bits, ties to even
    return uintBitsToFloat(sign | (a >= 0x47800000u ? 0x7f800000u : a));
}

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint rem = i;
        int off = p.offset;
        for (int k = int(p.rank) - 1; k >= 0; --k) {
            const uint c = rem % p.dims[k];
            rem /= p.dims[k];
            off += int(c) * p.st[k];
        }
        float v = float(x[off]);
        if (ROUND_HALF == 1u) v = roundToHalf(v);
        y[i] = sfloat(v);
    }
}
