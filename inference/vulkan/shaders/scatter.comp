// SPDX-License-Identifier: Apache-2.0
#version 450
// ScatterElements / ScatterND (graph::planScatter), after the data was copied into the output:
// one invocation per element of every group; each group owns its output elements, so its
// updates apply in the model's order with no atomics. The plan (32-bit words):
// target[groups], first[groups + 1], update[updates].
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint REDUCE = 0;  // graph::ScatterReduce: 0 none, 1 add, 2 mul, 3 max, 4 min

layout(std430, binding = 0) readonly buffer U { sfloat upd[]; };
layout(std430, binding = 1) readonly buffer Plan { int plan[]; };
layout(std430, binding = 2) buffer Y { sfloat y[]; };
layout(push_constant) uniform Push { uint count, groups, slice; } p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        const uint g = i / p.slice, e = i - g * p.slice;
        const int t = plan[g] + int(e);
        float acc = float(y[t]);
        const int b = plan[p.groups + g], end = plan[p.groups + g + 1u];
        for (int u = b; u < end; ++u) {
            const float v = float(upd[plan[2u * p.groups + 1u + uint(u)] + int(e)]);
            if (REDUCE == 0u) acc = v;
            else if (REDUCE == 1u) acc += v;
            else if (REDUCE == 2u) acc *= v;
            else if (REDUCE == 3u) acc = max(acc, v);
            else acc = min(acc, v);
        }
        y[t] = sfloat(acc);
    }
}
