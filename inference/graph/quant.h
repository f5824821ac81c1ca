// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 helpers shared by the load pipeline and the backends (INT8.md): which nodes are
// quantised, the rounding every quantisation uses, and the canonical Q/DQ parameters.
#include <cmath>
#include <cstdint>

#include "graph/ir.h"

namespace percept::graph {

// Whether a node reads or writes an 8-bit tensor (run-time value or constant): a quantised
// node, which only a backend's int8 kernels may run.
bool isQuantizedNode(const Graph& g, const Node& n);

inline int32_t qmin(DType t) { return t == DType::Int8 ? -128 : 0; }
inline int32_t qmax(DType t) { return t == DType::Int8 ? 127 : 255; }

// ONNX QuantizeLinear on one value: saturate(round_half_to_even(r / scale) + zeroPoint), the
// quotient in fp32 as ONNX's reference and ONNX Runtime compute it (nearbyint rounds halves to
// even in the default rounding mode). NaN, which ONNX leaves undefined, becomes the zero point.
inline int32_t quantizeOne(float r, float scale, int32_t zeroPoint, DType t) {
    const float q = std::nearbyint(r / scale);
    const double v = std::isnan(q) ? zeroPoint : static_cast<double>(q) + zeroPoint;
    return v < qmin(t) ? qmin(t) : v > qmax(t) ? qmax(t) : static_cast<int32_t>(v);
}

// The real value of an 8-bit code.
inline float dequantizeOne(int32_t q, float scale, int32_t zeroPoint) { return static_cast<float>(q - zeroPoint) * scale; }

// The canonical parameters of a QuantizeLinear / DequantizeLinear node ("scale", "zero_point",
// "axis" attributes, written by its schema).
QuantParams quantParamsOf(const Node& n);

// The element at flat index `e` of a tensor of shape `s` quantised along params.axis: which
// scale and zero point apply (0 for per-tensor parameters).
inline size_t quantChannel(const QuantParams& p, const Shape& s, int64_t e) {
    if (p.scale.size() <= 1) return 0;
    int64_t inner = 1;
    for (size_t k = static_cast<size_t>(p.axis) + 1; k < s.size(); ++k) inner *= s[k];
    return static_cast<size_t>((e / inner) % s[static_cast<size_t>(p.axis)]);
}

}  // namespace percept::graph
