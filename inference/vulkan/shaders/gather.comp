// SPDX-License-Identifier: Apache-2.0
#version 450
// Gather, GatherElements, GatherND (graph::planGather), one invocation per output value. The
// plan (32-bit words): dims[rank], dataSt[rank], idxSt[rank], limit[comps], compSt[comps].
// Indices are the session's floats (computed at run time, exact integers; IDX_FLOAT 1) or
// constant int32 words (IDX_FLOAT 0). An index out of range reads 0.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IDX_FLOAT = 1;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer IdxF { sfloat idxF[]; };
layout(std430, binding = 1) readonly buffer IdxI { int idxI[]; };
layout(std430, binding = 2) readonly buffer Plan { int plan[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push { uint count, rank, comps; } p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    const int r = int(p.rank);
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint rem = i;
        int dOff = 0, iOff = 0;
        for (int k = r - 1; k >= 0; --k) {
            const int c = int(rem % uint(plan[k]));
            rem /= uint(plan[k]);
            dOff += c * plan[r + k];
            iOff += c * plan[2 * r + k];
        }
        bool ok = true;
        for (int j = 0; j < int(p.comps); ++j) {
            const int lim = plan[3 * r + j];
            int v;
            if (IDX_FLOAT == 1u) {
                const float f = float(idxF[iOff + j]);
                ok = ok && f >= float(-lim) && f < float(lim);
                v = ok ? int(f) : 0;
            } else {
                v = idxI[iOff + j];
                ok = ok && v >= -lim && v < lim;
            }
            if (v < 0) v += lim;
            dOff += v * plan[3 * r + int(p.comps) + j];
        }
        const float val = float(x[ok ? dOff : 0]);  // never read out of bounds
        y[i] = sfloat(ok ? val : 0.0);
    }
}
