// SPDX-License-Identifier: Apache-2.0
#pragma once
// The branch's forward pass and its gradient, op by op (reverse-mode differentiation by hand for
// the ops a classifier's last layers use):
//   Conv (groups, depthwise, strides, pads, dilations; BatchNorm already folded in): the column
//     matrix by a one-hot grouped Conv (im2col as the engine's own conv kernel computes it),
//     MatMul with the weights per group; dW = dZ col^T over the batch, dcol = W^T dZ, and dX
//     from dcol by the one-hot ConvTranspose (col2im); a 1x1 stride-1 conv needs no columns;
//   Gemm / MatMul with constant weights: dW = A^T dZ (or dZ^T A), dA = dZ W^T;
//   GlobalAveragePool: dX = dY / (H W) spread over the plane;
//   Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU (standalone or fused into the
//     op before): dZ = dY * f'(Z), from the kept pre-activation Z;
//   Add, Sub, Mul (numpy broadcasting; the gradient summed over broadcast axes), Concat, and the
//     reshapes (Flatten, Reshape, Squeeze, Unsqueeze).
// Anything else in the branch is refused, naming the node.
#include <map>
#include <vector>

#include "graph/ir.h"
#include "train/graph_writer.h"
#include "train/train_plan.h"

namespace percept::train {

class Branch {
public:
    Branch(GraphWriter& w, const graph::Graph& base, const Plan& plan, int64_t batch);

    // Emits the forward pass from `x` (the cut's values, [B, cut...]) with `params` (one value
    // per Plan::params); returns the class scores' value (the branch shape of Plan::logits).
    int forward(int x, const std::vector<int>& params);

    struct Gradients {
        std::vector<int> params;  // per parameter: its gradient's value
        int cut = -1;             // the cut's gradient (only when asked: it costs a pass)
    };
    // Emits the backward pass from the class scores' gradient.
    Gradients backward(int dScores, bool cutGradient);

private:
    struct Saved {
        int colg = -1;    // Conv: the column matrix [B, G, K, P]; Gemm/MatMul: the input A
        int weights = -1; // Conv: [G, Mg, K]; Gemm/MatMul: the parameter
        int z = -1;       // pre-activation (fused activation only)
        bool pointwise = false;  // Conv: 1x1, stride 1, no pads: the columns are the input itself
    };
    int convForward(size_t node, const Layer& layer, int x, const std::vector<int>& params, Saved& saved);
    int linearForward(const Layer& layer, int x, const std::vector<int>& params, Saved& saved);
    int plainForward(size_t node, Saved& saved);
    void convBackward(size_t node, const Layer& layer, int dz, const Saved& saved, bool wantInput);
    void linearBackward(size_t node, const Layer& layer, int dz, const Saved& saved, bool wantInput);
    void plainBackward(size_t node, int dy);

    int activationGrad(const graph::FusedActivation& act, int z, int dy);
    int unbroadcast(int d, const Shape& to);
    int valueOf(int baseValue);  // the training value of a base value (constants copied)
    void addGrad(int baseValue, int g);
    bool wantsGrad(int baseValue) const;
    const Layer* layerAt(size_t node) const;
    Tensor oneHot(int64_t C, int64_t taps, const Shape& kernel) const;

    GraphWriter& w_;
    const graph::Graph& g_;
    const Plan& plan_;
    int64_t B_;
    bool cutGradient_ = false;
    std::map<int, int> val_;      // base value -> training value (forward)
    std::map<int, int> grad_;     // base value -> its gradient
    std::map<size_t, Saved> saved_;
    std::vector<int> paramGrads_;
};

}  // namespace percept::train
