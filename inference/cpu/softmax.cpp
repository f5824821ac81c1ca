// Softmax, numerically stable (the maximum is subtracted before exp).
//  opset < 13: the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row
//              is normalised (axis defaults to 1).
//  opset >= 13: normalised along the single axis `axis` (default -1). When that axis is not
//              the last, the reduction runs across rows of the trailing extent with per-thread
//              scratch for the running max and sum, so the loops stay contiguous.
#include <algorithm>
#include <cmath>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

class SoftmaxKernel final : public Kernel {
public:
    SoftmaxKernel(int64_t outer, int64_t len, int64_t inner, graph::FusedActivation act)
        : outer_(outer), len_(len), inner_(inner), act_(act) {}
    const char* algo() const override { return inner_ == 1 ? "softmax-rows" : "softmax-strided"; }
    size_t workspaceBytes(int threads) const override {
        return inner_ == 1 ? 0 : static_cast<size_t>(std::max(threads, 1)) * alignFloats(static_cast<size_t>(2 * inner_)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t block = len_ * inner_;
        auto range = [&](int64_t o0, int64_t o1, int th) {
            for (int64_t o = o0; o < o1; ++o) {
                if (inner_ == 1) row(x + o * block, y + o * block);
                else strided(x + o * block, y + o * block, ctx.workspace + static_cast<size_t>(th) * alignFloats(static_cast<size_t>(2 * inner_)));
                applyActivation(act_, y + o * block, block);
            }
        };
        if (outer_ * block < 16 * 1024) range(0, outer_, 0);
        else ctx.pool.parallelFor(outer_, std::max<int64_t>(1, 4096 / std::max<int64_t>(block, 1)), range);
    }

private:
    void row(const float* x, float* y) const {
        float m = x[0];
        for (int64_t i = 1; i < len_; ++i) m = std::max(m, x[i]);
        float s = 0.0f;
        for (int64_t i = 0; i < len_; ++i) {
            y[i] = std::exp(x[i] - m);
            s += y[i];
        }
        const float inv = 1.0f / s;
        for (int64_t i = 0; i < len_; ++i) y[i] *= inv;
    }

    // x: [len x inner]; normalise each column over len. scratch: 2 * inner floats.
    void strided(const float* x, float* y, float* scratch) const {
        float* m = scratch;
        float* s = scratch + inner_;
        std::copy(x, x + inner_, m);
        for (int64_t k = 1; k < len_; ++k) {
            const float* xr = x + k * inner_;
            for (int64_t j = 0; j < inner_; ++j) m[j] = std::max(m[j], xr[j]);
        }
        std::fill(s, s + inner_, 0.0f);
        for (int64_t k = 0; k < len_; ++k) {
            const float* xr = x + k * inner_;
            float* yr = y + k * inner_;
            for (int64_t j = 0; j < inner_; ++j) {
                yr[j] = std::exp(xr[j] - m[j]);
                s[j] += yr[j];
            }
        }
        for (int64_t j = 0; j < inner_; ++j) s[j] = 1.0f / s[j];
        for (int64_t k = 0; k < len_; ++k) {
            float* yr = y + k * inner_;
            for (int64_t j = 0; j < inner_; ++j) yr[j] *= s[j];
        }
    }

    int64_t outer_, len_, inner_;
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeSoftmax(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    if (rank == 0) fail(n, "cannot normalise a scalar");
    const int64_t axis = normAxis(n, n.attrInt("axis", g.opset >= 13 ? -1 : 1), rank);
    const size_t a = static_cast<size_t>(axis);
    if (g.opset < 13)
        return std::make_unique<SoftmaxKernel>(product(x, 0, a), product(x, a, x.size()), 1, n.act);
    return std::make_unique<SoftmaxKernel>(product(x, 0, a), x[a], product(x, a + 1, x.size()), n.act);
}

}  // namespace percept::cpu
