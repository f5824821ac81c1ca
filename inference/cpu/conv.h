// SPDX-License-Identifier: Apache-2.0
#pragma once
// Convolution planning figures, exposed so tests can check which path a shape takes, and the
// Conv + MaxPool kernel the CPU session builds for a conv whose only reader is a MaxPool.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "cpu/kernel.h"
#include "cpu/op_util.h"
#include "graph/fusion.h"
#include "graph/ir.h"
#include "graph/window.h"

namespace percept::cpu {

using graph::Spatial3;
using graph::spatial3;

// Range [lo, hi) of the columns i (of outWidth) whose target column i*stride + off lies in
// [0, width): a conv's output columns reading inside the input row, a pool's window taps, a
// transposed conv's input columns writing inside the output row.
inline void validRange(int64_t off, int64_t stride, int64_t width, int64_t outWidth, int64_t& lo, int64_t& hi) {
    lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    hi = width - 1 - off < 0 ? 0 : (width - 1 - off) / stride + 1;
    hi = std::min(hi, outWidth);
    lo = std::min(lo, hi);
}

// Upper bound of one thread's im2col column buffer (K rows x tile columns, fp32).
inline constexpr int64_t kIm2colTileBytes = int64_t{1} << 20;

// Columns per im2col tile for a reduction depth K (= C/group * kh * kw) and P output
// positions: as many as fit in kIm2colTileBytes, at least 1, at most P.
inline int64_t im2colTileColumns(int64_t K, int64_t P) {
    int64_t cols = kIm2colTileBytes / (4 * (K > 0 ? K : 1));
    if (cols > 16) cols -= cols % 16;  // whole SIMD widths, so the GEMM's panels stay aligned
    if (cols < 1) cols = 1;
    return cols < P ? cols : (P > 0 ? P : 1);
}

// A kernel computing `pool` (a MaxPool) straight from `conv`'s input, a band of rows at a
// time, or null where that does not apply (other conv paths, dilated pooling, no packed GEMM
// on this CPU, tuning.convMaxPool off). Its run() takes the conv's inputs and writes the
// pool's output.
// A conv and the residual Add reading its output (graph::fusedAddCandidates) as one step: the
// Add's other operand (its run() takes it after the conv's inputs) is added, then the Add's
// activation, in the packed GEMM's epilogue (1x1 convs) or the Winograd output transform (the
// 3x3 convs that take Winograd); null where the conv runs on neither (other shapes, no SIMD
// level, int8) or tuning.convAdd is off. ResNet's and the MobileNets' skip connections: the
// Add had re-read the conv's output from memory.
std::unique_ptr<Kernel> makeConvAdd(const graph::Graph& g, const graph::FusedAdd& fa, const KernelConfig& cfg);

std::unique_ptr<Kernel> makeConvMaxPool(const graph::Graph& g, const graph::Node& conv, const graph::Node& pool, const KernelConfig& cfg);

// A 1x1 conv and the depthwise conv that alone reads its output (graph::convConvCandidates) as
// one kernel, a band of depthwise output rows at a time from the 1x1 rows it reads, or null
// where that does not apply (other shapes or paths, no SIMD level, tuning.pointwiseDepthwise
// off) or does not pay (pointwiseDepthwisePays). Its run() takes the 1x1 conv's inputs and
// writes the depthwise conv's output.
//
// It pays for a 3x3 depthwise conv after a 1x1 conv whose output (M x P floats an image) would
// not stay in L2 (kPointwiseDepthwiseMinBytes), where the threads' shares of the expanded rows
// are large enough (op_util.h splitsByRows over OH x stride rows: a share of a few rows would
// expand its halo rows again, a large part of it; at stride 2 that is one row in 2 x share:
// MobileNetV2's 56x56 -> 28x28 pair on 2 threads 147 -> 138 us). Measured on MobileNetV2,
// MobileNetV3-L and EfficientNet-B0, 1 and 2 threads (Intel VM, 2 MB L2 a core): 56x56 x 144
// (1.8 MB) and 112x112 x 96 gained 20-230 us a pair; 28x28 x 192 (0.6 MB) lost 14-20 us at 1
// thread; 5x5 kernels lost 10-50 us (their 4 or 3 rows shared between bands: moved or expanded
// again, either cost more than the fusion saved).
inline constexpr int64_t kPointwiseDepthwiseMinBytes = 768 * 1024;
inline bool pointwiseDepthwisePays(int64_t M, int64_t P, int64_t k, int64_t stride, int64_t OH, int threads) {
    return k == 3 && M * P * 4 >= kPointwiseDepthwiseMinBytes && (threads <= 1 || splitsByRows(OH * stride, threads));
}
std::unique_ptr<Kernel> makeConvPointwiseDepthwise(const graph::Graph& g, const graph::Node& pw, const graph::Node& dw, const KernelConfig& cfg);

// A squeeze-and-excitation block whose output only a 1x1 conv reads, with that conv's
// residual Add when there is one (graph::squeezeExciteConvCandidates), as one step: the block's
// gate (cpu/squeeze_excite.h) scales the conv's input channels as the packed GEMM reads them,
// so the scaled input (a pass over the whole tensor, and its store) is never made. Its run()
// takes the pool's input x, then the Add's addend; it writes the conv's (or the Add's) output.
// Null where the conv does not run on the packed GEMM or tuning.squeezeExcite(Conv) is off.
std::unique_ptr<Kernel> makeSqueezeExciteConv(const graph::Graph& g, const graph::SqueezeExciteConv& sc, const KernelConfig& cfg);

}  // namespace percept::cpu
