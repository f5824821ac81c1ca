// SPDX-License-Identifier: Apache-2.0
#include "cpu/weight_stream.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "compressed/coded_tensor.h"
#include "cpu/conv.h"
#include "cpu/gemm.h"
#include "cpu/squeeze_excite.h"
#include "percept/error.h"

namespace percept::cpu {

std::unique_ptr<Kernel> buildStep(const graph::Graph& g, const StepSpec& step, const KernelConfig& cfg) {
    switch (step.kind) {
        case StepSpec::Kind::Node: return makeKernel(g, g.nodes[step.nodes[0]], cfg);
        case StepSpec::Kind::ConvMaxPool: return makeConvMaxPool(g, g.nodes[step.nodes[0]], g.nodes[step.nodes[1]], cfg);
        case StepSpec::Kind::ConvPointwiseDepthwise: return makeConvPointwiseDepthwise(g, g.nodes[step.nodes[0]], g.nodes[step.nodes[1]], cfg);
        case StepSpec::Kind::SqueezeExcite: return makeSqueezeExcite(g, step.se, cfg);
        case StepSpec::Kind::MatMulBias: return makeMatMulBias(g, step.add, cfg);
        case StepSpec::Kind::ConvAdd: return makeConvAdd(g, step.add, cfg);
        case StepSpec::Kind::SqueezeExciteConv: return makeSqueezeExciteConv(g, step.seConv, cfg);
    }
    return nullptr;
}

size_t stepInputCount(const graph::Graph& g, const StepSpec& step) {
    return g.nodes[step.nodes[0]].inputs.size() + (step.addend() >= 0 ? 1 : 0);
}

void decodeCoded(const graph::TensorData& t, float* out, ThreadPool* pool) {
    const compressed::CodedTensor& c = *t.coded;
    if (!pool || c.chunks() < 2) {
        c.decode(out);
        return;
    }
    // A worker must not throw: the first corrupt chunk's error is carried out of the pool.
    std::atomic<bool> failed{false};
    std::string message;
    std::mutex m;
    pool->parallelFor(c.chunks(), 1, [&](int64_t c0, int64_t c1, int) {
        for (int64_t k = c0; k < c1 && !failed.load(std::memory_order_relaxed); ++k) {
            try {
                c.decodeChunk(k, out);
            } catch (const Error& e) {
                std::lock_guard<std::mutex> lock(m);
                if (!failed.exchange(true)) message = e.what();
            }
        }
    });
    if (failed) throw Error(message);
}

bool hasCodedWeights(const graph::Graph& g) {
    return std::any_of(g.values.begin(), g.values.end(), [](const graph::Value& v) { return v.constant && v.constant->coded; });
}

size_t codedWeightBytes(const graph::Graph& g) {
    size_t n = 0;
    for (const graph::Value& v : g.values)
        if (v.constant && v.constant->coded) n += v.constant->coded->bytes();
    return n;
}

size_t decodedWeightBytes(const graph::Graph& g) {
    size_t n = 0;
    for (const graph::Value& v : g.values)
        if (v.constant && v.constant->coded) n += static_cast<size_t>(v.constant->count()) * sizeof(float);
    return n;
}

WeightStream::WeightStream(graph::Graph& view, const KernelConfig& cfg, ThreadPool& pool) : view_(view), cfg_(cfg), pool_(pool) {
    codedOf_.resize(view_.values.size());
    for (size_t v = 0; v < view_.values.size(); ++v)
        if (view_.values[v].constant && view_.values[v].constant->coded) codedOf_[v] = view_.values[v].constant;
}

WeightStream::~WeightStream() {
    if (helper_.joinable()) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] { return !busy_; });
            stop_ = true;
        }
        cv_.notify_all();
        helper_.join();
    }
}

