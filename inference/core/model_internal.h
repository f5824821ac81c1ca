// SPDX-License-Identifier: Apache-2.0
#pragma once
// Internal entry points behind percept::Model, shared by the loader and the tests (which
// build small graphs by hand and run them through the same pipeline as an ONNX file).
#include <string>

#include "graph/ir.h"
#include "percept/model.h"

namespace percept::detail {

// Runs the whole load pipeline on an imported graph: topological order, constant folding and
// shape inference, float nodes on constants evaluated by the CPU kernels (fold_with_kernels.h),
// passes (drop Dropout/Identity, fold BatchNorm, fuse activations), validation. Throws
// percept::Error.
Model modelFromGraph(graph::Graph g, const std::string& source);

// A copy of a model whose compressed weights (percept-compress) are all decoded: what the
// Vulkan backend runs.
Model decodedModel(const Model& model);

}  // namespace percept::detail
