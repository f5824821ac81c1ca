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
// Removes the nodes whose drop flag is set; the others keep their order.
void eraseNodes(Graph& g, const std::vector<char>& drop);

}  // namespace percept::graph
