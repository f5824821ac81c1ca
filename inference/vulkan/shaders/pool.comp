#version 450
// MaxPool, AveragePool (count_include_pad either way) and GlobalAveragePool (a window the size
// of the plane), one invocation per output value. Windows are clipped to the input, so pads
// and ceil_mode (already in the output shape) need no padded copy. The average's divisor
// follows the CPU kernel: the window's elements inside the input, or (count_include_pad) the
// window clipped to the padded input.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IS_MAX = 0;
layout(constant_id = 1) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint planes, H, W, OH, OW;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl, pb, pr;
    uint includePad;
    float actA, actB;
} p;

void main() {
    const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    const uint plane = p.OH * p.OW;
    if (idx >= p.planes * plane) return;
    const uint pl = idx / plane, r = idx - pl * plane;
    const uint oy = r / p.OW, ox = r - oy * p.OW;
    const int y0 = int(oy * p.sh) - p.pt, x0 = int(ox * p.sw) - p.pl;
    const uint base = pl * p.H * p.W;
    float acc = IS_MAX == 1u ? uintBitsToFloat(0xff800000u) : 0.0;  // -inf / 0
    for (uint ky = 0u; ky < p.kh; ++ky) {
        const int iy = y0 + int(ky * p.dh);
        if (iy < 0 || iy >= int(p.H)) continue;
        for (uint kx = 0u; kx < p.kw; ++kx) {
            const int ix = x0 + int(kx * p.dw);
            if (ix < 0 || ix >= int(p.W)) continue;
            const float v = float(x[base + uint(iy) * p.W + uint(ix)]);
            acc = IS_MAX == 1u ? max(acc, v) : acc + v;
        }
    }
    if (IS_MAX == 0u) {
        int rows, cols;
        const int ye = y0 + int(p.kh), xe = x0 + int(p.kw);
        if (p.includePad != 0u) {
            rows = min(ye, int(p.H) + p.pb) - y0;
            cols = min(xe, int(p.W) + p.pr) - x0;
        } else {
            rows = min(ye, int(p.H)) - max(y0, 0);
            cols = min(xe, int(p.W)) - max(x0, 0);
        }
        const int c = rows * cols;
        acc = c > 0 ? acc * (1.0 / float(c)) : 0.0;
    }
    y[idx] = sfloat(activate(ACT, acc, p.actA, p.actB));
}
