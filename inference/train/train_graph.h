// SPDX-License-Identifier: Apache-2.0
#pragma once
// The graphs a personalisation runs, built from the plan (train_plan.h) for a batch of B
// examples, and run by an ordinary Session on either backend:
//  - the training step: the branch forward (parameters are inputs, so a conv whose weights
//    change per step is a one-hot Conv (im2col) then MatMul), softmax cross-entropy against soft
//    targets with per-example weights, the backward pass, and the optimizer's update;
//  - the forward alone (the branch's class scores), for evaluation.
// Every value is an input or an output: the host keeps the parameters and optimizer states
// between steps, so the same session serves every step.
//
// Step inputs, in order: "x" [B, cut...], "base" [B, N0] (extend only), "target" [B, Nt],
// "weight" [B, 1], "lr" [1] (Adam: with its bias corrections), "lr_decay" [1] (SGD: the weight
// decay; Adam: lr x the weight decay), then per parameter its value and its optimizer
// state(s) (SGD: velocity; Adam: m, v).
// Step outputs: "loss" [1, 1], "scores" [B, Nt], then per parameter its new value and states;
// with `gradients` also each parameter's gradient and the cut's (for the gradient checks).
// Forward inputs: "x", then per parameter its value; output: "scores" [B, K].
#include <cstdint>

#include "graph/ir.h"
#include "percept/train.h"
#include "train/train_plan.h"

namespace percept::train {

struct GraphSpec {
    int64_t batch = 1;
    bool extend = true;
    bool step = true;        // false: the forward graph
    bool gradients = false;  // step: also output the gradients
    Optimizer optimizer = Optimizer::Adam;
    float momentum = 0.9f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
};

inline int statesPerParam(Optimizer o) { return o == Optimizer::Adam ? 2 : 1; }

graph::Graph buildTrainGraph(const graph::Graph& base, const Plan& plan, const GraphSpec& spec);

}  // namespace percept::train
