// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the fusion passes (graph/fusion*.cpp) share for matching chains of nodes and removing
// the ones a rewrite swallowed.
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

// The node index making each value, -1 for inputs and constants.
std::vector<int> producers(const Graph& g);
// Whether v is one of the graph's outputs (a fusion must not swallow it).
bool isGraphOutput(const Graph& g, int v);
// Whether v is a float32 constant held as plain values (not compressed: graph/ir.h), which a
// fold may read and rewrite.
bool isPlainFloatConstant(const Graph& g, int v);
// A float constant broadcast along the rows of a [..., N] output `out`: shape [N] or
// [1, ..., 1, N], of no higher rank than `out` (a Linear layer's bias).
bool isRowBias(const Graph& g, int v, const Shape& out);
// Removes the nodes whose drop flag is set; the others keep their order.
void eraseNodes(Graph& g, const std::vector<char>& drop);

}  // namespace percept::graph
