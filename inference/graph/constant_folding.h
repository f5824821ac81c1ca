// SPDX-License-Identifier: Apache-2.0
#pragma once
// Constant folding during shape inference: a node whose inputs are all constant (and Shape of
// any tensor, since shapes are static) is evaluated at load time and its outputs become
// constants, so the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains that exporters
// write disappear, and integer shape arithmetic never reaches a backend.
#include "graph/ir.h"

namespace percept::graph {

// Evaluates `n` when it can; returns false when the op is not one the folder evaluates or an
// input is computed at run time (the node then goes to shape inference and a backend).
bool tryFold(Graph& g, const Node& n);

}  // namespace percept::graph
