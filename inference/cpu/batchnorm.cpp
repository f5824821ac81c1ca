// SPDX-License-Identifier: Apache-2.0
// Standalone BatchNormalization, inference form: y = scale * (x - mean) / sqrt(var + eps) + B,
// folded at build time into one multiply-add per channel, y = a[c] * x + b[c]. (Most BNs
// follow a Conv and are folded into its weights by a graph pass; this runs the rest.)
#include <algorithm>
#include <cmath>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

class BatchNormKernel final : public Kernel {
public:
    BatchNormKernel(int64_t N, int64_t C, int64_t plane, std::vector<float> a, std::vector<float> b, graph::FusedActivation act)
        : N_(N), C_(C), plane_(plane), a_(std::move(a)), b_(std::move(b)), act_(act) {}
    const char* algo() const override { return "per-channel-affine"; }
    size_t weightBytes() const override { return (a_.size() + b_.size()) * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        auto range = [&](int64_t t0, int64_t t1, int) {
            for (int64_t t = t0; t < t1; ++t) {
                const float a = a_[static_cast<size_t>(t % C_)], b = b_[static_cast<size_t>(t % C_)];
                const float* xp = x + t * plane_;
                float* yp = y + t * plane_;
                for (int64_t i = 0; i < plane_; ++i) yp[i] = a * xp[i] + b;
                applyActivation(act_, yp, plane_);
            }
        };
        const int64_t planes = N_ * C_;
        if (planes * plane_ < 32 * 1024) range(0, planes, 0);
        else ctx.pool.parallelFor(planes, std::max<int64_t>(1, 4096 / std::max<int64_t>(plane_, 1)), range);
    }

private:
    int64_t N_, C_, plane_;
    std::vector<float> a_, b_;
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeBatchNorm(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 2) fail(n, "needs an input of rank >= 2");
    const int64_t C = x[1];
    const auto scale = constInput(g, n, 1, "scale"), bias = constInput(g, n, 2, "B"), mean = constInput(g, n, 3, "mean"),
               var = constInput(g, n, 4, "var");
    const size_t c = static_cast<size_t>(C);
    if (scale.size() != c || bias.size() != c || mean.size() != c || var.size() != c)
        fail(n, "scale, B, mean and var must each have C = " + std::to_string(C) + " values");
    const float eps = n.attrFloat("epsilon", 1e-5f);
    std::vector<float> a(c), b(c);
    for (size_t k = 0; k < c; ++k) {
        a[k] = scale[k] / std::sqrt(var[k] + eps);
        b[k] = bias[k] - mean[k] * a[k];
    }
    return std::make_unique<BatchNormKernel>(x[0], C, product(x, 2, x.size()), std::move(a), std::move(b), n.act);
}

}  // namespace percept::cpu
