// SPDX-License-Identifier: Apache-2.0
// The CPU backend's Session: one Kernel per node, one planned arena, one shared workspace,
// one warm thread pool. run() copies the input into the arena, runs the kernels in order
// and copies the outputs out; it allocates nothing but the returned tensors.
#include <cblas.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "core/backend_registry.h"
#include "cpu/conv.h"
#include "cpu/kernel.h"
#include "graph/flops.h"
#include "graph/fusion.h"
#include "graph/limits.h"
#include "graph/memory_planner.h"
#include "percept/error.h"

namespace percept::detail {
namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer allocateAligned(size_t bytes) {
    bytes = (bytes + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for the CPU backend");
    std::memset(p, 0, bytes);
    return AlignedBuffer(static_cast<char*>(p));
}

// The step of a node whose work another node's kernel did (a MaxPool fused into its conv).
class FusedStep final : public cpu::Kernel {
public:
    void run(const float* const*, float* const*, cpu::KernelContext&) override {}
};

// Nodes run as one kernel: the graph's Conv+MaxPool candidates and squeeze-and-excitation
// blocks (graph/fusion.h) that the CPU kernels can take. The fused kernel runs at its first
// node's step and writes its last node's output (cpu::makeConvMaxPool, cpu::makeSqueezeExcite);
// the other nodes' steps are empty.
struct Fusions {
    std::vector<std::unique_ptr<cpu::Kernel>> kernels;  // per node: its fused kernel, or null
    std::vector<int> doneBy;                            // per node: the node whose kernel does its work, or -1
    std::vector<int> writesTo;                          // per node: the value its fused kernel writes, or -1
    std::vector<std::string> label;                     // per node: what its fused kernel adds ("+MaxPool")
    graph::PlanHints hints;                             // for the memory plan
};

Fusions fuseNodes(const graph::Graph& g, const cpu::KernelConfig& cfg) {
    Fusions f;
    const size_t nn = g.nodes.size();
    f.kernels.resize(nn);
    f.doneBy.assign(nn, -1);
    f.writesTo.assign(nn, -1);
    f.label.assign(nn, "");
    f.hints.bornAt.assign(g.values.size(), -1);
    f.hints.elided.assign(g.values.size(), false);
    // first: the kernel's node; rest: the nodes it absorbs, the last one's output written.
    auto take = [&](size_t first, std::unique_ptr<cpu::Kernel> kernel, const std::vector<size_t>& rest, const char* label) {
        if (!kernel) return;
        for (size_t k : rest)
            if (f.kernels[k] || f.doneBy[k] >= 0 || f.doneBy[first] >= 0) return;  // a node is fused once
        f.kernels[first] = std::move(kernel);
        const int out = g.nodes[rest.back()].outputs[0];
        f.writesTo[first] = out;
        f.label[first] = label;
        // The last output is written at the first node's step; the others are never stored.
        f.hints.bornAt[static_cast<size_t>(out)] = static_cast<int>(first);
        f.hints.elided[static_cast<size_t>(g.nodes[first].outputs[0])] = true;
        for (size_t k : rest) {
            f.doneBy[k] = static_cast<int>(first);
            if (k != rest.back()) f.hints.elided[static_cast<size_t>(g.nodes[k].outputs[0])] = true;
        }
    };
    for (const auto& [c, p] : graph::convMaxPoolCandidates(g)) take(c, cpu::makeConvMaxPool(g, g.nodes[c], g.nodes[p], cfg), {p}, "+MaxPool");
    for (const graph::SqueezeExcite& se : graph::squeezeExciteCandidates(g))
        take(se.pool, cpu::makeSqueezeExcite(g, se, cfg), {se.reduce, se.expand, se.mul}, "+SqueezeExcite");
    return f;
}

class CpuSession final : public Session {
public:
    CpuSession(const Model& model, const SessionOptions& options)
        : graph_(model.sharedGraph()),
          threads_(options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
          pool_(threads_),
          profile_(options.profile),
          tuning_(options.tuning),
          simd_(cpu::cpuKernels(cpu::bestIsa(options.tuning.cpuIsa))) {
        // Every GEMM runs single-threaded inside our pool's threads: one threading model.
        openblas_set_num_threads(1);
        const graph::Graph& g = *graph_;
        size_t workspace = 0, repacked = 0;
        const cpu::KernelConfig cfg{simd_, tuning_};
        Fusions fusions = fuseNodes(g, cfg);
        // Concat parts are written in place by their producers (the Concat kernel skips them).
        plan_ = graph::planMemory(g, sizeof(float), 64, graph::ConcatPlacement::InPlace, fusions.hints);
        if (plan_.arenaBytes > graph::kMaxArenaBytes)
            throw Error("the model needs " + std::to_string(plan_.arenaBytes >> 20) + " MiB of activations, more than the engine's limit of " +
                        std::to_string(graph::kMaxArenaBytes >> 20) + " MiB");
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            const graph::Node& n = g.nodes[k];
            std::unique_ptr<cpu::Kernel> kernel = std::move(fusions.kernels[k]);
            const bool away = fusions.doneBy[k] >= 0;
            if (away) kernel = std::make_unique<FusedStep>();
            if (!kernel) kernel = cpu::makeKernel(g, n, cfg);
            kernels_.push_back(std::move(kernel));
            workspace = std::max(workspace, kernels_.back()->workspaceBytes(threads_));
            repacked += kernels_.back()->weightBytes();
            LayerStats ls;
            ls.name = n.name;
            ls.op = n.displayOp() + fusions.label[k];
            ls.algo = away ? "in " + g.nodes[static_cast<size_t>(fusions.doneBy[k])].name : std::string(kernels_.back()->algo());
            ls.flops = graph::nodeFlops(g, n);
            stats_.totalFlops += ls.flops;
            stats_.layers.push_back(ls);
        }
        arena_ = allocateAligned(plan_.arenaBytes);
        workspace_ = allocateAligned(workspace);
        stats_.peakArenaBytes = plan_.arenaBytes;
        stats_.naiveActivationBytes = plan_.naiveBytes;
        stats_.workspaceBytes = workspace;
        // The model's weights plus the copies kernels repacked for their inner loops.
        stats_.weightBytes = g.weightBytes() + repacked;
        stats_.device = "CPU (" + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
        // Pointer tables per node, resolved once.
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            const graph::Node& n = g.nodes[k];
            const bool away = fusions.doneBy[k] >= 0;
            std::vector<const float*> ins;
            if (!away)
                for (int v : n.inputs) ins.push_back(v < 0 ? nullptr : pointer(v));
            std::vector<float*> outs;
            if (fusions.writesTo[k] >= 0) outs.push_back(const_cast<float*>(pointer(fusions.writesTo[k])));
            else if (!away)
                for (int v : n.outputs) outs.push_back(v < 0 ? nullptr : const_cast<float*>(pointer(v)));
            inPtrs_.push_back(std::move(ins));
            outPtrs_.push_back(std::move(outs));
        }
    }

    std::vector<Tensor> run(const std::vector<Tensor>& inputs) override {
        const graph::Graph& g = *graph_;
        detail::checkRunInputs(g, inputs);
        pool_.wake();  // while the inputs are copied in
        for (size_t k = 0; k < inputs.size(); ++k) {
            std::memcpy(const_cast<float*>(pointer(g.inputs[k])), inputs[k].data.data(), inputs[k].data.size() * sizeof(float));
        }
        cpu::KernelContext ctx{pool_, reinterpret_cast<float*>(workspace_.get())};
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        auto last = start;
        for (size_t k = 0; k < kernels_.size(); ++k) {
            kernels_[k]->run(inPtrs_[k].data(), outPtrs_[k].data(), ctx);
            if (profile_) {
                const auto now = Clock::now();
                stats_.layers[k].ms = std::chrono::duration<double, std::milli>(now - last).count();
                last = now;
            }
        }
        stats_.lastRunMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        ++stats_.runs;
        std::vector<Tensor> outs;
        for (int id : g.outputs) {
            const graph::Value& v = g.value(id);
            const float* p = pointer(id);
            outs.emplace_back(v.shape, std::vector<float>(p, p + elementCount(v.shape)));
        }
        return outs;
    }

    const Stats& stats() const override { return stats_; }
    Backend backend() const override { return Backend::Cpu; }
    std::string deviceName() const override { return stats_.device; }

private:
    const float* pointer(int value) const {
        const graph::Value& v = graph_->value(value);
        if (v.constant) {
            // Integer constants (Reshape's target shape, Pad's pads) were consumed at load
            // time; kernels get no data pointer for them.
            return v.constant->dtype == graph::DType::Float32 ? v.constant->f.data() : nullptr;
        }
        const int64_t off = plan_.offsets.at(static_cast<size_t>(value));
        if (off < 0) throw Error("internal error: value '" + v.name + "' has no arena slot");
        return reinterpret_cast<const float*>(arena_.get() + off);
    }

    std::shared_ptr<const graph::Graph> graph_;
    int threads_;
    cpu::ThreadPool pool_;
    bool profile_;
    Tuning tuning_;
    const cpu::CpuKernels& simd_;
    graph::MemoryPlan plan_;
    std::vector<std::unique_ptr<cpu::Kernel>> kernels_;
    std::vector<std::vector<const float*>> inPtrs_;
    std::vector<std::vector<float*>> outPtrs_;
    AlignedBuffer arena_, workspace_;
    Stats stats_;
};

}  // namespace

std::unique_ptr<Session> createCpuSession(const Model& model, const SessionOptions& options) {
    return std::make_unique<CpuSession>(model, options);
}

}  // namespace percept::detail
