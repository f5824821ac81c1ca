// SPDX-License-Identifier: Apache-2.0
#version 450
// Depthwise convolution (group == C == M): each output channel reads only its own input
// plane. Each invocation computes TP (4 or 8) consecutive outputs of one row; for every kernel row it
// fetches the input row segment those outputs share once ((TP-1)*SW + (KW-1)*DW + 1 values)
// and reuses it across the kernel columns. Taps, strides and dilations are specialisation
// constants, so every loop but the row loop over the grid unrolls. Texel-buffer reads (see
// conv.comp for why).
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint KH = 3;
layout(constant_id = 2) const uint KW = 3;
layout(constant_id = 3) const uint SH = 1;
layout(constant_id = 4) const uint SW = 1;
layout(constant_id = 5) const uint DH = 1;
layout(constant_id = 6) const uint DW = 1;
layout(constant_id = 7) const uint TP = 4;  // outputs per invocation: 8 on rows of >= 8, else 4
const uint R = (TP - 1u) * SW + (KW - 1u) * DW + 1u;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;     // rgba: [C][ceil(KH*KW / 4)], zero padded
layout(binding = 2) uniform samplerBuffer bias;  // [C]
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint C, H, W, OH, OW, tilesPerRow, count;  // count = C * OH * tilesPerRow
    int pt, pl;
    float actA, actB;
} p;

void main() {
    // x covers (channel, row, tile) triples, so small planes still fill a workgroup.
    const uint id = gl_GlobalInvocationID.x;
    if (id >= p.count) return;
    const uint perChannel = p.tilesPerRow * p.OH;
    const uint c = id / perChannel, q = id - c * perChannel, n = gl_WorkGroupID.y;
    const uint oy = q / p.tilesPerRow, ox0 = (q - oy * p.tilesPerRow) * TP;
    const int xb = int((n * p.C + c) * p.H * p.W);
    // The channel's taps, a four-float texel at a time, before the loops.
    const uint T4 = (KH * KW + 3u) / 4u;
    afloat wt[T4 * 4u];
    [[unroll]] for (uint j = 0u; j < T4; ++j) {
        const vec4 v = texelFetch(w, int(c * T4 + j));
        wt[4u * j] = afloat(v.x);
        wt[4u * j + 1u] = afloat(v.y);
        wt[4u * j + 2u] = afloat(v.z);
        wt[4u * j + 3u] = afloat(v.w);
    }
    const int iyBase = int(oy * SH) - p.pt, ixBase = int(ox0 * SW) - p.pl;
    const float b = texelFetch(bias, int(c)).x;
    float acc[TP];
    [[unroll]] for (uint t = 0u; t < TP; ++t) acc[t] = b;
    [[unroll]] for (uint ky = 0u; ky < KH; ++ky) {
        const int iy = iyBase + int(ky * DH);
        const bool rowOk = uint(iy) < p.H;
        afloat r[R];
        [[unroll]] for (uint j = 0u; j < R; ++j) {
            const int ix = ixBase + int(j);
            const bool ok = rowOk && uint(ix) < p.W;
            const float v = texelFetch(x, ok ? xb + iy * int(p.W) + ix : 0).x;
            r[j] = afloat(ok ? v : 0.0);
        }
        // One kernel row's products summed in the arithmetic type (fp16 in the FP16_ARITH
        // variant), then added to the fp32 accumulators.
        afloat row[TP];
        [[unroll]] for (uint t = 0u; t < TP; ++t) row[t] = afloat(0.0);
        [[unroll]] for (uint kx = 0u; kx < KW; ++kx) {
            const afloat wv = wt[ky * KW + kx];
            [[unroll]] for (uint t = 0u; t < TP; ++t) row[t] += wv * r[t * SW + kx * DW];
        }
        [[unroll]] for (uint t = 0u; t < TP; ++t) acc[t] += float(row[t]);
    }
    const uint yb = ((n * p.C + c) * p.OH + oy) * p.OW;
    [[unroll]] for (uint t = 0u; t < TP; ++t)
        if (ox0 + t < p.OW) y[yb + ox0 + t] = sfloat(activate(ACT, acc[t], p.actA, p.actB));
}
