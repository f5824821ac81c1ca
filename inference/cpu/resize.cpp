// SPDX-License-Identifier: Apache-2.0
// Resize / Upsample (graph::planResize: per-axis tap tables, shared with the Vulkan backend).
// Per output row (the innermost axis) the taps of the outer axes combine into a short list
// of (input offset, weight) pairs -- one for nearest, two for bilinear, four for bicubic --
// built once per row in per-thread scratch; each output value then sums the innermost
// axis' taps over that list.
#include <algorithm>

#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/resize_plan.h"

namespace percept::cpu {
namespace {

struct Tap {
    int64_t offset;
    float weight;
};

class ResizeKernel final : public Kernel {
public:
    explicit ResizeKernel(graph::ResizePlan plan) : plan_(std::move(plan)) {
        const size_t rank = plan_.axes.size();
        inStride_.assign(rank, 1);
        for (size_t k = rank; k-- > 1;) inStride_[k - 1] = inStride_[k] * plan_.axes[k].in;
        combos_ = 1;
        for (size_t k = 0; k + 1 < rank; ++k) combos_ *= plan_.axes[k].taps;
        bool nearest = true;
        for (const auto& a : plan_.axes) nearest &= a.taps == 1;
        algo_ = nearest ? "resize-nearest" : "resize-taps";
    }
    const char* algo() const override { return algo_; }
    size_t workspaceBytes(int threads) const override {
        return static_cast<size_t>(threads) * threadStride(static_cast<size_t>(combos_) * sizeof(Tap) / sizeof(float)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const size_t rank = plan_.axes.size();
        const graph::ResizeAxis& last = plan_.axes.back();
        int64_t rows = 1;
        for (size_t k = 0; k + 1 < rank; ++k) rows *= plan_.axes[k].out;
        if (rows == 0 || last.out == 0) return;
        const size_t scratch = threadStride(static_cast<size_t>(combos_) * sizeof(Tap) / sizeof(float));
        splitRows(ctx.pool, rows, last.out, [&](int64_t r0, int64_t r1, int th) {
            Tap* taps = reinterpret_cast<Tap*>(ctx.workspace + static_cast<size_t>(th) * scratch);
            for (int64_t r = r0; r < r1; ++r) {
                float* dst = y + r * last.out;
                // The outer axes' taps, combined (a product over axes, fewest first).
                int64_t count = 1;
                taps[0] = {0, 1.0f};
                bool outside = false;
                int64_t rem = r;
                for (size_t k = rank - 1; k-- > 0;) {
                    const graph::ResizeAxis& a = plan_.axes[k];
                    const int64_t c = rem % a.out;
                    rem /= a.out;
                    outside |= a.outside[static_cast<size_t>(c)] != 0;
                    const int32_t* idx = a.index.data() + c * a.taps;
                    const float* w = a.weight.data() + c * a.taps;
                    for (int64_t j = count; j-- > 0;)  // in place: slot j expands to j*taps .. j*taps+taps-1
                        for (int t = a.taps; t-- > 0;)
                            taps[j * a.taps + t] = {taps[j].offset + idx[t] * inStride_[k], taps[j].weight * w[t]};
                    count *= a.taps;
                }
                if (outside) {
                    std::fill(dst, dst + last.out, plan_.extrapolation);
                    continue;
                }
                for (int64_t j = 0; j < last.out; ++j) {
                    if (last.outside[static_cast<size_t>(j)]) {
                        dst[j] = plan_.extrapolation;
                        continue;
                    }
                    const int32_t* idx = last.index.data() + j * last.taps;
                    const float* w = last.weight.data() + j * last.taps;
                    float acc = 0.0f;
                    for (int64_t c = 0; c < count; ++c) {
                        const float* src = x + taps[c].offset;
                        float s = 0.0f;
                        for (int t = 0; t < last.taps; ++t) s += w[t] * src[idx[t]];
                        acc += taps[c].weight * s;
                    }
                    dst[j] = acc;
                }
            }
        });
    }

private:
    graph::ResizePlan plan_;
    std::vector<int64_t> inStride_;
    int64_t combos_ = 1;
    const char* algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeResize(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    if (n.act.any()) fail(n, "a fused activation on Resize is not supported");
    if (inShape(g, n, 0).empty()) fail(n, "cannot resize a scalar");
    if (g.value(n.inputs[0]).constant && !g.constFloats(n.inputs[0])) fail(n, "an integer constant should have been folded at load time");
    return std::make_unique<ResizeKernel>(graph::planResize(g, n));
}

}  // namespace percept::cpu
