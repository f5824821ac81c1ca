// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): the CPU backend's quantised kernels. A node with an 8-bit operand other than
// QuantizeLinear / DequantizeLinear is built here (int8_registry.cpp) instead of by the float
// table in kernel_registry.cpp.
#include <memory>
#include <string>

#include "cpu/kernel.h"

namespace percept::cpu {

// Whether the int8 kernels run this quantised node (INT8.md's table); `why` says why not.
bool int8Supports(const graph::Graph& g, const graph::Node& n, std::string* why);
std::unique_ptr<Kernel> makeInt8Kernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);

// The families (int8_conv.cpp, int8_ops.cpp).
std::unique_ptr<Kernel> makeInt8Conv(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);
std::unique_ptr<Kernel> makeInt8Linear(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);  // Gemm, MatMul
std::unique_ptr<Kernel> makeInt8Add(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);
std::unique_ptr<Kernel> makeInt8Concat(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);
std::unique_ptr<Kernel> makeInt8Pool(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);  // MaxPool, AveragePool, GlobalAveragePool
std::unique_ptr<Kernel> makeInt8View(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);  // Reshape, Flatten, Squeeze, Unsqueeze
std::unique_ptr<Kernel> makeInt8Table(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg);  // unary functions

}  // namespace percept::cpu
