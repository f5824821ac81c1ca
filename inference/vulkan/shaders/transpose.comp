#version 450
// General N-D transpose (rank <= 6 after merging), one invocation per output value: the
// output index is split over the output's axes and each digit times that axis' input stride.
#include "common.glsl"
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint count, rank;
    uint dims[6];
    uint st[6];
} p;

void main() {
    const uint stride = gl_NumWorkGroups.x * 64u;
    for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
        uint rem = i, off = 0u;
        for (int k = int(p.rank) - 1; k >= 0; --k) {
            const uint c = rem % p.dims[k];
            rem /= p.dims[k];
            off += c * p.st[k];
        }
        y[i] = x[off];
    }
}