std::vector<int> WeightStream::codedInputs(const StepSpec& step) const {
    std::vector<int> out;
    for (size_t k : step.nodes)
        for (int v : view_.nodes[k].inputs)
            if (v >= 0 && codedOf_[static_cast<size_t>(v)] && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    return out;
}

size_t WeightStream::decodeResident(const std::vector<int>& values) {
    size_t bytes = 0;
    for (int v : values) {
        graph::ConstPtr& c = view_.value(v).constant;
        if (!c->coded) continue;  // read by an earlier step too: decoded already
        auto t = std::make_shared<graph::TensorData>();
        t->shape = c->shape;
        t->f.resize(static_cast<size_t>(c->count()));
        decodeCoded(*c, t->f.data(), &pool_);
        bytes += t->f.size() * sizeof(float);
        c = std::move(t);
    }
    return bytes;
}

void WeightStream::recode(const std::vector<int>& values) {
    for (int v : values) view_.value(v).constant = codedOf_[static_cast<size_t>(v)];
}

void WeightStream::addStreamed(const StepSpec& step) {
    streamed_.push_back(Streamed{step, codedInputs(step)});
    std::sort(streamed_.begin(), streamed_.end(), [](const Streamed& a, const Streamed& b) { return a.step.nodes[0] < b.step.nodes[0]; });
}

void WeightStream::start(int lanes) {
    lanes_.resize(static_cast<size_t>(std::clamp(lanes, 1, 2)));
    // Each lane swaps constants in a copy of its own (the copies share every constant), so the
    // helper thread never writes a graph another thread reads.
    for (Lane& lane : lanes_) lane.view = std::make_unique<graph::Graph>(view_);
    if (lanes_.size() == 2) helper_ = std::thread([this] { helperLoop(); });
}

const WeightStream::Streamed* WeightStream::find(size_t node) const {
    for (const Streamed& s : streamed_)
        if (s.step.nodes[0] == node) return &s;
    return nullptr;
}

void WeightStream::fill(Lane& lane, const Streamed& s, ThreadPool* pool) {
    lane.error = nullptr;
    lane.node = s.step.nodes[0];
    try {
        for (size_t k = 0; k < s.coded.size(); ++k) {
            if (lane.slots.size() <= k) lane.slots.push_back(std::make_shared<graph::TensorData>());
            graph::TensorData& slot = *lane.slots[k];
            const graph::TensorData& c = *codedOf_[static_cast<size_t>(s.coded[k])];
            slot.shape = c.shape;
            slot.f.resize(static_cast<size_t>(c.count()));  // keeps its capacity: no allocation once grown
            decodeCoded(c, slot.f.data(), pool);
            lane.view->value(s.coded[k]).constant = lane.slots[k];
        }
        lane.kernel = buildStep(*lane.view, s.step, cfg_);
        if (!lane.kernel) throw Error("internal error: the kernel of streamed " + view_.nodes[lane.node].describe() + " could not be built again");
    } catch (...) {
        lane.error = std::current_exception();
    }
}

void WeightStream::helperLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || pendingNode_ != SIZE_MAX; });
        if (stop_) return;
        const size_t node = pendingNode_, lane = pendingLane_;
        pendingNode_ = SIZE_MAX;
        lock.unlock();
        fill(lanes_[lane], *find(node), nullptr);  // on this thread alone: the pool is computing
        lock.lock();
        busy_ = false;
        cv_.notify_all();
    }
}

void WeightStream::prefetchAfter(size_t node) {
    const Streamed* next = nullptr;
    for (const Streamed& s : streamed_)
        if (s.step.nodes[0] > node) {
            next = &s;
            break;
        }
    if (!next) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        busy_ = true;
        pendingLane_ = (current_ + 1) % lanes_.size();
        pendingNode_ = next->step.nodes[0];
    }
    cv_.notify_all();
}

Kernel& WeightStream::acquire(size_t node, const float* const* given, std::vector<const float*>& inputs) {
    const Streamed* s = find(node);
    if (!s) throw Error("internal error: " + view_.nodes[node].describe() + " is not streamed");
    const auto t0 = std::chrono::steady_clock::now();
    Lane& lane = lanes_[current_];
    if (helper_.joinable()) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return !busy_; });
    }
    if (lane.node != node || (!lane.kernel && !lane.error)) fill(lane, *s, &pool_);
    waitedMs_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (lane.error) {
        std::exception_ptr e = lane.error;
        release(node);
        std::rethrow_exception(e);
    }
    const graph::Node& n = view_.nodes[node];
    inputs.assign(given, given + stepInputCount(view_, s->step));
    for (size_t k = 0; k < n.inputs.size(); ++k)
        for (size_t j = 0; j < s->coded.size(); ++j)
            if (n.inputs[k] == s->coded[j]) inputs[k] = lane.slots[j]->f.data();
    if (helper_.joinable()) prefetchAfter(node);
    return *lane.kernel;
}

void WeightStream::release(size_t node) {
    Lane& lane = lanes_[current_];
    lane.kernel.reset();  // its repacked weights go now
    if (const Streamed* s = find(node))
        for (int v : s->coded) lane.view->value(v).constant = codedOf_[static_cast<size_t>(v)];
    lane.node = SIZE_MAX;
    lane.error = nullptr;
    current_ = (current_ + 1) % lanes_.size();
}

size_t WeightStream::bufferBytes() const {
    size_t n = 0;
    for (const Lane& lane : lanes_)
        for (const auto& slot : lane.slots) n += slot->f.capacity() * sizeof(float);
    return n;
}

double WeightStream::takeWaitedMs() {
    const double ms = waitedMs_;
    waitedMs_ = 0.0;
    return ms;
}

}  // namespace percept::cpu
