// SPDX-License-Identifier: Apache-2.0
#pragma once
// Teaching a model new classes on the device (after THOMAS: fine-tuning the last layers of a
// pretrained network with the user's own pictures).
//
// The base model is cut in two: the frozen part runs once per example (an ordinary inference
// Session asked for the value at the cut as an extra output), and a branch copied from the
// base's last layers (the last weight layer with the new classes as its outputs) trains on
// what the frozen part gave. Mode::Head trains a new last layer on the penultimate features;
// Mode::FineTune also trains the weight layers before it (the last block). With `extend`, the
// personalised model gives the base's classes unchanged plus the new ones (the branch runs
// beside the base's own last layers); without it, the new classes only.
//
// A training step (forward, softmax cross-entropy, backward, SGD with momentum or Adam, weight
// decay) is one graph run by a Session on the chosen backend (CPU or Vulkan): the engine's own
// kernels (packed GEMM, conv, reductions) compute it, and its memory planner keeps each
// activation only until the backward pass has read it. The result exports as a standard ONNX
// file (the base model's graph plus the branch, labels in metadata_props).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "percept/backend.h"
#include "percept/model.h"
#include "percept/tensor.h"

namespace percept::train {

enum class Mode { Head, FineTune };
enum class Optimizer { Sgd, Adam };

const char* modeName(Mode m);  // "head", "finetune"
Mode parseMode(const std::string& s);  // throws percept::Error

struct Options {
    Mode mode = Mode::Head;
    // FineTune: weight layers (Conv, Gemm, MatMul) trained, counted back from the output
    // (Head trains 1). 2 is the last conv block and the classifier.
    int fineTuneLayers = 2;
    // Keep the base model's classes (the new ones appended after them) or give the new only.
    bool extend = true;
    Optimizer optimizer = Optimizer::Adam;
    float learningRate = 0.0f;  // 0: Adam 1e-3 (Head: 1e-2), SGD 0.05; cosine decay to 0 over the epochs
    float momentum = 0.9f;      // SGD
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // Adam
    float weightDecay = 1e-4f;  // L2 for SGD, decoupled (AdamW) for Adam; weights only, not biases
    // The share of the loss given to examples of none of the new classes (Example::label -1),
    // whatever their number; 0: each example weighs the same.
    float negativeShare = 0.5f;
    // Extend: after training, each new class's scores are lowered until 90 % of its training
    // examples beat the base model's best class by this much (natural log of the odds) and no
    // more, so a new class wins only where it is about as sure as on its own pictures, not on
    // every picture unlike the few it was told apart from (an open-set threshold; 0: off).
    float openSetMargin = 2.0f;
    int batch = 16;
    int epochs = 20;
    uint32_t seed = 1;          // new weights' initialisation and the batches' shuffling
    SessionOptions session;     // backend and threads for extraction and training
};

// What the frozen part computed for one input: kept for every epoch.
struct Features {
    Tensor cut;   // the value at the cut, batch 1
    Tensor base;  // the base model's class scores (before a final Softmax), batch 1
};

struct Example {
    Features features;
    // Index of one of the new classes, or -1: none of them (extend only), so the personalised
    // model must keep the base model's answer (the target is the base's own distribution).
    int label = -1;
};

struct EpochReport {
    int epoch = 0, epochs = 0;
    double loss = 0.0;                // mean over the epoch's examples
    double trainAccuracy = 0.0;       // examples of new classes recognised during the epoch
    double heldBackAccuracy = -1.0;   // after the epoch; -1 without held-back examples
    double ms = 0.0;                  // the epoch's training time
};

struct Report {
    int epochs = 0;                    // run (fewer when progress() stopped it)
    double trainMs = 0.0;              // all epochs, held-back evaluation excluded
    double heldBackAccuracy = -1.0;
    double loss = 0.0;
    std::vector<float> offsets;        // per new class: what the open-set threshold added to its scores
    int trainedLayers = 0;
    int64_t parameters = 0;            // trained values
    std::string cut;                   // the value the branch starts from
    // Memory of one training step on the backend (the session's plan: activations kept for
    // the backward pass, each freed after its last reader), and what the examples' features hold.
    size_t stepArenaBytes = 0, stepNaiveBytes = 0, stepDeviceBytes = 0, featureBytes = 0;
    std::string device;
};

class Trainer {
public:
    // Plans the branch (throws percept::Error with the reason when this model cannot be taught
    // this way) and opens the frozen part's session.
    Trainer(const Model& base, std::vector<std::string> classNames, const Options& options);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    // Runs the frozen part on one preprocessed input (the model's input shape).
    Features extract(const Tensor& input);
    // Trains the branch from its starting point; held-back examples are measured after each
    // epoch. progress() may return false to stop after that epoch. Calling fit() again starts over.
    Report fit(const std::vector<Example>& train, const std::vector<Example>& heldBack,
               const std::function<bool(const EpochReport&)>& progress = {});
    // The personalised model's class scores for one example (base classes then new, or the new
    // only), before any softmax: what the exported model computes before its final Softmax.
    std::vector<float> scores(const Features& f);
    // Share of labelled examples whose top score is their class.
    double accuracy(const std::vector<Example>& examples);

    // The personalised model as ONNX bytes: `baseOnnx` (the base model's file, as read) plus the
    // trained branch; metadata_props replaced/added from `metadata` and the percept.teach.* keys.
    std::string exportOnnx(const std::string& baseOnnx, const std::map<std::string, std::string>& metadata) const;

    const std::vector<std::string>& classNames() const;
    const Options& options() const;
    int64_t baseClasses() const;     // class scores of the base model
    std::string cutName() const;
    Shape cutShape() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace percept::train
