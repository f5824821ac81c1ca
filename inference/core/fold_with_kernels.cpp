// SPDX-License-Identifier: Apache-2.0
#include "core/fold_with_kernels.h"

#include <cstdlib>
#include <memory>

#include "cpu/kernel.h"
#include "cpu/thread_pool.h"
#include "graph/flops.h"
#include "percept/error.h"

namespace percept::detail {

namespace {

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

// Whether the node can be evaluated now: every present input a constant, every output float32
// and small enough, and a CPU kernel for it.
bool foldable(const graph::Graph& g, const graph::Node& n) {
    if (n.inputs.empty() || n.outputs.empty()) return false;
    for (int v : n.inputs)
        if (v >= 0 && (!g.value(v).isConstant() || g.value(v).constant->isCoded())) return false;  // compressed weights: decoded by sessions only
    for (int v : n.outputs) {
        if (v < 0) continue;
        const graph::Value& o = g.value(v);
        if (!o.shapeKnown || o.dtype != graph::DType::Float32) return false;
        if (static_cast<size_t>(elementCount(o.shape)) > kMaxKernelFoldBytes / sizeof(float)) return false;
    }
    return cpu::cpuSupports(g, n, nullptr) && graph::nodeFlops(g, n) <= kMaxKernelFoldFlops;
}

}  // namespace

size_t foldWithKernels(graph::Graph& g) {
    const Tuning tuning;  // the defaults: the fold does not depend on how a session is tuned
    const cpu::KernelConfig cfg{cpu::cpuKernels(cpu::bestIsa(tuning.cpuIsa)), tuning, 1};
    std::unique_ptr<cpu::ThreadPool> pool;  // one thread: made on the first fold
    std::vector<graph::Node> kept;
    kept.reserve(g.nodes.size());
    size_t folded = 0;
    for (graph::Node& n : g.nodes) {
        if (!foldable(g, n)) {
            kept.push_back(std::move(n));
            continue;
        }
        // The kernel's own checks may refuse the node; it then stays for the session, which
        // reports the same reason.
        std::unique_ptr<cpu::Kernel> kernel;
        try {
            kernel = cpu::makeKernel(g, n, cfg);
        } catch (const Error&) {
            kept.push_back(std::move(n));
            continue;
        }
        if (!pool) pool = std::make_unique<cpu::ThreadPool>(1);
        const size_t wsBytes = (kernel->workspaceBytes(1) + 63) / 64 * 64;
        std::unique_ptr<float, FreeDeleter> workspace(static_cast<float*>(wsBytes ? std::aligned_alloc(64, wsBytes) : nullptr));
        if (wsBytes && !workspace) throw Error(n.describe() + ": out of memory while folding constants");
        std::vector<const float*> ins;
        for (int v : n.inputs) ins.push_back(v < 0 ? nullptr : g.constFloats(v));  // integer constants: read by the factory
        std::vector<std::shared_ptr<graph::TensorData>> outs;
        std::vector<float*> outPtrs;
        for (int v : n.outputs) {
            if (v < 0) {
                outs.push_back(nullptr);
                outPtrs.push_back(nullptr);
                continue;
            }
            auto t = std::make_shared<graph::TensorData>();
            t->dtype = graph::DType::Float32;
            t->shape = g.value(v).shape;
            t->f.assign(static_cast<size_t>(elementCount(t->shape)), 0.0f);
            outPtrs.push_back(t->f.data());
            outs.push_back(std::move(t));
        }
        cpu::KernelContext ctx{*pool, workspace.get()};
        kernel->run(ins.data(), outPtrs.data(), ctx);
        for (size_t k = 0; k < n.outputs.size(); ++k) {
            if (!outs[k]) continue;
            graph::Value& v = g.value(n.outputs[k]);
            v.constant = outs[k];
            v.shapeKnown = true;
        }
        ++folded;
    }
    g.nodes = std::move(kept);
    return folded;
}

}  // namespace percept::detail
