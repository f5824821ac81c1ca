// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shape inference with constant folding, in one walk over the (topologically sorted) graph:
// each node is folded to constants when it can be (graph/constant_folding.h), otherwise its
// schema (graph/op_schema.h) checks it and sets its output shapes and types.
#include <string>

#include "graph/ir.h"

namespace percept::graph {

void inferShapesAndFold(Graph& g);

// Multidirectional (numpy) broadcast of two shapes; throws with `who` in the message.
Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& who);

}  // namespace percept::graph
