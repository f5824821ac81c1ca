// SPDX-License-Identifier: Apache-2.0
#version 450
// Quantised Conv (2-D, any group), Gemm and MatMul (INT8.md): an int8 x uint8 GEMM with int32
// sums on the packed dot products of VK_KHR_shader_integer_dot_product, one 64 x 64 tile of
// output rows (channels) x columns (pixels, or A's rows) per workgroup of 16 x 16 invocations,
// 4 x 4 outputs each, k in steps of 64 staged in shared memory as packed words (256 packed dot
// products per invocation between two barriers; steps of 16 left the H100 at the fp32 kernels'
// speed).
//  - Weights: int8, repacked on the host as [group][row, padded to 64][K padded to 64] in words
//    of 4 (zeros in the padding, so the padded k add nothing).
//  - Activations: their codes as unsigned bytes (int8 ones XOR 0x80, with the zero point moved
//    by 128, as the CPU kernels read them); taps outside the image are the zero point's byte,
//    so every k holds the real value the ONNX definition gives it. GEMM = 0: a conv's input
//    [N, C, H, W] read through im2col, each k's offset and window position from a table the
//    host made (no divisions per byte); GEMM = 1: A [P, K] row-major (Gemm, MatMul's rows).
//  - When the output has few tiles, k is split over slices (vk_op.h's splitReduction, in whole
//    steps of 64), as in
//    conv_tiled.comp: each slice's int32 sums go to the workspace, the last to arrive adds them
//    (split_reduction.glsl) and runs the output stage.
//  - The output stage (per output row, from the host: realScale, realOffset and, ASYM = 1, the
//    weights' zero point), as cpu::int8::OutputStage: r = (sum - zw * column sum) * realScale +
//    realOffset, then by OUT_MODE
//      0: (no activation, Relu or Clip) r is in steps of the output's grid already (the host
//         divided the terms): rounded, the zero point added, clamped to [lo, hi], which applies
//         the activation;
//      1: the activation, then rounded onto the output's grid;
//      2: the activation, stored as a float.
//    Conv output [N, M, P], GEMM output [P, M].
//  - ADD = 1: a residual Add fused (graph::fusedAddCandidates, vk_int8_linear.cpp): the conv's
//    code (OUT_MODE 0, its own grid) added to the other operand's code as cpu/int8_ops.cpp's
//    AddKernel adds them, ca a + (cb b + c0u) over unsigned bytes in the Add output's steps, and
//    that rounded onto the Add's grid, written where the Add's output lives. The Add's terms
//    follow the row terms in `rows`.
#include "common.glsl"
#include "int8.glsl"
layout(local_size_x = 16, local_size_y = 16) in;
layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint GEMM = 0;
layout(constant_id = 2) const uint OUT_MODE = 0;
layout(constant_id = 3) const uint ASYM = 0;
layout(constant_id = 4) const uint ADD = 0;

layout(std430, binding = 0) readonly buffer X { uint8_t x[]; };
layout(std430, binding = 1) readonly buffer Wt { uint w[]; };
layout(std430, binding = 2) readonly buffer Rows { uint rows[]; };  // realScale[Mt], realOffset[Mt], zero[Mt] (bits)
// One binding, two views: the output's bytes, or its floats.
layout(std430, binding = 3) writeonly buffer Y8 { uint8_t y8[]; };
layout(std430, binding = 3) writeonly buffer YF { sfloat yf[]; };
layout(std430, binding = 4) readonly buffer Taps { uint taps[]; };  // conv: per k, the offset from the window's corner, then (dy << 16) | dx
layout(std430, binding = 5) coherent buffer Parts { ivec4 part[]; };
layout(std430, binding = 6) coherent buffer Arrivals { uint arrivals[]; };
layout(std430, binding = 7) readonly buffer Skip { uint8_t skip[]; };  // ADD: the Add's other operand
layout(push_constant) uniform Push {
    uint Mg, K, P, Kw, Mt;        // rows per group, depth, columns, words per packed row, rows in all
    uint Cg, H, W, OW;            // conv: input channels per group, input plane, output width
    uint sh, sw;
    int pt, pl;
    uint xGroup, xBatch, yGroup, yBatch, groups;
    uint kSlice, slices;
    uint padByte, flip;           // the activations' zero point as a raw byte; 0x80 for int8 codes
    float outScale;               // the output's grid
    int zero, lo, hi;
    float actA, actB;
} p;

