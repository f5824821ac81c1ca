// SPDX-License-Identifier: Apache-2.0
#pragma once
// Graph passes, run once at load time in this order by the model loader (the fusions are in
// graph/fusion.h).
#include "graph/ir.h"

namespace percept::graph {

// Orders nodes so every node follows the producers of its inputs; throws on cycles or on a
// value produced twice.
void sortTopologically(Graph& g);
// Dropout (inference) and Identity forward their input.
void removeIdentityOps(Graph& g);
// Drops nodes whose outputs nobody reads, then unused values.
void removeDeadNodes(Graph& g);

}  // namespace percept::graph
