// SPDX-License-Identifier: Apache-2.0
#pragma once
// The canonical parameters of a window op (Conv, ConvTranspose, MaxPool, AveragePool: what
// graph/schema_conv.cpp writes) as every backend reads them, on three spatial axes.
#include <cstdint>

#include "graph/ir.h"

namespace percept::graph {

// Depth, height and width. A 1-D or 2-D op is the 3-D one with leading axes of size 1
// (kernel 1, stride 1, no pad): that is exactly its memory layout ([N,C,L] is [N,C,1,1,L]),
// so backends run it as such without a copy.
struct Spatial3 {
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};
    int64_t kernel[3] = {1, 1, 1}, stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1};
    int64_t padBegin[3] = {0, 0, 0}, padEnd[3] = {0, 0, 0};
    int spatialAxes = 0;  // of the node: 1, 2 or 3
    int64_t inPlane() const { return in[0] * in[1] * in[2]; }
    int64_t outPlane() const { return out[0] * out[1] * out[2]; }
    int64_t taps() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// From input shape x [N, C, in...], output shape y [N, M, out...] and the node's canonical
// kernel_shape, strides, dilations and pads; throws percept::Error naming the node when they do
// not describe 1 to 3 spatial axes.
Spatial3 spatial3(const Node& n, const Shape& x, const Shape& y);

}  // namespace percept::graph
