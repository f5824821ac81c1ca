// SPDX-License-Identifier: Apache-2.0
// Local response normalisation across channels (AlexNet/GoogLeNet), ONNX form:
//   square_sum[c] = sum of x[c']^2 for c' in [c - floor((size-1)/2), c + ceil((size-1)/2)]
//   y = x / (bias + alpha / size * square_sum) ^ beta
// One task per (image, channel) plane; the square sum is accumulated over the window's
// channel planes into per-thread scratch, so every loop runs along contiguous memory.
#include <algorithm>
#include <cmath>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

class LrnKernel final : public Kernel {
public:
    LrnKernel(int64_t N, int64_t C, int64_t plane, int64_t size, float alpha, float beta, float bias, graph::FusedActivation act)
        : N_(N), C_(C), plane_(plane), size_(size), alpha_(alpha), beta_(beta), bias_(bias), act_(act) {}
    const char* algo() const override { return "lrn"; }
    size_t workspaceBytes(int threads) const override {
        return static_cast<size_t>(std::max(threads, 1)) * threadStride(static_cast<size_t>(plane_)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;  // floor / ceil of (size-1)/2
        const float scale = alpha_ / static_cast<float>(size_);
        ctx.pool.run(N_ * C_, [&](int64_t t, int th) {
            const int64_t n = t / C_, c = t % C_;
            float* sq = ctx.workspace + static_cast<size_t>(th) * threadStride(static_cast<size_t>(plane_));
            std::fill(sq, sq + plane_, 0.0f);
            for (int64_t cc = std::max<int64_t>(0, c - before); cc <= std::min(C_ - 1, c + after); ++cc) {
                const float* xp = x + (n * C_ + cc) * plane_;
                for (int64_t i = 0; i < plane_; ++i) sq[i] += xp[i] * xp[i];
            }
            const float* xp = x + t * plane_;
            float* yp = y + t * plane_;
            for (int64_t i = 0; i < plane_; ++i) yp[i] = xp[i] * std::pow(bias_ + scale * sq[i], -beta_);
            applyActivation(act_, yp, plane_);
        });
    }

private:
    int64_t N_, C_, plane_, size_;
    float alpha_, beta_, bias_;
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeLrn(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 2) fail(n, "needs an input of rank >= 2");
    const int64_t size = n.attrInt("size", 0);
    if (size <= 0) fail(n, "attribute 'size' must be positive");
    return std::make_unique<LrnKernel>(x[0], x[1], product(x, 2, x.size()), size, n.attrFloat("alpha", 1e-4f),
                                       n.attrFloat("beta", 0.75f), n.attrFloat("bias", 1.0f), n.act);
}

}  // namespace percept::cpu
