// SPDX-License-Identifier: Apache-2.0
// The CPU backend's Session: one Kernel per node, one planned arena, one shared workspace,
// one warm thread pool. run() copies the input into the arena, runs the kernels in order
// and copies the outputs out; it allocates nothing but the returned tensors.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/backend_registry.h"
#include "cpu/conv.h"
#include "cpu/gemm.h"
#include "cpu/isa.h"
#include "cpu/kernel.h"
#include "cpu/weight_stream.h"
#include "graph/flops.h"
#include "graph/fusion.h"
#include "graph/limits.h"
#include "graph/memory_planner.h"
#include "percept/error.h"

// OpenBLAS's own (driver/others/blas_server.c; exported, not in cblas.h): stops its threads.
// Weak: a build of the library without it (Debian's serial alternative has no threads) leaves
// it null instead of failing to load.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

namespace percept::detail {
namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer allocateAligned(size_t bytes) {
    // Page-aligned: the kernels' per-thread workspace slices are whole pages apart (op_util.h).
    bytes = cpu::threadStrideBytes(std::max<size_t>(bytes, 1));
    void* p = std::aligned_alloc(cpu::kWorkspacePageBytes, bytes);
    if (!p) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes for the CPU backend");
    std::memset(p, 0, bytes);
    return AlignedBuffer(static_cast<char*>(p));
}

// The step of a node whose work another node's kernel did (a MaxPool fused into its conv).
class FusedStep final : public cpu::Kernel {
public:
    void run(const float* const*, float* const*, cpu::KernelContext&) override {}
};

// Compressed weights, budget pass: a step's kernel was built once to learn its figures, then
// dropped with its decoded weights until the budget decides where it goes.
class Measured final : public cpu::Kernel {
public:
    Measured(const cpu::Kernel& k, int threads) : algo_(k.algo()), workspace_(k.workspaceBytes(threads)) {}
    void run(const float* const*, float* const*, cpu::KernelContext&) override { throw Error("internal error: a measured step ran"); }
    size_t workspaceBytes(int) const override { return workspace_; }
    const char* algo() const override { return algo_.c_str(); }

private:
    std::string algo_;
    size_t workspace_;
};

// A step whose compressed weights are decoded, and its kernel built, just before it runs
// (cpu/weight_stream.h); the kernel and its decoded weights go right after.
class StreamedStep final : public cpu::Kernel {
public:
    StreamedStep(cpu::WeightStream& stream, size_t node, const cpu::Kernel& measured, int threads)
        : stream_(stream), node_(node), algo_(std::string(measured.algo()) + " (streamed)"), workspace_(measured.workspaceBytes(threads)) {}
    void run(const float* const* inputs, float* const* outputs, cpu::KernelContext& ctx) override {
        cpu::Kernel& k = stream_.acquire(node_, inputs, inputs_);
        struct Release {
            cpu::WeightStream& s;
            size_t node;
            ~Release() { s.release(node); }
        } release{stream_, node_};
        k.run(inputs_.data(), outputs, ctx);
    }
    size_t workspaceBytes(int) const override { return workspace_; }
    const char* algo() const override { return algo_.c_str(); }

private:
    cpu::WeightStream& stream_;
    size_t node_;
    std::string algo_;
    size_t workspace_;
    std::vector<const float*> inputs_;  // the node's inputs, decoded weights patched in
};

// OpenBLAS single-threaded, and its worker threads stopped. They start when the library loads
// and spin (sched_yield) for about 100 ms of CPU before they sleep, whatever the thread count
// set later: on a 2-core machine a 2-thread session made in that window shared a core with them
// (short benchmarks and the app's first frames), and a 1-thread one cost twice its CPU time.
// Once per process, at the first session, when no BLAS call of ours can be in flight; a later
// multi-threaded BLAS call (none of ours) would start them again.
void singleThreadedBlas() {
    static std::once_flag once;
    std::call_once(once, [] {
        openblas_set_num_threads(1);
        if (blas_thread_shutdown_) blas_thread_shutdown_();
    });
}

// Nodes run as one kernel: the graph's Conv+MaxPool candidates, squeeze-and-excitation blocks
// (with the 1x1 conv reading them, where there is one) and residual Adds (graph/fusion.h) that
// the CPU kernels can take. The fused kernel runs at its first node's step and writes its last
// node's output (cpu::makeConvMaxPool, cpu::makeSqueezeExcite, cpu::makeSqueezeExciteConv,
// cpu::makeConvAdd, cpu::makeMatMulBias); the other nodes' steps are empty.
struct Fusions {
    std::vector<std::unique_ptr<cpu::Kernel>> kernels;  // per node: its fused kernel, or null
    std::vector<cpu::StepSpec> steps;                   // per node: its fused kernel's group
    std::vector<int> doneBy;                            // per node: the node whose kernel does its work, or -1
    std::vector<int> writesTo;                          // per node: the value its fused kernel writes, or -1
    std::vector<std::string> label;                     // per node: what its fused kernel adds ("+MaxPool")
    graph::PlanHints hints;                             // for the memory plan
};

// `build` makes a step's kernel (cpu::buildStep, with compressed weights decoded first).
using StepBuilder = std::function<std::unique_ptr<cpu::Kernel>(const cpu::StepSpec&)>;

Fusions fuseNodes(const graph::Graph& g, const StepBuilder& build, bool matMulBias) {
    Fusions f;
    const size_t nn = g.nodes.size();
    f.kernels.resize(nn);
    f.steps.resize(nn);
    f.doneBy.assign(nn, -1);
    f.writesTo.assign(nn, -1);
    f.label.assign(nn, "");
    f.hints.bornAt.assign(g.values.size(), -1);
    f.hints.elided.assign(g.values.size(), false);
    // first: the kernel's node; rest: the nodes it absorbs, the last one's output written.
    auto take = [&](const cpu::StepSpec& step, const std::string& label) {
        const size_t first = step.nodes[0];
        const std::vector<size_t> rest(step.nodes.begin() + 1, step.nodes.end());
        for (size_t k : rest)
            if (f.kernels[k] || f.doneBy[k] >= 0 || f.doneBy[first] >= 0) return;  // a node is fused once
        std::unique_ptr<cpu::Kernel> kernel = build(step);
        if (!kernel) return;
        f.kernels[first] = std::move(kernel);
        f.steps[first] = step;
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
    // "+" and a node's op as the per-layer table shows it (appended, not "+" + op: GCC 12 warns
    // falsely (-Wrestrict) on that).
    auto plus = [&](size_t node) {
        std::string label = "+";
        label += g.nodes[node].displayOp();
        return label;
    };
    for (const auto& [c, p] : graph::convMaxPoolCandidates(g)) take({cpu::StepSpec::Kind::ConvMaxPool, {c, p}, {}, {}, {}}, "+MaxPool");
    // CPU speed: a 1x1 conv's output read by a depthwise conv in bands, never stored.
    for (const auto& [a, b] : graph::convConvCandidates(g)) take({cpu::StepSpec::Kind::ConvPointwiseDepthwise, {a, b}, {}, {}, {}}, plus(b));
    // CPU speed: a block whose output a 1x1 conv reads scales that conv's input instead.
    for (const graph::SqueezeExciteConv& sc : graph::squeezeExciteConvCandidates(g)) {
        cpu::StepSpec step{cpu::StepSpec::Kind::SqueezeExciteConv, {sc.se.pool, sc.se.reduce, sc.se.expand, sc.se.mul, sc.conv}, sc.se, {}, sc};
        if (sc.add.addend >= 0) step.nodes.push_back(sc.add.add);
        take(step, sc.add.addend >= 0 ? "+SqueezeExcite+Conv+Add" : "+SqueezeExcite+Conv");
    }
    for (const graph::SqueezeExcite& se : graph::squeezeExciteCandidates(g))
        take({cpu::StepSpec::Kind::SqueezeExcite, {se.pool, se.reduce, se.expand, se.mul}, se, {}, {}}, "+SqueezeExcite");
    // CPU speed: Linear layers' bias Adds in their MatMul's epilogue.
    // A Conv's residual Add in its epilogue (makeConvAdd decides where; tuning.convAdd).
    for (const graph::FusedAdd& fa : graph::fusedAddCandidates(g)) {
        const graph::OpKind op = g.nodes[fa.node].op;
        if (op == graph::OpKind::MatMul && matMulBias) take({cpu::StepSpec::Kind::MatMulBias, {fa.node, fa.add}, {}, fa, {}}, "+Add");
        if (op == graph::OpKind::Conv) take({cpu::StepSpec::Kind::ConvAdd, {fa.node, fa.add}, {}, fa, {}}, plus(fa.add));
    }
    // CPU speed: a residual Add's output written over its addend (PlanHints::inPlaceOf). The
    // packed GEMM reads each residual element just before it writes the output element there,
    // provided the reduction is one KC block (with more, partial sums would be stored over the
    // addend before the last block adds it) and the addend is not the GEMM's input; and no node
    // after the step may read the addend. (Winograd's output transform, the other kernel that
    // takes the Add, reads and writes element by element whatever the reduction's length.)
    f.hints.inPlaceOf.assign(g.values.size(), -1);
    for (size_t k = 0; k < nn; ++k) {
        const cpu::StepSpec& step = f.steps[k];
        const int x = step.addend();
        if (!f.kernels[k] || x < 0) continue;
        const graph::FusedAdd& fa = step.kind == cpu::StepSpec::Kind::ConvAdd ? step.add : step.seConv.add;
        if (g.shapeOf(g.nodes[fa.node].inputs[1])[1] > cpu::kPackKc || g.nodes[k].inputs[0] == x) continue;  // weights [M][C/group][1][1]
        bool readLater = false;
        for (size_t r = k + 1; r < nn; ++r)
            if (r != fa.add) readLater |= std::find(g.nodes[r].inputs.begin(), g.nodes[r].inputs.end(), x) != g.nodes[r].inputs.end();
        if (!readLater) f.hints.inPlaceOf[static_cast<size_t>(f.writesTo[k])] = x;
    }
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
        singleThreadedBlas();
        const cpu::KernelConfig cfg{simd_, tuning_, threads_};
        // Compressed weights (compressed/, cpu/weight_stream.h): the session decodes them into
        // its own copy of the graph, all at once, or layer by layer under a weight budget.
        const bool coded = cpu::hasCodedWeights(*graph_);
        if (coded) {
            auto view = std::make_shared<graph::Graph>(*graph_);
            stream_ = std::make_unique<cpu::WeightStream>(*view, cfg, pool_);
            graph_ = view;
        }
        const graph::Graph& g = *graph_;
        const bool measure = coded && options.weightMemoryBudget != kNoWeightBudget;
        std::vector<size_t> stepCost(g.nodes.size(), 0);  // measure: bytes a step holds when resident
        size_t workspace = 0, repacked = 0, residentDecoded = 0;
        auto build = [&](const cpu::StepSpec& step) -> std::unique_ptr<cpu::Kernel> {
            if (!stream_) return cpu::buildStep(g, step, cfg);
            const std::vector<int> weights = stream_->codedInputs(step);
            const size_t decoded = stream_->decodeResident(weights);
            std::unique_ptr<cpu::Kernel> kernel = cpu::buildStep(g, step, cfg);
            if (!measure || weights.empty()) {
                residentDecoded += decoded;
                return kernel;
            }
            // Measured only: the step's figures are kept, its weights go back to coded, and the
            // budget decides below whether it is built again for good or streamed.
            stream_->recode(weights);
            if (!kernel) return nullptr;
            stepCost[step.nodes[0]] = decoded + kernel->weightBytes();
            return std::make_unique<Measured>(*kernel, threads_);
        };
        Fusions fusions = fuseNodes(g, build, tuning_.matMulBias);
        // Concat parts are written in place by their producers (the Concat kernel skips them).
        plan_ = graph::planMemory(g, sizeof(float), 64, graph::ConcatPlacement::InPlace, fusions.hints);
        if (plan_.arenaBytes > graph::kMaxArenaBytes)
            throw Error("the model needs " + std::to_string(plan_.arenaBytes >> 20) + " MiB of activations, more than the engine's limit of " +
                        std::to_string(graph::kMaxArenaBytes >> 20) + " MiB");
        std::vector<cpu::StepSpec> steps(g.nodes.size());
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            std::unique_ptr<cpu::Kernel> kernel = std::move(fusions.kernels[k]);
            steps[k] = kernel ? fusions.steps[k] : cpu::StepSpec{cpu::StepSpec::Kind::Node, {k}, {}, {}, {}};
            if (fusions.doneBy[k] >= 0) kernel = std::make_unique<FusedStep>();
            if (!kernel) kernel = build(steps[k]);
            kernels_.push_back(std::move(kernel));
        }
        if (measure) placeWeights(cfg, steps, stepCost, options.weightMemoryBudget, residentDecoded);
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            const graph::Node& n = g.nodes[k];
            const bool away = fusions.doneBy[k] >= 0;
            workspace = std::max(workspace, kernels_[k]->workspaceBytes(threads_));
            repacked += kernels_[k]->weightBytes();
            LayerStats ls;
            ls.name = n.name;
            ls.op = n.displayOp() + fusions.label[k];
            ls.algo = away ? "in " + g.nodes[static_cast<size_t>(fusions.doneBy[k])].name : std::string(kernels_[k]->algo());
            ls.flops = graph::nodeFlops(g, n);
            stats_.totalFlops += ls.flops;
            stats_.layers.push_back(ls);
        }
        arena_ = allocateAligned(plan_.arenaBytes);
        workspace_ = allocateAligned(workspace);
        stats_.peakArenaBytes = plan_.arenaBytes;
        stats_.naiveActivationBytes = plan_.naiveBytes;
        stats_.workspaceBytes = workspace;
        // The model's weights plus the copies kernels repacked for their inner loops (and, for
        // compressed weights, what the session decoded and its streaming buffers).
        stats_.weightBytes = model.graph().weightBytes() + repacked + residentDecoded;
        if (coded) {
            stats_.codedWeightBytes = cpu::codedWeightBytes(model.graph());
            stats_.decodedWeightBytes = cpu::decodedWeightBytes(model.graph());
            stats_.streamedLayers = stream_->streamedSteps();
            stats_.streamBufferBytes = streamBytes_;
            stats_.decodeLanes = stream_->streamedSteps() ? stream_->lanes() : 0;
            stats_.weightBytes += streamBytes_;
        }
        stats_.device = "CPU (" + std::to_string(threads_) + (threads_ == 1 ? " thread)" : " threads)");
        // Pointer tables per node, resolved once (and which value each input slot holds).
        std::vector<std::vector<int>> readValues;
        for (size_t k = 0; k < g.nodes.size(); ++k) {
            const graph::Node& n = g.nodes[k];
            const bool away = fusions.doneBy[k] >= 0;
            std::vector<const float*> ins;
            std::vector<int> read;
            if (!away)
                for (int v : n.inputs) ins.push_back(v < 0 ? nullptr : pointer(v)), read.push_back(v);
            if (steps[k].addend() >= 0) ins.push_back(pointer(steps[k].addend())), read.push_back(steps[k].addend());
            readValues.push_back(std::move(read));
            std::vector<float*> outs;
            if (fusions.writesTo[k] >= 0) outs.push_back(const_cast<float*>(pointer(fusions.writesTo[k])));
            else if (!away)
                for (int v : n.outputs) outs.push_back(v < 0 ? nullptr : const_cast<float*>(pointer(v)));
            inPtrs_.push_back(std::move(ins));
            outPtrs_.push_back(std::move(outs));
        }
        findDirectInputs(readValues);
    }

    std::vector<Tensor> runInputs(std::span<const Tensor* const> inputs) override {
        const graph::Graph& g = *graph_;
        detail::checkRunInputs(g, inputs);
        pool_.wake();  // while the inputs are copied in or pointed at
        for (size_t k = 0; k < inputs.size(); ++k) {
            const DirectInput& d = directInputs_[k];
            const float* data = inputs[k]->data.data();
            if (d.direct) {
                for (const float** slot : d.slots) *slot = data;
                continue;
            }
            std::memcpy(const_cast<float*>(pointer(g.inputs[k])), data, inputs[k]->data.size() * sizeof(float));
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
        if (stream_) stats_.decodeWaitMs = stream_->takeWaitedMs();
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
    // Under a weight budget: which measured steps are built again for good (resident) and which
    // are streamed. The budget covers all the session's weights: the model's (coded ones coded),
    // the repacked copies, the resident steps' decoded weights, and the streaming lanes, each as
    // large as the largest step. All fit: everything is resident (the decompress-at-load
    // session). Else the largest steps stream, with two lanes (decoding ahead on a helper
    // thread) when two fit, and the others stay resident, smallest first, while they fit.
    void placeWeights(const cpu::KernelConfig& cfg, const std::vector<cpu::StepSpec>& steps, const std::vector<size_t>& cost, size_t budget,
                      size_t& residentDecoded) {
        std::vector<size_t> order;
        size_t total = 0, largest = 0;
        // What the session holds whatever the budget: the model's weights (coded ones coded) and
        // the repacked copies of the steps without coded weights.
        size_t fixed = graph_->weightBytes();
        for (size_t k = 0; k < cost.size(); ++k) {
            if (cost[k]) order.push_back(k), total += cost[k], largest = std::max(largest, cost[k]);
            else fixed += kernels_[k]->weightBytes();
        }
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return cost[a] < cost[b]; });
        auto fits = [&](size_t bytes) { return fixed + bytes <= budget; };
        std::vector<char> resident(cost.size(), 0);
        int lanes = 1;
        if (fits(total)) {
            for (size_t k : order) resident[k] = 1;
        } else {
            // A second lane first (it hides the decoding of every streamed layer), then the
            // resident layers, smallest first, in what is left.
            if (tuning_.weightPrefetch && fits(2 * largest)) lanes = 2;
            size_t held = static_cast<size_t>(lanes) * largest;
            for (size_t k : order)
                if (cost[k] != largest && fits(held + cost[k])) resident[k] = 1, held += cost[k];
            streamBytes_ = static_cast<size_t>(lanes) * largest;
        }
        for (size_t k : order) {
            if (resident[k]) {
                residentDecoded += stream_->decodeResident(stream_->codedInputs(steps[k]));
                kernels_[k] = cpu::buildStep(*graph_, steps[k], cfg);
            } else {
                stream_->addStreamed(steps[k]);
                kernels_[k] = std::make_unique<StreamedStep>(*stream_, k, *kernels_[k], threads_);
            }
        }
        if (stream_->streamedSteps() > 0) stream_->start(lanes);
    }

    // The kernels read a graph input from the caller's tensor itself, not from a copy in the
    // arena (the copy had cost 1-3 % of MobileNetV2's and SqueezeNet's runs on 2 threads),
    // when only reads reach its bytes: no other value shares them (a view, a Concat slice, an
    // output written in place) and it is not also a graph output (copied out of the arena).
    // Its slots in the pointer tables are pointed at the caller's data on every run.
    struct DirectInput {
        bool direct = false;
        std::vector<const float**> slots;  // into inPtrs_ (built once, never resized)
    };

    // Which graph inputs the kernels may read in place, and where the tables hold them.
    void findDirectInputs(const std::vector<std::vector<int>>& readValues) {
        const graph::Graph& g = *graph_;
        for (int in : g.inputs) {
            DirectInput d;
            const auto shares = [&](const std::vector<int>& of) { return std::find(of.begin(), of.end(), in) != of.end(); };
            d.direct = g.value(in).dtype == graph::DType::Float32 && plan_.sliceOf.at(static_cast<size_t>(in)) < 0 &&
                       plan_.aliasOf.at(static_cast<size_t>(in)) < 0 && !shares(plan_.aliasOf) && !shares(plan_.sliceOf) &&
                       std::find(g.outputs.begin(), g.outputs.end(), in) == g.outputs.end();
            for (size_t k = 0; k < readValues.size(); ++k)
                for (size_t j = 0; j < readValues[k].size(); ++j)
                    if (readValues[k][j] == in) d.slots.push_back(&inPtrs_[k][j]);
            directInputs_.push_back(std::move(d));
        }
    }

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
    std::unique_ptr<cpu::WeightStream> stream_;  // compressed weights (before kernels_: they use it)
    size_t streamBytes_ = 0;                      // the streaming lanes' budgeted bytes
    std::vector<std::unique_ptr<cpu::Kernel>> kernels_;
    std::vector<std::vector<const float*>> inPtrs_;
    std::vector<std::vector<float*>> outPtrs_;
    std::vector<DirectInput> directInputs_;  // per graph input
    AlignedBuffer arena_, workspace_;
    Stats stats_;
};

}  // namespace

std::unique_ptr<Session> createCpuSession(const Model& model, const SessionOptions& options) {
    return std::make_unique<CpuSession>(model, options);
}

}  // namespace percept::detail
