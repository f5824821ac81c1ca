// SPDX-License-Identifier: Apache-2.0
#version 450
// Quantised MaxPool, AveragePool (1-D, 2-D, 3-D) and GlobalAveragePool (INT8.md), one
// invocation per output value, the window clipped to the input as in pool.comp.
//  - IS_MAX = 1: the largest code of the window, through the table (a change of scale, zero
//    point or type, and the activation; from the host).
//  - IS_MAX = 0: the mean of the reals, scale * (sum of codes - zero * taps inside) / divisor
//    (count_include_pad: the taps inside the padded input), as cpu/int8_pool.cpp computes it;
//    rounded onto the output's grid (OUT_FLOAT = 0) or stored as a float.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IS_MAX = 0;
layout(constant_id = 1) const uint OUT_FLOAT = 0;

layout(std430, binding = 0) readonly buffer X { uint8_t x[]; };
layout(std430, binding = 1) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 1) writeonly buffer YF { sfloat yf[]; };
layout(std430, binding = 2) readonly buffer Table { uint table[]; };  // IS_MAX: 256 entries, by the input's raw byte
layout(push_constant) uniform Push {
    uint planes, D, H, W, OD, OH, OW;
    uint kd, kh, kw, sd, sh, sw, dd, dh, dw;
    int pf, pt, pl, pk, pb, pr;
    uint includePad, isSigned;
    float scale;      // the input's
    int inZero;
    float outScale;   // the output's grid
    int zero, lo, hi;
} p;

#include "pool_window.glsl"

void main() {
    const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    const uint plane = p.OD * p.OH * p.OW;
    if (idx >= p.planes * plane) return;
    const bool sgn = p.isSigned != 0u;
    const uint pl = idx / plane, r = idx - pl * plane;
    const uint oz = r / (p.OH * p.OW), r2 = r - oz * p.OH * p.OW;
    const uint oy = r2 / p.OW, ox = r2 - oy * p.OW;
    const int z0 = int(oz * p.sd) - p.pf, y0 = int(oy * p.sh) - p.pt, x0 = int(ox * p.sw) - p.pl;
    int best = -1000, sum = 0, inside = 0;
    for (uint kz = 0u; kz < p.kd; ++kz) {
        const int iz = z0 + int(kz * p.dd);
        if (uint(iz) >= p.D) continue;
        for (uint ky = 0u; ky < p.kh; ++ky) {
            const int iy = y0 + int(ky * p.dh);
            if (uint(iy) >= p.H) continue;
            const uint row = ((pl * p.D + uint(iz)) * p.H + uint(iy)) * p.W;
            for (uint kx = 0u; kx < p.kw; ++kx) {
                const int ix = x0 + int(kx * p.dw);
                if (uint(ix) >= p.W) continue;
                const int v = codeOf(uint(x[row + uint(ix)]), sgn);
                best = max(best, v);
                sum += v;
                ++inside;
            }
        }
    }
    if (IS_MAX == 1u) {
        // An empty window (only padding) keeps the zero point's code, as the CPU kernel does.
        const int code = inside > 0 ? best : p.inZero;
        y8[idx] = uint8_t(table[uint(code) & 0xffu]);
        return;
    }
    int divisor = inside;
    if (p.includePad != 0u)
        divisor = tapsIn(z0, p.kd, p.dd, -p.pf, int(p.D) + p.pk) * tapsIn(y0, p.kh, p.dh, -p.pt, int(p.H) + p.pb) *
                  tapsIn(x0, p.kw, p.dw, -p.pl, int(p.W) + p.pr);
    const float real = divisor > 0 ? p.scale * float(sum - p.inZero * inside) / float(divisor) : 0.0;
    if (OUT_FLOAT == 1u) yf[idx] = sfloat(real);
    else y8[idx] = uint8_t(quantizeToByte(real, p.outScale, p.zero, p.lo, p.hi));
}