shared uint sW[16][64];
shared uint sX[16][64];
#define SPLIT_INVOCATIONS 256u
#define SPLIT_VEC4S 5u
#define SPLIT_VEC4 ivec4
#include "split_reduction.glsl"

// The activations' byte for depth k of this invocation's column (the zero point outside the
// image; 0 past K, where the weights are 0 too and the column sums must not count it). corner:
// the column's window corner (iy0, ix0) and its offset, or for GEMM = 1 the row's start.
uint inputByte(uint k, bool colInside, ivec2 corner, uint cornerAt) {
    if (k >= p.K || !colInside) return 0u;
    if (GEMM == 1u) return uint(x[cornerAt + k]) ^ p.flip;
    const uint t = taps[2u * k + 1u];
    const int iy = corner.x + int(t >> 16u), ix = corner.y + int(t & 0xffffu);
    if (uint(iy) >= p.H || uint(ix) >= p.W) return p.padByte ^ p.flip;
    return uint(x[uint(int(cornerAt) + int(taps[2u * k]))]) ^ p.flip;
}

void main() {
    const uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, t = ty * 16u + tx;
    const uint col0 = gl_WorkGroupID.x * 64u, row0 = gl_WorkGroupID.y * 64u;
    const uint slice = gl_WorkGroupID.z % p.slices, bg = gl_WorkGroupID.z / p.slices;
    const uint grp = bg % p.groups, n = bg / p.groups;
    const uint wBase = (grp * ((p.Mg + 63u) / 64u * 64u) + row0 + (t & 63u)) * p.Kw;
    // The column this invocation stages: its window's corner, once.
    const uint lk = t >> 6u, lc = col0 + (t & 63u);
    const bool colInside = lc < p.P;
    ivec2 corner = ivec2(0);
    uint cornerAt = 0u;
    if (GEMM == 1u) {
        cornerAt = lc * p.K;
    } else {
        const uint oy = lc / p.OW, ox = lc - oy * p.OW;
        corner = ivec2(int(oy * p.sh) - p.pt, int(ox * p.sw) - p.pl);
        cornerAt = uint(int(n * p.xBatch + grp * p.xGroup) + corner.x * int(p.W) + corner.y);
    }
    int acc[4][4];
    int colSum[4];
    [[unroll]] for (int i = 0; i < 4; ++i) {
        colSum[i] = 0;
        [[unroll]] for (int j = 0; j < 4; ++j) acc[i][j] = 0;
    }
    const uint kBegin = slice * p.kSlice, kEnd = min(p.K, kBegin + p.kSlice);
    for (uint k0 = kBegin; k0 < kEnd; k0 += 64u) {
        // Stage 64 rows x 64 k of weights and 64 k x 64 columns of activations, 4 bytes a word.
        [[unroll]] for (uint s = 0u; s < 4u; ++s) {
            const uint word = lk + 4u * s, kb = k0 + word * 4u;
            sW[word][t & 63u] = w[wBase + k0 / 4u + word];
            sX[word][t & 63u] = inputByte(kb, colInside, corner, cornerAt) | (inputByte(kb + 1u, colInside, corner, cornerAt) << 8u) |
                                (inputByte(kb + 2u, colInside, corner, cornerAt) << 16u) |
                                (inputByte(kb + 3u, colInside, corner, cornerAt) << 24u);
        }
        barrier();
        [[unroll]] for (uint q = 0u; q < 16u; ++q) {
            uint a[4], b[4];
            [[unroll]] for (uint i = 0u; i < 4u; ++i) a[i] = sW[q][ty + 16u * i];
            [[unroll]] for (uint j = 0u; j < 4u; ++j) b[j] = sX[q][tx + 16u * j];
            [[unroll]] for (uint i = 0u; i < 4u; ++i)
                [[unroll]] for (uint j = 0u; j < 4u; ++j) acc[i][j] += dotSignedUnsigned4x8(a[i], b[j], 0);
            if (ASYM == 1u)
                [[unroll]] for (uint j = 0u; j < 4u; ++j) colSum[j] += int(dotUnsigned4x8(b[j], 0x01010101u, 0));
        }
        barrier();
    }
    if (p.slices > 1u) {
        ivec4 parts[5];
        [[unroll]] for (uint i = 0u; i < 4u; ++i) parts[i] = ivec4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        parts[4] = ivec4(colSum[0], colSum[1], colSum[2], colSum[3]);
        const uint tiles = gl_NumWorkGroups.x * gl_NumWorkGroups.y * (gl_NumWorkGroups.z / p.slices);
        if (!addSlices(parts, slice, p.slices, (bg * gl_NumWorkGroups.y + gl_WorkGroupID.y) * gl_NumWorkGroups.x + gl_WorkGroupID.x, tiles)) return;
        [[unroll]] for (uint i = 0u; i < 4u; ++i) {
            acc[i][0] = parts[i].x, acc[i][1] = parts[i].y, acc[i][2] = parts[i].z, acc[i][3] = parts[i].w;
            colSum[i] = parts[4][i];
        }
    }
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint m = row0 + ty + 16u * i;
        if (m >= p.Mg) continue;
        const uint row = grp * p.Mg + m;
        const float scale = uintBitsToFloat(rows[row]), offset = uintBitsToFloat(rows[p.Mt + row]);
        const int zw = ASYM == 1u ? int(rows[2u * p.Mt + row]) : 0;
        [[unroll]] for (uint j = 0u; j < 4u; ++j) {
            const uint col = col0 + tx + 16u * j;
            if (col >= p.P) continue;
            const int sum = ASYM == 1u ? acc[i][j] - zw * colSum[j] : acc[i][j];
            const float v = float(sum) * scale + offset;
            const uint at = GEMM == 1u ? col * p.Mt + row : n * p.yBatch + grp * p.yGroup + m * p.P + col;
            if (ADD == 1u) {
                // rows[3 Mt ..]: ca, cb, c0u, flip of input 0, flip of input 1, zero, lo, hi, conv is input 1
                const uint ab = 3u * p.Mt;
                const float own = float(stepsToByte(v, p.zero, p.lo, p.hi) ^ (rows[ab + 8u] == 0u ? rows[ab + 3u] : rows[ab + 4u]));
                const float other = float(uint(skip[at]) ^ (rows[ab + 8u] == 0u ? rows[ab + 4u] : rows[ab + 3u]));
                const float a = rows[ab + 8u] == 0u ? own : other, b = rows[ab + 8u] == 0u ? other : own;
                const float sum = a * uintBitsToFloat(rows[ab]) + (b * uintBitsToFloat(rows[ab + 1u]) + uintBitsToFloat(rows[ab + 2u]));
                y8[at] = uint8_t(stepsToByte(sum, int(rows[ab + 5u]), int(rows[ab + 6u]), int(rows[ab + 7u])));
            } else if (OUT_MODE == 0u) y8[at] = uint8_t(stepsToByte(v, p.zero, p.lo, p.hi));
            else if (OUT_MODE == 1u) y8[at] = uint8_t(quantizeToByte(activate(ACT, v, p.actA, p.actB), p.outScale, p.zero, p.lo, p.hi));
            else yf[at] = sfloat(activate(ACT, v, p.actA, p.actB));
        }
    }
}
