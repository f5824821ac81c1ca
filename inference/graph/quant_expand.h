// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): the load pipeline's steps for quantised ops before shape inference
// (quant_expand.cpp).
#include "graph/ir.h"

namespace percept::graph {

// QLinearConv and QLinearMatMul become DequantizeLinear -> Conv/MatMul -> QuantizeLinear, in
// place (the order stays topological).
void expandQLinearOps(Graph& g);

// An 8-bit constant input of `n` (unless n is QuantizeLinear/DequantizeLinear) is replaced by
// an Int64 copy, the integer type the constant folder and integer paths read.
void widenByteConstants(Graph& g, Node& n);

}  // namespace percept::graph
