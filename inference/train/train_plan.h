// SPDX-License-Identifier: Apache-2.0
#pragma once
// What a personalisation trains, read off the optimised model graph: the cut (the value the
// frozen part computes, fed to training as features), the branch (the base model's nodes from
// the cut to its class scores, copied with their weights as the trained starting point), its
// last weight layer (whose outputs become the new classes), and the branch's parameters.
//
// The cut is the latest value that every path from the input to the class scores goes through
// and that leaves at least `layers` weight layers (Conv, Gemm, MatMul with constant weights)
// after it: 1 for a new head, more to fine-tune the last block(s). Weights here are those of
// the optimised graph (BatchNorm folded into its conv, Gemm's alpha and beta folded in), which
// is what trains and what the export writes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "percept/tensor.h"

namespace percept::train {

// A trained tensor: a weight layer's weights or bias, starting from the base model's values
// (the last layer's: new, for the new classes).
struct Param {
    std::string name;  // "<base initializer>" for the export and messages
    Tensor value;
    bool decay = true;  // weight decay applies (weights; not biases)
};

// A weight layer of the branch and where its parameters are.
struct Layer {
    size_t node = 0;   // index into the base graph's nodes
    int weight = -1;   // index into Plan::params
    int bias = -1;     // index into Plan::params, or -1 (no bias)
    bool transB = false;  // Gemm: weights stored [N, K]
};

struct Plan {
    int cut = -1;                // base value fed as features
    int logits = -1;             // base value holding the class scores
    int64_t baseClasses = 0;     // class scores of the base model (elements of `logits`)
    graph::OpKind endsIn = graph::OpKind::Identity;  // Softmax / LogSoftmax after `logits`, else Identity
    std::vector<size_t> nodes;   // the branch: base node indices, topological order
    size_t classifier = 0;       // the last weight layer (index into base nodes)
    std::vector<Layer> layers;   // the branch's weight layers, in order
    std::vector<Param> params;
    int64_t classes = 0;         // new classes: the classifier's output count in the branch
    // Per base value downstream of the classifier: the axis holding the class scores.
    std::map<int, size_t> classAxis;

    // Whether the branch leaves out this node's activation: the classifier's own and any after it
    // (SqueezeNet's ReLU on its class scores), so no new class's score can die at 0 for every
    // picture, where no gradient would teach it again.
    bool dropsActivation(size_t node) const { return node >= classifier; }

    // The shape a branch value has with `batch` examples (base shapes have batch 1).
    Shape branchShape(const graph::Graph& g, int value, int64_t batch) const;
};

// Throws percept::Error with the reason when the model cannot be personalised this way (more
// than one output, a branch op without a gradient here, no cut leaving enough layers).
// `layers`: weight layers to train, counted back from the output (>= 1). The new classifier's
// weights start small and random (seeded), its bias at zero.
Plan planTraining(const graph::Graph& g, int layers, int64_t classes, uint32_t seed);

}  // namespace percept::train
