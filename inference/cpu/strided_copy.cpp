// SPDX-License-Identifier: Apache-2.0
// Every data-movement op that is a pure index mapping (Transpose, Slice, Split, Expand, Tile,
// DepthToSpace, SpaceToDepth) runs here: its graph::viewOf view of the input, one per output,
// copied row by row (graph::copyViewRows: a contiguous inner run is a plain loop the compiler
// turns into a memcpy), rows split over the pool.
#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/strided_view.h"

namespace percept::cpu {
namespace {

class StridedCopyKernel final : public Kernel {
public:
    struct Job {
        graph::StridedView view;
        size_t output;
    };
    explicit StridedCopyKernel(std::vector<Job> jobs) : jobs_(std::move(jobs)) {
        // "copy" when every output is one contiguous run, "gather-rows" when the inner runs
        // are contiguous, "strided" otherwise (the per-layer table shows which).
        bool rowsContiguous = true, single = true;
        for (const Job& j : jobs_) {
            rowsContiguous &= j.view.st.back() == 1;
            single &= j.view.dims.size() == 1 && j.view.st.back() == 1;
        }
        algo_ = single ? "copy" : rowsContiguous ? "copy-rows" : "strided";
    }
    const char* algo() const override { return algo_; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        for (const Job& j : jobs_) {
            float* y = outputs[j.output];
            if (!y || j.view.count() == 0) continue;
            // The memory plan made an identity view one with its input (graph/memory_planner.h).
            if (y == x && j.view.isIdentity()) continue;
            splitRows(ctx.pool, graph::viewRows(j.view), j.view.dims.back(),
                      [&](int64_t r0, int64_t r1, int) { graph::copyViewRows(j.view, x, y, r0, r1); });
        }
    }

private:
    std::vector<Job> jobs_;
    const char* algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeStridedCopy(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    if (n.act.any()) fail(n, "a fused activation on a strided copy is not supported");
    if (!hasInput(n, 0) || (g.value(n.inputs[0]).constant && !g.constFloats(n.inputs[0])))
        fail(n, "the data is an integer constant; it should have been folded at load time");
    std::vector<StridedCopyKernel::Job> jobs;
    for (size_t k = 0; k < n.outputs.size(); ++k)
        if (n.outputs[k] >= 0) jobs.push_back({graph::viewOf(g, n, k), k});
    return std::make_unique<StridedCopyKernel>(std::move(jobs));
}

}  // namespace percept::cpu
