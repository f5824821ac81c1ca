// SPDX-License-Identifier: Apache-2.0
#pragma once
// Resize as a separable resampling, planned once from the node's canonical attributes
// (graph/schema_resize.cpp) and shared by both backends: every axis gets a table giving, for
// each output coordinate, `taps` input coordinates with their weights (nearest: 1 tap; linear:
// 2; cubic: 4; antialiased downscaling: as many as the stretched filter covers). An output
// value is the sum over every combination of one tap per axis of the product of the weights
// times the input value there -- N-linear and N-cubic in any rank, with the coordinates,
// rounding and edge handling of ONNX's reference implementation (computed here in double).
#include <cstdint>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

struct ResizeAxis {
    int64_t in = 1, out = 1;
    int taps = 1;
    std::vector<int32_t> index;  // [out * taps]: input coordinates, clamped into [0, in)
    std::vector<float> weight;   // [out * taps]
    std::vector<uint8_t> outside;  // [out]: 1 where tf_crop_and_resize extrapolates
    bool identity() const;       // one tap, output coordinate = input coordinate, weight 1
};

struct ResizePlan {
    std::vector<ResizeAxis> axes;
    float extrapolation = 0.0f;
    bool anyOutside = false;
};

ResizePlan planResize(const Graph& g, const Node& n);

}  // namespace percept::graph
