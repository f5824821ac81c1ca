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

// C [M x N] = act(A B + colBias) for computed rows A [M x K] and a constant B [K x N], packed
// here (the MatMul kernel's packed path, colBias N values or empty). Its run() reads A from
// inputs[0] and writes C to outputs[0]. The 1x1 conv's small-plane form runs on it.
std::unique_ptr<Kernel> makeConstantProduct(int64_t M, int64_t N, int64_t K, const float* constB, const std::vector<float>& colBias,
                                            const graph::FusedActivation& act, const KernelConfig& cfg);

}  // namespace percept::cpu
