// SPDX-License-Identifier: Apache-2.0
// Trilu: the upper (j - i >= k) or lower (j - i <= k) triangle of every matrix in the last two
// axes, the rest zero. Any element type: it only moves values.
#include <algorithm>

#include "cpu/op_util.h"
#include "cpu/row_split.h"

namespace percept::cpu {
namespace {

class TriluKernel final : public Kernel {
public:
    TriluKernel(int64_t batches, int64_t rows, int64_t cols, int64_t k, bool upper)
        : batches_(batches), rows_(rows), cols_(cols), k_(k), upper_(upper) {}
    const char* algo() const override { return upper_ ? "triu" : "tril"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        splitRows(ctx.pool, batches_ * rows_, cols_, [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                const int64_t i = r % rows_;
                const float* src = x + r * cols_;
                float* dst = y + r * cols_;
                // Kept columns: [i + k, cols) for the upper triangle, [0, i + k] for the lower.
                const int64_t b = upper_ ? std::clamp<int64_t>(i + k_, 0, cols_) : 0;
                const int64_t e = upper_ ? cols_ : std::clamp<int64_t>(i + k_ + 1, 0, cols_);
                for (int64_t j = 0; j < cols_; ++j) dst[j] = j >= b && j < e ? src[j] : 0.0f;
            }
        });
    }

private:
    int64_t batches_, rows_, cols_, k_;
    bool upper_;
};

}  // namespace

std::unique_ptr<Kernel> makeTrilu(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 2) fail(n, "the input must have at least 2 axes");
    if (n.act.any()) fail(n, "a fused activation on Trilu is not supported");
    if (g.value(n.inputs[0]).constant && !g.constFloats(n.inputs[0])) fail(n, "an integer constant should have been folded at load time");
    const int64_t rows = x[x.size() - 2], cols = x.back();
    const int64_t plane = rows * cols;
    return std::make_unique<TriluKernel>(plane > 0 ? elementCount(x) / plane : 0, rows, cols, n.attrInt("k", 0),
                                         n.attrInt("upper", 1) != 0);
}

}  // namespace percept::cpu
