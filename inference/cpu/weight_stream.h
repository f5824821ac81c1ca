// SPDX-License-Identifier: Apache-2.0
#pragma once
// Compressed weights on the CPU backend (models from percept-compress; Espresso's on-the-fly
// decompression). The session works on its own copy of the graph (the "view") whose coded
// weights (graph::TensorData::coded) this file swaps for decoded ones: all of them at creation
// (the decompress-at-load session), or, under SessionOptions::weightMemoryBudget, only the
// layers that fit, the others ("streamed") being decoded and their kernels built again just
// before each run, into buffers that are reused from layer to layer. With two lanes the next
// streamed layer is decoded and built on a helper thread while the current one computes.
//
// A streamed layer's kernel is made by the same factory as a resident one, from the same
// decoded values, so both sessions compute bit for bit the same outputs.
#include <condition_variable>
#include <exception>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu/kernel.h"
#include "graph/fusion.h"
#include "graph/ir.h"

namespace percept::cpu {

// What one kernel of the session computes: one node, or a fused group (graph/fusion.h) whose
// kernel runs at its first node's step.
struct StepSpec {
    enum class Kind { Node, ConvMaxPool, ConvPointwiseDepthwise, SqueezeExcite, MatMulBias, ConvAdd, SqueezeExciteConv } kind = Kind::Node;
    std::vector<size_t> nodes;  // nodes[0]: the node whose step runs the kernel
    graph::SqueezeExcite se;    // Kind::SqueezeExcite
    graph::FusedAdd add;        // Kind::MatMulBias: a MatMul and its bias Add (cpu/gemm.h); Kind::ConvAdd: a
                                // Conv and its residual Add (cpu/conv.h), the addend its kernel's last input
    graph::SqueezeExciteConv seConv;  // Kind::SqueezeExciteConv; with an Add, its addend the kernel's last input

    // The value added by the step's kernel after its first node's inputs, or -1.
    int addend() const {
        if (kind == Kind::ConvAdd) return add.addend;
        if (kind == Kind::SqueezeExciteConv) return seConv.add.addend;
        return -1;
    }
};

// The step's kernel, from the graph's current constants (null when a fused kernel does not
// apply: cpu::makeConvMaxPool's and makeSqueezeExcite's rules).
std::unique_ptr<Kernel> buildStep(const graph::Graph& g, const StepSpec& step, const KernelConfig& cfg);
// How many input pointers the step's kernel takes: its first node's inputs, then the
// residual Add's addend (StepSpec::addend()) where there is one.
size_t stepInputCount(const graph::Graph& g, const StepSpec& step);

// Decodes a coded tensor into out, its chunks spread over the pool (null: on this thread).
// Throws percept::Error when a chunk is corrupt.
void decodeCoded(const graph::TensorData& coded, float* out, ThreadPool* pool);

// Whether the graph holds coded weights, and their bytes coded / decoded (fp32).
bool hasCodedWeights(const graph::Graph& g);
size_t codedWeightBytes(const graph::Graph& g);
size_t decodedWeightBytes(const graph::Graph& g);

class WeightStream {
public:
    // view: the session's copy of the graph; pool: the session's (inline decoding).
    WeightStream(graph::Graph& view, const KernelConfig& cfg, ThreadPool& pool);
    ~WeightStream();
    WeightStream(const WeightStream&) = delete;
    WeightStream& operator=(const WeightStream&) = delete;

    // The coded weights a step's nodes read (value ids).
    std::vector<int> codedInputs(const StepSpec& step) const;
    // Decodes them into the view, where they stay (resident). Returns the bytes decoded.
    size_t decodeResident(const std::vector<int>& values);
    // Puts their coded form back into the view (after a step was only measured).
    void recode(const std::vector<int>& values);

    // From now on `step` (its node nodes[0]) is streamed.
    void addStreamed(const StepSpec& step);
    // Lanes: 1, or 2 to build the next streamed step on a helper thread. Call once, after the
    // last addStreamed and the resident decoding.
    void start(int lanes);

    // The kernel of streamed step `node`, built with its weights decoded in a lane; `inputs`
    // becomes the node's input pointers with the coded weights pointing at their decoded
    // values. Valid until release(node).
    Kernel& acquire(size_t node, const float* const* given, std::vector<const float*>& inputs);
    void release(size_t node);

    int streamedSteps() const { return static_cast<int>(streamed_.size()); }
    int lanes() const { return static_cast<int>(lanes_.size()); }
    // The lanes' decode buffers (their high-water mark).
    size_t bufferBytes() const;
    // Time the session's thread spent decoding and building streamed steps, or waiting for the
    // helper thread to finish them, since the last call.
    double takeWaitedMs();

private:
    struct Lane {
        std::unique_ptr<graph::Graph> view;                      // the lane's copy of the view
        std::vector<std::shared_ptr<graph::TensorData>> slots;  // reused decode buffers
        std::unique_ptr<Kernel> kernel;
        size_t node = SIZE_MAX;                                 // the step it holds
        std::exception_ptr error;
    };
    struct Streamed {
        StepSpec step;
        std::vector<int> coded;
    };
    const Streamed* find(size_t node) const;
    void fill(Lane& lane, const Streamed& s, ThreadPool* pool);
    void helperLoop();
    void prefetchAfter(size_t node);

    graph::Graph& view_;
    std::vector<graph::ConstPtr> codedOf_;  // per value: its coded form, or null
    KernelConfig cfg_;
    ThreadPool& pool_;
    std::vector<Streamed> streamed_;  // in node order
    std::vector<Lane> lanes_;
    size_t current_ = 0;               // the lane the next acquire uses
    double waitedMs_ = 0.0;
    // Helper thread (two lanes): fills lanes_[pendingLane_] for step pendingNode_.
    std::thread helper_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool busy_ = false, stop_ = false;
    size_t pendingLane_ = 0, pendingNode_ = SIZE_MAX;
};

}  // namespace percept::cpu
