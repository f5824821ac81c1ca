// SPDX-License-Identifier: Apache-2.0
#pragma once
// A model compiled for one backend: weights uploaded/repacked once, activation arena
// planned once; run() is then called per frame and allocates nothing on the CPU path.
#include <memory>
#include <string>
#include <vector>

#include "percept/backend.h"
#include "percept/model.h"
#include "percept/stats.h"
#include "percept/tensor.h"

namespace percept {

class Session {
public:
    // Throws percept::Error when the backend is unavailable or cannot run the model.
    static std::unique_ptr<Session> create(const Model& model, const SessionOptions& options = {});
    virtual ~Session() = default;

    // Runs the model on its (single) input; returns its outputs in model order.
    // Throws percept::Error when the input's shape does not match.
    virtual std::vector<Tensor> run(const std::vector<Tensor>& inputs) = 0;
    Tensor run(const Tensor& input) { return run(std::vector<Tensor>{input}).at(0); }

    virtual const Stats& stats() const = 0;
    virtual Backend backend() const = 0;
    virtual std::string deviceName() const = 0;
};

}  // namespace percept
