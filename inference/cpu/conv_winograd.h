// SPDX-License-Identifier: Apache-2.0
#pragma once
// Winograd F(4x4, 3x3) convolution for 3x3, stride-1, undilated, ungrouped convs: 36
// multiplications per 4x4 output tile and channel pair instead of 144 (a quarter of the FLOPs),
// for the cost of transforming inputs and outputs; F(2x2, 3x3) (16 instead of 36) for planes
// too small for 4x4 tiles. Used where the packed SGEMM exists (AVX2/AVX-512) and the shape
// pays for the transforms (see winogradTile).
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/kernel.h"

namespace percept::cpu {

struct WinoGeom {
    int64_t N = 0, C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0, pt = 0, pl = 0;
};

// The Winograd output tile for a conv of this geometry on this CPU: 4 (F(4x4, 3x3)), 2
// (F(2x2, 3x3), small planes) or 0 (im2col). tuning.winograd overrides the shape rule (for
// benchmarks and tests).
int winogradTile(const WinoGeom& q, const KernelConfig& cfg);

// weights: M x C x 3 x 3 (constant); transformed and packed here, once. residualInput >= 0:
// a residual connection (laid out as the output) is read from that input and added in the
// output transform, before the activation (a conv fused with the Add reading it,
// cpu::makeConvAdd).
std::unique_ptr<Kernel> makeWinogradConv(const WinoGeom& q, int tile, const std::vector<float>& weights, std::vector<float> bias,
                                         graph::FusedActivation act, const CpuKernels& simd, int residualInput = -1);

}  // namespace percept::cpu
