// SPDX-License-Identifier: Apache-2.0
#version 450
// Pad (constant / reflect / edge / wrap), rank <= 6, one invocation per output value.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MODE = 0;  // 0 constant, 1 reflect, 2 edge, 3 wrap

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    uint outDims[6];
    uint inDims[6];
    int padBegin[6];
    float value;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint rem = i, off = 0u, step = 1u;
        bool inside = true;
        for (int k = int(p.rank) - 1; k >= 0; --k) {
            const uint o = rem % p.outDims[k];
            rem /= p.outDims[k];
            const int n = int(p.inDims[k]);
            int j = int(o) - p.padBegin[k];
            if (j < 0 || j >= n) {
                if (MODE == 0u) inside = false;
                else if (MODE == 2u) j = clamp(j, 0, n - 1);
                else if (MODE == 3u) j = j < 0 ? n - 1 - (-j - 1) % n : j % n;  // GLSL's % needs non-negative operands
                else j = n == 1 ? 0 : (j < 0 ? -j : 2 * (n - 1) - j);
            }
            off += uint(max(j, 0)) * step;
            step *= uint(n);
        }
        const float v = float(x[inside ? off : 0u]);  // never read out of bounds
        y[i] = sfloat(inside ? v : p.value);
    }
}
