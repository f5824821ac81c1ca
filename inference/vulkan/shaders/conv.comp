#version 450
// Convolution as an implicit GEMM: Y[m][p] = act(bias[m] + sum_k W[m][k] * X[k][p]) with
// k = (c, ky, kx) over one group's input channels and p = (oy, ox), the im2col matrix X never
// built. Each invocation computes 4 output channels x TP consecutive output pixels; the
// weights are repacked as [group][m-block of 4][k][4] so the 4 channels' taps for one k are
// one vec4 load shared by the whole workgroup.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
const uint TP = 4u;

layout(std430, binding = 0) readonly buffer X { sfloat x[]; };
layout(std430, binding = 1) readonly buffer Wt { svec4 w[]; };
layout(std430, binding = 2) readonly buffer Bias { svec4 bias[]; };
layout(std430, binding = 3) writeonly buffer Y { sfloat y[]; };
layout(push_constant) uniform Push {
    uint C, H, W, M, OH, OW;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl;
    uint Cg, Mg, mBlocks;
    float actA, actB;
} p;

void main() {
    const uint P = p.OH * p.OW;
    const uint p0 = gl_GlobalInvocationID.x * TP;
    if (p0 >= P) return;
    const uint g = gl_WorkGroupID.y / p.mBlocks, mb = gl_WorkGroupID.y - g * p.mBlocks;
    const uint n = gl_WorkGroupID.z;
    const uint K = p.Cg * p.kh * p.kw;
    const uint HW = p.H * p.W;

    int iy0[TP], ix0[TP];
    [[unroll]] for (uint t = 0u; t < TP; ++t) {
        const uint q = min(p0 + t, P - 1u);
        const uint oy = q / p.OW, ox = q - oy * p.OW;
        iy0[t] = int(oy * p.sh) - p.pt;
        ix0[t] = int(ox * p.sw) - p.pl;
    }
    vec4 acc[TP];
    [[unroll]] for (uint t = 0u; t < TP; ++t) acc[t] = vec4(0.0);

    uint wi = (g * p.mBlocks + mb) * K;
    uint xc = (n * p.C + g * p.Cg) * HW;
    for (uint c = 0u; c < p.Cg; ++c, xc += HW) {
        for (uint ky = 0u; ky < p.kh; ++ky) {
            for (uint kx = 0u; kx < p.kw; ++kx, ++wi) {
                const vec4 wv = vec4(w[wi]);
                [[unroll]] for (uint t = 0u; t < TP; ++t) {
                    const int iy = iy0[t] + int(ky * p.dh), ix = ix0[t] + int(kx * p.dw);
                    const bool ok = iy >= 0 && iy < int(p.H) && ix >= 0 && ix < int(p.W);
                    const float v = float(x[ok ? xc + uint(iy) * p.W + uint(ix) : 0u]);
                    acc[t] += wv * (ok ? v : 0.0);
                }
            }
        }
    }
    const vec4 bv = vec4(bias[g * p.mBlocks + mb]);
    const uint m0 = mb * 4u;
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        if (m0 + i >= p.Mg) break;
        const uint yb = (n * p.M + g * p.Mg + m0 + i) * P;
        [[unroll]] for (uint t = 0u; t < TP; ++t)
            if (p0 + t < P) y[yb + p0 + t] = sfloat(activate(ACT, acc[t][i] + bv[i], p.actA, p.actB));
    }
}
