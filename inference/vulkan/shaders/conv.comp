// SPDX-License-Identifier: Apache-2.0
#version 450
// Convolution as an implicit GEMM: Y[m][p] = act(bias[m] + sum_k W[m][k] * X[k][p]), with
// k = (c, ky, kx) over one group's input channels and p = (oy, ox); the im2col matrix is never
// built. Register tiling: each invocation computes 8 output channels x TP consecutive output
// pixels, so every input value fetched feeds 8 multiply-adds and every weight vec4 TP of them.
// The weights are repacked as [group][block of 8 channels][k][8] (two vec4 texels per k); the
// kernel taps are specialisation constants, so their loops unroll.
//
// Written for CPU implementations first (lavapipe): there, storage-buffer and shared-memory
// loads become per-lane scalar loops and each loop iteration has a fixed cost, while texel
// fetches become gathers; hence texel-buffer reads, unrolled taps, and no shared memory
// (conv_tiled.comp is the shared-memory kernel for GPUs).
//
// 3-D convs add a depth axis (KD, SD, DD; D, OD, pf): pixels p = (oz*OH + oy)*OW + ox, taps
// (c, kz, ky, kx); 2-D and 1-D ones have KD = D = OD = 1, which the compiler folds away.
//
// FAST (1x1, stride 1, no padding): the input offset of pixel p is c*D*H*W + p, no bounds checks,
// and the channel loop is unrolled by 4.
// Channels [cBegin, cEnd) only: a reduction too long for one dispatch is split over several
// (lavapipe stops any invocation after 65535 loop iterations); SPLIT 1 starts the sum with the
// bias, SPLIT 2 adds to what earlier dispatches stored, SPLIT 3 adds and then activates.
#include "common.glsl"
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint KH = 1;
layout(constant_id = 2) const uint KW = 1;
layout(constant_id = 3) const uint SH = 1;
layout(constant_id = 4) const uint SW = 1;
layout(constant_id = 5) const uint DH = 1;
layout(constant_id = 6) const uint DW = 1;
layout(constant_id = 7) const uint FAST = 0;
layout(constant_id = 8) const uint SPLIT = 0;
layout(constant_id = 9) const uint TP = 4;  // output pixels per invocation: 4, or fewer for tiny planes
// ROWS 1: an invocation's TP pixels are consecutive in one output row (tiles = OH x ceil(OW/TP)
// per channel block), so for each kernel row the input segment they share is fetched once
// ((TP-1)*SW + (KW-1)*DW + 1 values) and reused across the kernel columns.
layout(constant_id = 10) const uint ROWS = 0;
const uint R = (TP - 1u) * SW + (KW - 1u) * DW + 1u;
// VEC4X 1 (FAST, TP 4, H*W a multiple of 4): x is bound as a four-float texel view, and a
// lane's 4 pixels of one channel are one fetch.
layout(constant_id = 11) const uint VEC4X = 0;
layout(constant_id = 12) const uint KD = 1;
layout(constant_id = 13) const uint SD = 1;
layout(constant_id = 14) const uint DD = 1;
// RESIDUAL 1: a residual connection fused in (graph::fusedAddCandidates): `res`, of the output's
// shape, is added before the activation (the Add's), as the last slice of the sum is stored.
layout(constant_id = 15) const uint RESIDUAL = 0;

layout(binding = 0) uniform samplerBuffer x;
layout(binding = 1) uniform samplerBuffer w;     // rgba: [g][mb][k][2]
layout(binding = 2) uniform samplerBuffer bias;  // rgba: [g][mb][2]
layout(std430, binding = 3) buffer Y { sfloat y[]; };
layout(binding = 4) uniform samplerBuffer res;  // RESIDUAL: [n][M][P] (otherwise any texel view)
layout(push_constant) uniform Push {
    uint C, H, W, M, OH, OW;
    int pt, pl;
    uint Cg, Mg, mBlocks, cBegin, cEnd;
    uint tiles;  // pixel tiles per block of 8 channels: ceil(OD*OH*OW / TP), or OD*OH * tilesPerRow
    uint tilesPerRow;
    float actA, actB;
    uint D, OD;
    int pf;
} p;

