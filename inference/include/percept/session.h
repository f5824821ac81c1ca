// SPDX-License-Identifier: Apache-2.0
#pragma once
// A model compiled for one backend: weights uploaded/repacked once, activation arena
// planned once; run() is then called per frame and allocates nothing on the CPU path.
#include <memory>
#include <span>
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

    // Runs the model on its inputs (in the model's order); returns its outputs in model order.
    // Throws percept::Error when their number or shapes do not match.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs);
    // The same for a model of one input, read where it is: a copy of a 224x224 image into a
    // vector of one Tensor had cost MobileNetV2 40-70 us a run (a 600 KB allocation and copy).
    Tensor run(const Tensor& input) {
        const Tensor* in = &input;
        return runInputs(std::span<const Tensor* const>(&in, 1)).at(0);
    }

    // Throughput mode (SessionOptions::batch = N): up to N images, each shaped as the model's
    // single input at batch 1, run as one batch (a short list is padded with zeros, whose
    // results are dropped); returns each image's first output, at batch 1. Works at N = 1 too.
    // Throws percept::Error for more images than the batch, a wrong shape, or a model with
    // several inputs.
    std::vector<Tensor> runBatch(const std::vector<Tensor>& images);
    // The images one run() takes (SessionOptions::batch).
    int64_t batch() const { return batch_; }

    virtual const Stats& stats() const = 0;
    virtual Backend backend() const = 0;
    virtual std::string deviceName() const = 0;

protected:
    // What each backend implements: run() with the inputs by address.
    virtual std::vector<Tensor> runInputs(std::span<const Tensor* const> inputs) = 0;

private:
    int64_t batch_ = 1;
    std::vector<Shape> inputShapes_, outputShapes_;  // of the batched graph
};

}  // namespace percept
