// SPDX-License-Identifier: Apache-2.0
#version 450
// MaxPool, AveragePool (count_include_pad either way, dilations) in 1-D, 2-D and 3-D, and
// GlobalAveragePool, one invocation per output value. Windows are clipped to
// the input, so pads and ceil_mode (already in the output shape) need no padded copy. The
// average's divisor follows the CPU kernel: per axis, the window's taps inside the input, or
// (count_include_pad) inside the padded input; the product over the axes. 1-D and 2-D windows
// have a depth of 1 (and 1-D a height of 1). Height and width window sizes are specialisation
// constants when small (the loops unroll; KH = KW = 0: taken from the push constants, as for
// global pooling over a whole plane). Texel-buffer reads.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IS_MAX = 0;
layout(constant_id = 1) const uint ACT = 0;
layout(constant_id = 2) const uint KH = 0;
layout(constant_id = 3) const uint KW = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(std430, binding = 1) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint planes, D, H, W, OD, OH, OW;
    uint kd, kh, kw, sd, sh, sw, dd, dh, dw;
    int pf, pt, pl, pk, pb, pr;  // pads: front, top, left (begins), back, bottom, right (ends)
    uint includePad;
    float actA, actB;
} p;

#include "pool_window.glsl"

void main() {
    const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    const uint plane = p.OD * p.OH * p.OW;
    if (idx >= p.planes * plane) return;
    const uint pl = idx / plane, r = idx - pl * plane;
    const uint oz = r / (p.OH * p.OW), r2 = r - oz * p.OH * p.OW;
    const uint oy = r2 / p.OW, ox = r2 - oy * p.OW;
    const int z0 = int(oz * p.sd) - p.pf, y0 = int(oy * p.sh) - p.pt, x0 = int(ox * p.sw) - p.pl;
    float acc = IS_MAX == 1u ? uintBitsToFloat(0xff800000u) : 0.0;  // -inf / 0
    for (uint kz = 0u; kz < p.kd; ++kz) {
        const int iz = z0 + int(kz * p.dd);
        if (uint(iz) >= p.D) continue;
        const int base = int((pl * p.D + uint(iz)) * p.H * p.W);
        if (KH > 0u) {
            [[unroll]] for (uint ky = 0u; ky < KH; ++ky) {
                const int iy = y0 + int(ky * p.dh);
                [[unroll]] for (uint kx = 0u; kx < KW; ++kx) {
                    const int ix = x0 + int(kx * p.dw);
                    const bool ok = uint(iy) < p.H && uint(ix) < p.W;
                    const float v = texelFetch(x, ok ? base + iy * int(p.W) + ix : 0).x;
                    if (ok) acc = IS_MAX == 1u ? max(acc, v) : acc + v;
                }
            }
        } else {
            for (uint ky = 0u; ky < p.kh; ++ky) {
                const int iy = y0 + int(ky * p.dh);
                if (uint(iy) >= p.H) continue;
                const int row = base + iy * int(p.W);
                uint kx = 0u;
                // Four taps per iteration where the whole window row is inside the input.
                if (p.dw == 1u && x0 >= 0 && x0 + int(p.kw) <= int(p.W)) {
                    for (; kx + 4u <= p.kw; kx += 4u) {
                        const int i = row + x0 + int(kx);
                        const float v0 = texelFetch(x, i).x, v1 = texelFetch(x, i + 1).x, v2 = texelFetch(x, i + 2).x, v3 = texelFetch(x, i + 3).x;
                        acc = IS_MAX == 1u ? max(max(acc, v0), max(v1, max(v2, v3))) : acc + ((v0 + v1) + (v2 + v3));
                    }
                }
                for (; kx < p.kw; ++kx) {
                    const int ix = x0 + int(kx * p.dw);
                    if (uint(ix) >= p.W) continue;
                    const float v = texelFetch(x, row + ix).x;
                    acc = IS_MAX == 1u ? max(acc, v) : acc + v;
                }
            }
        }
    }
    if (IS_MAX == 0u) {
        const bool inc = p.includePad != 0u;
        const int c = tapsIn(z0, p.kd, p.dd, inc ? -p.pf : 0, int(p.D) + (inc ? p.pk : 0)) *
                      tapsIn(y0, p.kh, p.dh, inc ? -p.pt : 0, int(p.H) + (inc ? p.pb : 0)) *
                      tapsIn(x0, p.kw, p.dw, inc ? -p.pl : 0, int(p.W) + (inc ? p.pr : 0));
        acc = c > 0 ? acc * (1.0 / float(c)) : 0.0;
    }
    y[idx] = sfloat(activate(ACT, acc, p.actA, p.actB));
}
