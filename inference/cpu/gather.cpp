// SPDX-License-Identifier: Apache-2.0
// The indexed copies: Gather, GatherElements, GatherND, Compress (graph::planGather: one loop
// for them all) and ScatterElements, ScatterND (graph::planScatter: updates grouped by target at
// load time, so groups run on any thread in any order with the same result).
#include <cstring>

#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/gather_plan.h"

namespace percept::cpu {
namespace {

// A data input that is an integer constant (a gather from a table of integers, with indices
// computed at run time) becomes floats once, exact as run-time integers must be (graph/ir.h).
std::vector<float> integerConstant(const graph::Graph& g, const graph::Node& n, size_t k) {
    const graph::Value& v = g.value(n.inputs.at(k));
    if (!v.constant || v.constant->dtype == graph::DType::Float32) return {};
    for (int64_t i : v.constant->i)
        if (i > (int64_t{1} << 24) || i < -(int64_t{1} << 24)) fail(n, "the integer table holds values beyond 2^24, which run-time integers cannot");
    return v.constant->asFloats();
}

class GatherKernel final : public Kernel {
public:
    GatherKernel(graph::GatherPlan plan, std::vector<int64_t> constIdx, std::vector<float> constData)
        : plan_(std::move(plan)), idx_(std::move(constIdx)), data_(std::move(constData)) {}
    const char* algo() const override { return idx_.empty() ? "gather-computed" : "gather"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = data_.empty() ? inputs[0] : data_.data();
        float* y = outputs[0];
        if (plan_.dims.back() == 0) return;
        // An index out of range reads 0 (graph/gather_plan.h); constant ones were checked at load.
        splitRows(ctx.pool, plan_.rows(), plan_.dims.back(), [&](int64_t r0, int64_t r1, int) {
            if (idx_.empty()) graph::gatherRows(plan_, x, inputs[1], y, r0, r1);
            else graph::gatherRows(plan_, x, idx_.data(), y, r0, r1);
        });
    }

private:
    graph::GatherPlan plan_;
    std::vector<int64_t> idx_;  // constant indices; empty: computed at run time (input 1)
    std::vector<float> data_;   // an integer-constant data input as floats; empty otherwise
};

class ScatterKernel final : public Kernel {
public:
    ScatterKernel(graph::ScatterPlan plan, int64_t count, std::vector<float> data, std::vector<float> updates)
        : plan_(std::move(plan)), count_(count), data_(std::move(data)), updates_(std::move(updates)) {}
    const char* algo() const override { return "scatter"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = data_.empty() ? inputs[0] : data_.data();
        const float* u = updates_.empty() ? inputs[2] : updates_.data();
        float* y = outputs[0];
        if (x != y) {
            splitRows(ctx.pool, (count_ + 4095) / 4096, 4096, [&](int64_t r0, int64_t r1, int) {
                const int64_t b = r0 * 4096, e = std::min(count_, r1 * 4096);
                std::memcpy(y + b, x + b, static_cast<size_t>(e - b) * sizeof(float));
            });
        }
        splitRows(ctx.pool, static_cast<int64_t>(plan_.target.size()), plan_.slice,
                  [&](int64_t k0, int64_t k1, int) { graph::scatterGroups(plan_, u, y, k0, k1); });
    }

private:
    graph::ScatterPlan plan_;
    int64_t count_;
    std::vector<float> data_, updates_;  // integer constants as floats; empty otherwise
};

}  // namespace

std::unique_ptr<Kernel> makeGather(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    if (n.act.any()) fail(n, "a fused activation on a gather is not supported");
    std::vector<int64_t> idx = graph::constantIndices(g, n);
    if (idx.empty() && (n.op == graph::OpKind::Compress || g.value(n.inputs.at(1)).constant))
        idx.push_back(0);  // never read (an empty output); keeps "constant" non-empty
    return std::make_unique<GatherKernel>(graph::planGather(g, n), std::move(idx), integerConstant(g, n, 0));
}

std::unique_ptr<Kernel> makeScatter(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    if (n.act.any()) fail(n, "a fused activation on a scatter is not supported");
    return std::make_unique<ScatterKernel>(graph::planScatter(g, n), elementCount(inShape(g, n, 0)), integerConstant(g, n, 0),
                                           integerConstant(g, n, 2));
}

}  // namespace percept::cpu
