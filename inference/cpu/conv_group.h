// SPDX-License-Identifier: Apache-2.0
#pragma once
// Grouped convolutions with few channels per group (RegNet's 3x3 convs: 8 in, 8 out per
// group), and ungrouped ones with few input channels (the 3x3 stems of MobileNet and
// EfficientNet, ResNet's 7x7 one), computed directly per group (CpuKernels::groupConv, simd_groupconv.inc)
// instead of through im2col and a GEMM of a handful of rows or a 27-row column matrix.
#include <cstdint>
#include <memory>
#include <vector>

#include "cpu/kernel.h"

namespace percept::cpu {

struct GroupGeom {
    int64_t N = 0, C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0;
    int64_t k = 3, stride = 1, pt = 0, pl = 0, group = 1;
};

// Whether the direct kernel takes this conv (square kernel groupConvTakes accepts, stride 1 or
// 2 both ways, no dilation, few enough channels per group, or input channels, that im2col's
// GEMM would be mostly padding and packing) on this CPU: the caller has checked it is planar
// and its weights constant.
bool groupConvApplies(const GroupGeom& q, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, const CpuKernels& simd);

// weights (M x (C / group) x k x k) as the direct kernel reads them: per group [Cg][k][k][Mg].
std::vector<float> groupConvWeights(const GroupGeom& q, const std::vector<float>& weights);

// weights: M x (C / group) x k x k (constant), repacked here per group as [Cg][k][k][Mg].
std::unique_ptr<Kernel> makeGroupConv(const GroupGeom& q, const std::vector<float>& weights, std::vector<float> bias,
                                      graph::FusedActivation act, const CpuKernels& simd);

}  // namespace percept::cpu
