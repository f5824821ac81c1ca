// SPDX-License-Identifier: Apache-2.0
#pragma once
// The MatMul kernel with a fused bias Add (CPU speed): a Linear layer exported as MatMul + Add
// (graph::fusedAddCandidates' MatMul entries) as one product whose epilogue adds the bias per column and
// applies the Add's activation (a transformer MLP's Gelu), so the product is never stored
// without them and read back by a broadcast Add.
#include <memory>

#include "cpu/kernel.h"
#include "graph/fusion.h"

namespace percept::cpu {

// Its run() takes the MatMul's inputs and writes the Add's output.
std::unique_ptr<Kernel> makeMatMulBias(const graph::Graph& g, const graph::FusedAdd& fa, const KernelConfig& cfg);

}  // namespace percept::cpu
