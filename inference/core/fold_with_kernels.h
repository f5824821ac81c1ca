// SPDX-License-Identifier: Apache-2.0
#pragma once
// Load-time evaluation of float sub-graphs on constants with the CPU backend's own kernels.
#include <cstddef>

#include "graph/ir.h"

namespace percept::detail {

// A fold larger than this is left to run (a weight that big is rare; folding it would double
// the model's memory while it loads).
inline constexpr size_t kMaxKernelFoldBytes = size_t{64} << 20;
// Nor is a node costing more than this (about a second of one core): weight preprocessing is
// cheap, and a hostile file must not make loading arbitrarily slow.
inline constexpr int64_t kMaxKernelFoldFlops = int64_t{1} << 30;

// Every node whose present inputs are all constant and whose outputs are all float32 (at most
// kMaxKernelFoldBytes each, kMaxKernelFoldFlops in all) is run once, here, by the CPU kernel the session would use -- so
// it computes exactly what it would have computed every frame -- and its outputs become
// constants: weight preprocessing (a Transpose of a weight, DequantizeLinear-like Sub / Mul on
// initializers, a Resize of a constant) never runs per frame. Nodes are visited in order, so
// whole chains fold. Called after shape inference (which folded the integer shape arithmetic)
// and before the fusions. Returns the number of nodes folded.
size_t foldWithKernels(graph::Graph& g);

}  // namespace percept::detail