// Invocation x covers (channel block, pixel tile) pairs, so small planes still fill a
// workgroup; y is the group, z the image.
void main() {
    const uint P = p.OD * p.OH * p.OW;
    const uint id = gl_GlobalInvocationID.x;
    if (id >= p.tiles * p.mBlocks) return;
    const uint mb = id / p.tiles;
    const uint tile = id - mb * p.tiles;
    const uint rowY = ROWS == 1u ? tile / p.tilesPerRow : 0u;
    const uint rowX0 = ROWS == 1u ? (tile - rowY * p.tilesPerRow) * TP : 0u;
    const uint p0 = ROWS == 1u ? rowY * p.OW + rowX0 : tile * TP;
    const uint g = gl_WorkGroupID.y;
    const uint n = gl_WorkGroupID.z;
    const uint HW = p.D * p.H * p.W;  // one input channel
    const uint K = p.Cg * KD * KH * KW;

    vec4 a0[TP], a1[TP];
    [[unroll]] for (uint t = 0u; t < TP; ++t) {
        a0[t] = vec4(0.0);
        a1[t] = vec4(0.0);
    }
    int wi = int(((g * p.mBlocks + mb) * K + p.cBegin * KD * KH * KW) * 2u);
    int xc = int((n * p.C + g * p.Cg + p.cBegin) * HW);

    if (FAST == 1u && VEC4X == 1u) {
        int xq = (xc + int(p0)) >> 2;
        const int hw4 = int(HW >> 2);
        uint c = p.cBegin;
        for (; c + 4u <= p.cEnd; c += 4u) {
            [[unroll]] for (uint u = 0u; u < 4u; ++u) {
                const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
                const vec4 v = texelFetch(x, xq);
                wi += 2;
                xq += hw4;
                [[unroll]] for (uint t = 0u; t < TP; ++t) {
                    a0[t] += w0 * v[t & 3u];
                    a1[t] += w1 * v[t & 3u];
                }
            }
        }
        for (; c < p.cEnd; ++c) {
            const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
            const vec4 v = texelFetch(x, xq);
            wi += 2;
            xq += hw4;
            [[unroll]] for (uint t = 0u; t < TP; ++t) {
                a0[t] += w0 * v[t & 3u];
                a1[t] += w1 * v[t & 3u];
            }
        }
    } else if (FAST == 1u) {
        int q[TP];
        [[unroll]] for (uint t = 0u; t < TP; ++t) q[t] = int(min(p0 + t, P - 1u));
        uint c = p.cBegin;
        for (; c + 4u <= p.cEnd; c += 4u) {
            [[unroll]] for (uint u = 0u; u < 4u; ++u) {
                const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
                wi += 2;
                [[unroll]] for (uint t = 0u; t < TP; ++t) {
                    const float v = texelFetch(x, xc + q[t]).x;
                    a0[t] += w0 * v;
                    a1[t] += w1 * v;
                }
                xc += int(HW);
            }
        }
        for (; c < p.cEnd; ++c) {
            const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
            wi += 2;
            [[unroll]] for (uint t = 0u; t < TP; ++t) {
                const float v = texelFetch(x, xc + q[t]).x;
                a0[t] += w0 * v;
                a1[t] += w1 * v;
            }
            xc += int(HW);
        }
    } else if (ROWS == 1u) {
        // rowY counts output rows over the depth slices: (oz, oy).
        const uint oz = KD == 1u && p.OD == 1u ? 0u : rowY / p.OH, oy = rowY - oz * p.OH;
        const int izBase = int(oz * SD) - p.pf, iyBase = int(oy * SH) - p.pt, ixBase = int(rowX0 * SW) - p.pl;
        for (uint c = p.cBegin; c < p.cEnd; ++c) {
            [[unroll]] for (uint kz = 0u; kz < KD; ++kz) {
                const int iz = izBase + int(kz * DD);
                const bool sliceOk = uint(iz) < p.D;
                [[unroll]] for (uint ky = 0u; ky < KH; ++ky) {
                    const int iy = iyBase + int(ky * DH);
                    const bool rowOk = sliceOk && uint(iy) < p.H;
                    const int rowBase = xc + (iz * int(p.H) + iy) * int(p.W);
                    float r[R];
                    [[unroll]] for (uint j = 0u; j < R; ++j) {
                        const int ix = ixBase + int(j);
                        const bool ok = rowOk && uint(ix) < p.W;
                        const float v = texelFetch(x, ok ? rowBase + ix : 0).x;
                        r[j] = ok ? v : 0.0;
                    }
                    [[unroll]] for (uint kx = 0u; kx < KW; ++kx) {
                        const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
                        wi += 2;
                        [[unroll]] for (uint t = 0u; t < TP; ++t) {
                            const float v = r[t * SW + kx * DW];
                            a0[t] += w0 * v;
                            a1[t] += w1 * v;
                        }
                    }
                }
            }
            xc += int(HW);
        }
    } else {
        int iz0[TP], iy0[TP], ix0[TP];
        const uint plane = p.OH * p.OW;
        [[unroll]] for (uint t = 0u; t < TP; ++t) {
            const uint qq = min(p0 + t, P - 1u);
            const uint oz = KD == 1u && p.OD == 1u ? 0u : qq / plane, r = qq - oz * plane;
            const uint oy = r / p.OW, ox = r - oy * p.OW;
            iz0[t] = int(oz * SD) - p.pf;
            iy0[t] = int(oy * SH) - p.pt;
            ix0[t] = int(ox * SW) - p.pl;
        }
        for (uint c = p.cBegin; c < p.cEnd; ++c) {
            [[unroll]] for (uint kz = 0u; kz < KD; ++kz) {
                [[unroll]] for (uint ky = 0u; ky < KH; ++ky) {
                    [[unroll]] for (uint kx = 0u; kx < KW; ++kx) {
                        const vec4 w0 = texelFetch(w, wi), w1 = texelFetch(w, wi + 1);
                        wi += 2;
                        [[unroll]] for (uint t = 0u; t < TP; ++t) {
                            const int iz = iz0[t] + int(kz * DD), iy = iy0[t] + int(ky * DH), ix = ix0[t] + int(kx * DW);
                            const bool ok = uint(iz) < p.D && uint(iy) < p.H && uint(ix) < p.W;
                            const float v = texelFetch(x, ok ? xc + (iz * int(p.H) + iy) * int(p.W) + ix : 0).x;
                            const float vv = ok ? v : 0.0;
                            a0[t] += w0 * vv;
                            a1[t] += w1 * vv;
                        }
                    }
                }
            }
            xc += int(HW);
        }
    }

    const int bi = int((g * p.mBlocks + mb) * 2u);
    const vec4 b0 = SPLIT <= 1u ? texelFetch(bias, bi) : vec4(0.0);
    const vec4 b1 = SPLIT <= 1u ? texelFetch(bias, bi + 1) : vec4(0.0);
    const uint m0 = mb * 8u;
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        if (m0 + i >= p.Mg) break;
        const uint yb = (n * p.M + g * p.Mg + m0 + i) * P;
        const float bv = i < 4u ? b0[i & 3u] : b1[i & 3u];
        [[unroll]] for (uint t = 0u; t < TP; ++t) {
            if (ROWS == 1u ? rowX0 + t >= p.OW : p0 + t >= P) break;
            float v = (i < 4u ? a0[t][i & 3u] : a1[t][i & 3u]) + bv;
            if (SPLIT >= 2u) v += float(y[yb + p0 + t]);
            if (RESIDUAL == 1u && (SPLIT == 0u || SPLIT == 3u)) v += texelFetch(res, int(yb + p0 + t)).x;
            if (SPLIT == 0u || SPLIT == 3u) v = activate(ACT, v, p.actA, p.actB);
            y[yb + p0 + t] = sfloat(v);
        }
    }
}
