// SPDX-License-Identifier: Apache-2.0
#version 450
// Resize / Upsample (graph::planResize), one invocation per output value: the sum over every
// combination of one tap per axis of the product of the taps' weights times the input there.
// The plan (32-bit words): per axis (rank <= 8) six words -- out, taps, index table, weight
// table (float bits), outside table, input stride -- then the tables. An output coordinate
// marked outside (tf_crop_and_resize) gives the extrapolation value.
#include "common.glsl"
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer Plan { int plan[]; };
layout(std430, binding = 2) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    float extrapolation;
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    const int r = int(p.rank);
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint c[8];
        uint rem = i, combos = 1u;
        bool outside = false;
        for (int k = r - 1; k >= 0; --k) {
            const uint extent = uint(plan[6 * k]);
            c[k] = rem % extent;
            rem /= extent;
            outside = outside || plan[plan[6 * k + 4] + int(c[k])] != 0;
            combos *= uint(plan[6 * k + 1]);
        }
        if (outside) {
            y[i] = sfloat(p.extrapolation);
            continue;
        }
        float acc = 0.0;
        for (uint m = 0u; m < combos; ++m) {
            uint left = m;
            float w = 1.0;
            int off = 0;
            for (int k = r - 1; k >= 0; --k) {
                const uint taps = uint(plan[6 * k + 1]);
                const uint t = left % taps;
                left /= taps;
                const int e = int(c[k] * taps + t);
                off += plan[plan[6 * k + 2] + e] * plan[6 * k + 5];
                w *= intBitsToFloat(plan[plan[6 * k + 3] + e]);
            }
            if (w != 0.0) acc += w * float(x[off]);
        }
        y[i] = sfloat(acc);
    }
}
