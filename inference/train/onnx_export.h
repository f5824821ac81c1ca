// SPDX-License-Identifier: Apache-2.0
#pragma once
// The personalised model as a standard ONNX file: the base model's file as it was written, plus
// the taught branch from the cut (its layers with the trained weights as new initializers, in
// ops of the file's own opset), and a new output: the base's class scores followed by the new
// classes' (extend; ImageNet's outputs unchanged), or the new classes' alone. A final Softmax
// of the base stays final. Nodes no longer needed (the base's own classifier when replaced) and
// their initializers are dropped; metadata_props gets `metadata`'s entries.
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "train/train_plan.h"

namespace percept::train {

// Throws percept::Error when `baseOnnx` is not the model the plan was made from (a value it
// names is missing) or cannot be written in the file's opset.
// `offsets`: added to the new classes' scores (the open-set threshold), none when all are 0.
std::string exportPersonalised(const std::string& baseOnnx, const graph::Graph& g, const Plan& plan, const std::vector<Tensor>& params,
                               const std::vector<float>& offsets, bool extend, const std::map<std::string, std::string>& metadata);

}  // namespace percept::train
