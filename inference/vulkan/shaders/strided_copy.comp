// SPDX-License-Identifier: Apache-2.0
#version 450
// Every pure index mapping (Transpose, Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth:
// graph::viewOf), one invocation per output value: the output index is split over the view's
// axes (rank <= 12 after merging) and each digit times that axis' input stride (0 repeats,
// negative walks back) added to the view's offset. ROUND_HALF: Cast to float16 in an fp32
// session (the value goes through half precision).
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
        if (ROUND_HALF == 1u) v = unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x;
        y[i] = sfloat(v);
    }
}
