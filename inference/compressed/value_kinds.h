// SPDX-License-Identifier: Apache-2.0
#pragma once
// Codes shared by the compressed model file's reader and writer (FORMAT.md).
#include <cstddef>
#include <cstdint>

#include "graph/ir.h"

namespace percept::compressed {

enum class ValueKind : uint8_t { Computed = 0, Input = 1, Constant = 2, CodedConstant = 3 };

inline uint8_t dtypeCode(graph::DType t) { return static_cast<uint8_t>(t); }  // 0 float32, 1 int64, 2 bool

// The node inputs that may hold coded weights: the weights of Conv / ConvTranspose and the B
// matrix of Gemm / MatMul. Their kernels repack these at session creation and never read them
// element by element anywhere else.
inline bool weightSlot(graph::OpKind op, size_t input) {
    using graph::OpKind;
    return input == 1 && (op == OpKind::Conv || op == OpKind::ConvTranspose || op == OpKind::Gemm || op == OpKind::MatMul);
}

}  // namespace percept::compressed
