// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): a quantised 2-D convolution's geometry, shared by the GEMM convolution
// (int8_conv.cpp) and the depthwise one (int8_depthwise.cpp).
#include <memory>

#include "cpu/int8_gemm_driver.h"

namespace percept::cpu::int8 {

struct ConvGeom {
    int64_t C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0;
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0;
    int64_t group = 1, Cg = 0, Mg = 0;
    int64_t K() const { return Cg * kh * kw; }
    int64_t P() const { return OH * OW; }
};
// From the node's canonical attributes; one [1, C, H, W] image.
ConvGeom convGeomOf(const graph::Graph& g, const graph::Node& n);

// The widest output plane an int8 depthwise conv takes the channels-in-lanes path for
// (cpu::depthwiseLanesTakes): its other paths fill their vectors with a row, so the lanes won
// on every plane the kernel takes (MobileNetV2, 1 thread: 7x7 layers 0.10 -> 0.04 ms, 14x14
// 0.07 -> 0.045; the 28 -> 14 stride-2 one level).
inline constexpr int64_t kInt8DepthwiseLanesMaxWidth = 16;

// group == C == M: each channel its own convolution, by the fastest path the level and the
// shape allow (int8_depthwise.cpp lists them).
std::unique_ptr<Kernel> makeInt8Depthwise(const ConvGeom& q, const Input& in, Weights w, OutputStage out, const KernelConfig& cfg, const Int8Kernels& k);

}  // namespace percept::cpu::int8
