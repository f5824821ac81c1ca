// SPDX-License-Identifier: Apache-2.0
#pragma once
// One training step graph (train_graph.h) in a Session, with its inputs laid out as the graph
// takes them and the parameters and optimizer states carried from one step to the next: what
// test_train_step.cpp checks against the naive reference and bench_train.cpp times against it.
#include <memory>
#include <vector>

#include "core/model_internal.h"
#include "percept/percept.h"
#include "train/train_graph.h"
#include "train/train_plan.h"

namespace percept::traintest {

struct StepHarness {
    std::unique_ptr<Session> session;
    std::vector<Tensor> in;
    size_t firstParam = 0;
    int states = 1;
    int64_t batch = 1, classes = 0;  // classes: of the loss (base + new, or new)
    bool extend = true;
    static constexpr size_t kX = 0, kBase = 1;

    StepHarness(const graph::Graph& g, const train::Plan& plan, const train::GraphSpec& spec, const SessionOptions& so)
        : states(train::statesPerParam(spec.optimizer)), batch(spec.batch), extend(spec.extend) {
        session = Session::create(detail::modelFromGraph(train::buildTrainGraph(g, plan, spec), "training step"), so);
        classes = (extend ? plan.baseClasses : 0) + plan.classes;
        Shape xs = g.shapeOf(plan.cut);
        xs[0] = batch;
        in.emplace_back(xs);
        if (extend) in.emplace_back(Shape{batch, plan.baseClasses});
        in.emplace_back(Shape{batch, classes});
        in.emplace_back(Shape{batch, 1});
        in.emplace_back(Shape{1});
        in.emplace_back(Shape{1});
        firstParam = in.size();
        for (const train::Param& p : plan.params) {
            in.push_back(p.value);
            for (int s = 0; s < states; ++s) in.emplace_back(p.value.shape);
        }
    }
    size_t target() const { return extend ? 2 : 1; }
    size_t weight() const { return target() + 1; }
    size_t lr() const { return target() + 2; }
    size_t lrDecay() const { return target() + 3; }
    // Parameter k's current value.
    const Tensor& param(size_t k) const { return in[firstParam + k * static_cast<size_t>(1 + states)]; }

    // Runs a step with the inputs as set; the new parameters and states replace the old.
    // Returns the loss.
    float step() {
        std::vector<Tensor> out = session->run(in);
        for (size_t k = 0; k + 2 < out.size() && firstParam + k < in.size(); ++k) in[firstParam + k] = std::move(out[k + 2]);
        return out[0].data[0];
    }
};

}  // namespace percept::traintest
