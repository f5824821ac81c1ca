#pragma once
// Shape inference with constant folding, in one walk over the (topologically sorted) graph:
// a node whose inputs are all constant -- and Shape of any tensor whose shape is known -- is
// evaluated here and becomes a constant, so the Shape/Gather/Unsqueeze/Concat chains that
// PyTorch exports in front of Reshape disappear at load time. Every other node gets its
// output shapes, or an error naming it.
#include "graph/ir.h"

namespace percept::graph {

void inferShapesAndFold(Graph& g);

// Ops that only exist for shape arithmetic: they must fold away, a backend never runs them.
bool isFoldOnlyOp(const std::string& op);

// Multidirectional (numpy) broadcast of two shapes; throws with `who` in the message.
Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& who);

}  // namespace percept::graph
