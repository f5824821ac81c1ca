// SPDX-License-Identifier: Apache-2.0
#pragma once
// A naive, single-threaded training step for a taught branch (THOMAS's comparison: the serial
// single-core version beside the parallel one): plain nested loops in double precision, written
// from the ops' definitions, independently of the engine's kernels and of its graph of the step
// (train_graph.cpp). It reads the same plan (train_plan.h) and updates the same parameters:
// the reference the engine's step is checked against (test_train_step.cpp) and the baseline it
// is timed against (bench_train.cpp).
//
// Ops: Conv (groups, strides, pads, dilations, fused activation), Gemm / MatMul with 2-D
// weights, GlobalAveragePool, the reshapes, Relu / Clip / LeakyRelu / HardSigmoid / HardSwish /
// Sigmoid, Add of two values of one shape, Concat on the channels.
#include <cstdint>
#include <vector>

#include "graph/ir.h"
#include "percept/train.h"
#include "train/train_plan.h"

namespace percept::naive {

struct Hyper {
    train::Optimizer optimizer = train::Optimizer::Adam;
    float momentum = 0.9f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
};

class NaiveTrainer {
public:
    NaiveTrainer(const graph::Graph& g, const train::Plan& plan, bool extend, Hyper hyper);

    // One step on a batch: x [B, cut...], base [B, N0] (extend), target [B, Nt], weight [B];
    // `lr` and `lrDecay` as the engine's step takes them (Adam: bias-corrected). Updates
    // params() and the optimizer states; returns the loss.
    double step(int64_t B, const std::vector<float>& x, const std::vector<float>& base, const std::vector<float>& target,
                const std::vector<float>& weight, float lr, float lrDecay);

    std::vector<Tensor>& params() { return params_; }
    // Bytes the last step kept: every forward value, pre-activation and gradient (in double).
    size_t activationBytes() const;

private:
    struct Buf {
        Shape shape;
        std::vector<double> v;
    };
    void forwardNode(size_t node);
    void backwardNode(size_t node);
    Shape shapeOf(int value) const;
    Buf& grad(int value);

    const graph::Graph& g_;
    const train::Plan& plan_;
    bool extend_;
    Hyper h_;
    int64_t B_ = 1;
    std::vector<Tensor> params_, m_, v_;
    std::vector<std::vector<double>> pgrad_;
    std::vector<Buf> val_, pre_, grad_;  // per base value: forward value, pre-activation, gradient
};

}  // namespace percept::naive
