// SPDX-License-Identifier: Apache-2.0
// The training step and forward graphs (train_graph.h): the branch's forward pass written op by
// op with the batch axis widened to B, the loss, the backward pass by the chain rule in reverse
// node order (branch_grad.cpp has each op's rule), and the optimizer's update.
#include "train/train_graph.h"

#include <algorithm>

#include "percept/error.h"
#include "train/branch_grad.h"

namespace percept::train {
namespace {

using graph::OpKind;

// Softmax cross-entropy against soft targets T with per-example weights w (summing to 1 over
// the batch's real examples, 0 for padding): loss = -sum_b w_b sum_c T_bc log softmax(z)_bc,
// dL/dz = w_b (softmax(z) - T) (T's rows sum to 1).
struct Loss {
    int loss = -1, dz = -1;
};
Loss softmaxCrossEntropy(GraphWriter& w, int z, int target, int weight) {
    Loss l;
    const int logp = w.softmax(OpKind::LogSoftmax, z, 1);
    l.loss = w.unary(OpKind::Neg, w.reduceSum(w.mul(w.mul(logp, target), weight), {0, 1}, true));
    l.dz = w.mul(w.sub(w.softmax(OpKind::Softmax, z, 1), target), weight);
    return l;
}

// One parameter's update; returns the new value and states. SGD with momentum and L2 weight
// decay: v = mu v + g + wd p, p -= lr v (lr_decay = wd here). Adam with decoupled weight decay
// (AdamW): m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr_t m / (sqrt v + eps) + lr wd p,
// where lr_t = lr sqrt(1 - b2^t) / (1 - b1^t) (the bias corrections, computed by the host) and
// lr_decay = lr wd.
std::vector<int> update(GraphWriter& w, const GraphSpec& spec, int p, int g, const std::vector<int>& states, int lr, int lrDecay, bool decay) {
    if (spec.optimizer == Optimizer::Sgd) {
        int step = g;
        if (decay) step = w.add(step, w.mul(p, lrDecay));
        const int v = w.add(w.scale(states[0], spec.momentum), step);
        return {w.sub(p, w.mul(v, lr)), v};
    }
    const int m = w.add(w.scale(states[0], spec.beta1), w.scale(g, 1.0f - spec.beta1));
    const int v = w.add(w.scale(states[1], spec.beta2), w.scale(w.mul(g, g), 1.0f - spec.beta2));
    int delta = w.mul(w.div(m, w.add(w.unary(OpKind::Sqrt, v), w.scalar(spec.epsilon))), lr);
    if (decay) delta = w.add(delta, w.mul(p, lrDecay));
    return {w.sub(p, delta), m, v};
}

}  // namespace

graph::Graph buildTrainGraph(const graph::Graph& base, const Plan& plan, const GraphSpec& spec) {
    GraphWriter w;
    const int64_t B = spec.batch, N0 = plan.baseClasses, K = plan.classes;
    const int64_t Nt = spec.extend ? N0 + K : K;
    Branch branch(w, base, plan, B);
    const int x = w.input("x", plan.branchShape(base, plan.cut, B));
    int baseScores = -1, target = -1, weight = -1, lr = -1, lrDecay = -1;
    if (spec.step) {
        if (spec.extend) baseScores = w.input("base", {B, N0});
        target = w.input("target", {B, Nt});
        weight = w.input("weight", {B, 1});
        lr = w.input("lr", {1});
        lrDecay = w.input("lr_decay", {1});
    }
    std::vector<int> params, states;
    const int S = statesPerParam(spec.optimizer);
    for (const Param& p : plan.params) {
        params.push_back(w.input(p.name, p.value.shape));
        if (spec.step)
            for (int s = 0; s < S; ++s) states.push_back(w.input(p.name + (s == 0 ? "_m" : "_v"), p.value.shape));
    }

    const int branchOut = branch.forward(x, params);
    const int scores = w.reshape(branchOut, {B, K});
    if (!spec.step) {
        w.output(scores, "scores");
        return w.take();
    }
    const int z = spec.extend ? w.concat({baseScores, scores}, 1) : scores;
    const Loss loss = softmaxCrossEntropy(w, z, target, weight);
    const int dScores = spec.extend ? w.slice(loss.dz, 1, N0, N0 + K) : loss.dz;
    const Branch::Gradients grads = branch.backward(w.reshape(dScores, w.shape(branchOut)), spec.gradients);

    w.output(loss.loss, "loss");
    w.output(z, "scores");
    for (size_t k = 0; k < plan.params.size(); ++k) {
        const int g = grads.params[k];
        if (g < 0) throw Error("internal error: no gradient reaches parameter '" + plan.params[k].name + "'");
        const std::vector<int> st(states.begin() + static_cast<std::ptrdiff_t>(k) * S, states.begin() + static_cast<std::ptrdiff_t>(k + 1) * S);
        const std::vector<int> next = update(w, spec, params[k], g, st, lr, lrDecay, plan.params[k].decay);
        w.output(next[0], plan.params[k].name + "_next");
        for (int s = 0; s < S; ++s) w.output(next[static_cast<size_t>(s) + 1], plan.params[k].name + (s == 0 ? "_m_next" : "_v_next"));
    }
    if (spec.gradients) {
        for (size_t k = 0; k < plan.params.size(); ++k) w.output(grads.params[k], plan.params[k].name + "_grad");
        if (grads.cut < 0) throw Error("internal error: no gradient reaches the cut");
        w.output(grads.cut, "x_grad");
    }
    return w.take();
}

}  // namespace percept::train
