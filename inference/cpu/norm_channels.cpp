// SPDX-License-Identifier: Apache-2.0
// LayerNormalization over one axis that is not the last (graph::kNormOneAxis: the channel axis
// of NCHW, which graph::sinkChannelsLastTransposes leaves where ConvNeXt's blocks had a
// Transpose to channels last and back). Each pixel's C values lie P floats apart, so the
// generic rows kernel (norm.cpp) would walk them one at a time; here 16 neighbouring pixels
// are taken together, one vector of them per channel: three passes over a block of C x 16
// floats that stays in L1/L2 (mean, variance about it, output). As in norm.cpp, each pixel's
// values are taken less its first one, x0: x - x0 is exact for x near x0, so a large offset
// (all values near 1000 with a spread of 0.01) costs no precision.
#include <algorithm>
#include <cmath>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

constexpr int64_t kPixels = 16;  // pixels per block: one AVX-512 vector, four SSE ones

class ChannelNormKernel final : public Kernel {
public:
    ChannelNormKernel(int64_t outer, int64_t C, int64_t P, float eps, bool bias) : outer_(outer), C_(C), P_(P), eps_(eps), bias_(bias) {}
    const char* algo() const override { return "norm-channels"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t blocks = (P_ + kPixels - 1) / kPixels, units = outer_ * blocks;
        if (units == 0 || C_ == 0) return;
        auto range = [&](int64_t u0, int64_t u1, int) {
            for (int64_t u = u0; u < u1; ++u) {
                const int64_t o = u / blocks, j0 = (u % blocks) * kPixels;
                const int64_t off = o * C_ * P_ + j0;
                const float* bias = bias_ ? inputs[2] : nullptr;
                if (P_ - j0 >= kPixels) block<kPixels>(inputs[0] + off, outputs[0] + off, inputs[1], bias, kPixels);
                else block<0>(inputs[0] + off, outputs[0] + off, inputs[1], bias, P_ - j0);
            }
        };
        if (outer_ * C_ * P_ < 16 * 1024) range(0, units, 0);
        else ctx.pool.parallelFor(units, std::max<int64_t>(1, 4096 / (C_ * kPixels)), range);
    }

private:
    // N > 0: a full block of N pixels (fixed trip counts, which the compiler vectorises);
    // N == 0: the last, partial block of n pixels.
    template <int64_t N>
    void block(const float* x, float* y, const float* scale, const float* bias, int64_t n) const {
        const int64_t w = N > 0 ? N : n;
        float x0[kPixels], mu[kPixels] = {}, inv[kPixels] = {};
        for (int64_t j = 0; j < w; ++j) x0[j] = x[j];
        for (int64_t c = 0; c < C_; ++c)
            for (int64_t j = 0; j < w; ++j) mu[j] += x[c * P_ + j] - x0[j];
        const float invC = 1.0f / static_cast<float>(C_);
        for (int64_t j = 0; j < w; ++j) mu[j] *= invC;
        for (int64_t c = 0; c < C_; ++c)
            for (int64_t j = 0; j < w; ++j) {
                const float d = (x[c * P_ + j] - x0[j]) - mu[j];
                inv[j] += d * d;
            }
        for (int64_t j = 0; j < w; ++j) inv[j] = 1.0f / std::sqrt(inv[j] * invC + eps_);
        for (int64_t c = 0; c < C_; ++c) {
            const float s = scale[c], b = bias ? bias[c] : 0.0f;
            for (int64_t j = 0; j < w; ++j) y[c * P_ + j] = ((x[c * P_ + j] - x0[j]) - mu[j]) * (inv[j] * s) + b;
        }
    }

    int64_t outer_, C_, P_;
    float eps_;
    bool bias_;
};

}  // namespace

std::unique_ptr<Kernel> makeChannelNorm(const graph::Graph& g, const graph::Node& n) {
    const Shape& x = inShape(g, n, 0);
    const size_t axis = static_cast<size_t>(normAxis(n, n.attrInt("axis", -1), static_cast<int64_t>(x.size())));
    if (!hasInput(n, 1)) fail(n, "the scale input is missing");
    return std::make_unique<ChannelNormKernel>(product(x, 0, axis), x[axis], product(x, axis + 1, x.size()), n.attrFloat("epsilon", 1e-5f),
                                               hasInput(n, 2));
}

}  // namespace percept::cpu
