// SPDX-License-Identifier: Apache-2.0
#version 450
// Quantised depthwise Conv (group = C = M, INT8.md), one invocation per output value: the
// window's taps (the zero point's byte outside the image) against the channel's int8 weights,
// an int32 sum, then the output stage of int8_gemm.comp (the same row terms from the host,
// the same OUT_MODE). The GEMM kernel would give each channel a 64-row tile of its own.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint OUT_MODE = 0;
layout(constant_id = 2) const uint ASYM = 0;
layout(constant_id = 3) const uint KH = 0;  // window sizes when small (the tap loops unroll); 0: from the push constants
layout(constant_id = 4) const uint KW = 0;

layout(std430, binding = 0) readonly buffer X { uint8_t x[]; };
layout(std430, binding = 1) readonly buffer Wt { uint8_t w[]; };    // [C][kh * kw], int8
layout(std430, binding = 2) readonly buffer Rows { uint rows[]; };  // realScale[C], realOffset[C], zero[C] (bits)
layout(std430, binding = 3) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 3) writeonly buffer YF { sfloat yf[]; };
layout(push_constant) uniform Push {
    uint count, C, H, W, OH, OW;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl;
    uint padByte, flip;
    float outScale;
    int zero, lo, hi;
    float actA, actB;
} p;

void main() {
    const uint idx = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 64u;
    if (idx >= p.count) return;
    const uint plane = p.OH * p.OW;
    const uint nc = idx / plane, r = idx - nc * plane, c = nc % p.C;
    const uint oy = r / p.OW, ox = r - oy * p.OW;
    const int y0 = int(oy * p.sh) - p.pt, x0 = int(ox * p.sw) - p.pl;
    const uint kh = KH > 0u ? KH : p.kh, kw = KW > 0u ? KW : p.kw;
    const uint xBase = nc * p.H * p.W, wBase = c * kh * kw;
    const int pad = int(p.padByte ^ p.flip);
    int acc = 0, sum = 0;
    for (uint ky = 0u; ky < kh; ++ky) {
        const int iy = y0 + int(ky * p.dh);
        for (uint kx = 0u; kx < kw; ++kx) {
            const int ix = x0 + int(kx * p.dw);
            const int v = uint(iy) < p.H && uint(ix) < p.W ? int(uint(x[xBase + uint(iy) * p.W + uint(ix)]) ^ p.flip) : pad;
            acc += codeOf(uint(w[wBase + ky * kw + kx]), true) * v;
            sum += v;
        }
    }
    if (ASYM == 1u) acc -= int(rows[2u * p.C + c]) * sum;
    const float v = float(acc) * uintBitsToFloat(rows[c]) + uintBitsToFloat(rows[p.C + c]);
    if (OUT_MODE == 0u) y8[idx] = uint8_t(stepsToByte(v, p.zero, p.lo, p.hi));
    else if (OUT_MODE == 1u) y8[idx] = uint8_t(quantizeToByte(activate(ACT, v, p.actA, p.actB), p.outScale, p.zero, p.lo, p.hi));
    else yf[idx] = sfloat(activate(ACT, v, p.actA, p.actB));
}
