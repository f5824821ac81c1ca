#version 450
// Depthwise convolution (group == C == M): each output channel reads only its own input
// plane, so there is no reduction over channels to share; one invocation per output value,
// the kernel taps (weights [C][kh*kw]) read from the channel's row.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer Wt { sfloat w[]; };
layout(std430, binding = 2) readonly buffer Bias { sfloat bias[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint C, H, W, OH, OW;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl;
    float actA, actB;
} p;

void main() {
    const uint P = p.OH * p.OW;
    const uint q = gl_GlobalInvocationID.x;
    if (q >= P) return;
    const uint c = gl_WorkGroupID.y, n = gl_WorkGroupID.z;
    const uint oy = q / p.OW, ox = q - oy * p.OW;
    const int y0 = int(oy * p.sh) - p.pt, x0 = int(ox * p.sw) - p.pl;
    const uint xb = (n * p.C + c) * p.H * p.W;
    uint wi = c * p.kh * p.kw;
    float acc = float(bias[c]);
    for (uint ky = 0u; ky < p.kh; ++ky) {
        const int iy = y0 + int(ky * p.dh);
        for (uint kx = 0u; kx < p.kw; ++kx, ++wi) {
            const int ix = x0 + int(kx * p.dw);
            const bool ok = iy >= 0 && iy < int(p.H) && ix >= 0 && ix < int(p.W);
            const float v = float(x[ok ? xb + uint(iy) * p.W + uint(ix) : 0u]);
            acc += float(w[wi]) * (ok ? v : 0.0);
        }
    }
    y[(n * p.C + c) * P + q] = sfloat(activate(ACT, acc, p.actA, p.actB));
}
