// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <cstdint>

#include "graph/ir.h"

namespace percept::graph {

// Floating-point operations of one node (a multiply-add counts as 2), from its shapes.
int64_t nodeFlops(const Graph& g, const Node& n);

}  // namespace percept::graph
