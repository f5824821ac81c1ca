#pragma once
// Winograd F(4x4, 3x3) convolution for 3x3, stride-1, undilated, ungrouped convs: 36
// multiplications per 4x4 output tile and channel pair instead of 144 (a quarter of the FLOPs),
// for the cost of transforming inputs and outputs. Used where the packed SGEMM exists
// (AVX2/AVX-512) and the shape pays for the transforms (see winogradSuits).
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/kernel.h"

namespace percept::cpu {

struct WinoGeom {
    int64_t N = 0, C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0, pt = 0, pl = 0;
};

// Whether a conv of this geometry should take the Winograd path on this CPU; PERCEPT_CPU_WINOGRAD
// = on | off overrides the shape rule (for benchmarks and tests).
bool winogradSuits(const WinoGeom& q);

// weights: M x C x 3 x 3 (constant); transformed and packed here, once.
std::unique_ptr<Kernel> makeWinogradConv(const WinoGeom& q, const std::vector<float>& weights, std::vector<float> bias,
                                         graph::FusedActivation act);

}  // namespace percept::cpu
