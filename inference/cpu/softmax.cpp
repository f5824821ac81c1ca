// SPDX-License-Identifier: Apache-2.0
// The softmax family along an axis: Softmax, LogSoftmax (both numerically stable: the maximum
// is subtracted before exp) and Hardmax (1 at the first maximum, cpu/arg_extreme.h's order).
// The schema's canonical attributes say where: `axis`, and coerce_2d = 1 for the opset < 13
// form, where every axis from `axis` on is normalised as one (the input seen as 2-D). When the
// axis is not the last, the work runs across rows of the trailing extent with per-thread
// scratch for the running max and sum, so the loops stay contiguous.
#include <algorithm>
#include <cmath>
#include <string>

#include "cpu/arg_extreme.h"
#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

enum class Mode { Softmax, LogSoftmax, Hardmax };

class SoftmaxKernel final : public Kernel {
public:
    SoftmaxKernel(Mode mode, graph::AxisSplit s, graph::FusedActivation act, const CpuKernels& simd)
        : mode_(mode), outer_(s.outer), len_(s.len), inner_(s.inner), act_(act),
          // arm64/NEON: contiguous rows through the level's vector row (every SIMD level has one).
          simdRow_(inner_ == 1 && mode != Mode::Hardmax ? simd.softmaxRow : nullptr) {
        switch (mode_) {
            case Mode::Softmax: algo_ = inner_ == 1 ? "softmax-rows" : "softmax-strided"; break;
            case Mode::LogSoftmax: algo_ = inner_ == 1 ? "logsoftmax-rows" : "logsoftmax-strided"; break;
            case Mode::Hardmax: algo_ = "hardmax"; break;
        }
        if (simdRow_) algo_ += std::string("/") + simd.name();
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override {
        return inner_ == 1 ? 0 : static_cast<size_t>(std::max(threads, 1)) * threadStride(static_cast<size_t>(2 * inner_)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t block = len_ * inner_;
        if (outer_ * block == 0) return;
        auto range = [&](int64_t o0, int64_t o1, int th) {
            for (int64_t o = o0; o < o1; ++o) {
                if (mode_ == Mode::Hardmax) hardmax(x + o * block, y + o * block);
                else if (inner_ == 1) row(x + o * block, y + o * block);
                else strided(x + o * block, y + o * block, ctx.workspace + static_cast<size_t>(th) * threadStride(static_cast<size_t>(2 * inner_)));
                applyActivation(act_, y + o * block, block);
            }
        };
        if (outer_ * block < 16 * 1024) range(0, outer_, 0);
        else ctx.pool.parallelFor(outer_, std::max<int64_t>(1, 4096 / std::max<int64_t>(block, 1)), range);
    }

private:
    void row(const float* x, float* y) const {
        if (simdRow_) return simdRow_(x, y, len_, mode_ == Mode::LogSoftmax);
        float m = x[0];
        for (int64_t i = 1; i < len_; ++i) m = std::max(m, x[i]);
        float s = 0.0f;
        if (mode_ == Mode::LogSoftmax) {
            for (int64_t i = 0; i < len_; ++i) s += std::exp(x[i] - m);
            const float shift = m + std::log(s);
            for (int64_t i = 0; i < len_; ++i) y[i] = x[i] - shift;
            return;
        }
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
        if (mode_ == Mode::LogSoftmax) {
            for (int64_t j = 0; j < inner_; ++j) s[j] = m[j] + std::log(s[j]);
            for (int64_t k = 0; k < len_; ++k) {
                const float* xr = x + k * inner_;
                float* yr = y + k * inner_;
                for (int64_t j = 0; j < inner_; ++j) yr[j] = xr[j] - s[j];
            }
            return;
        }
        for (int64_t j = 0; j < inner_; ++j) s[j] = 1.0f / s[j];
        for (int64_t k = 0; k < len_; ++k) {
            float* yr = y + k * inner_;
            for (int64_t j = 0; j < inner_; ++j) yr[j] *= s[j];
        }
    }

    // x: [len x inner]; a one-hot of each column's first maximum.
    void hardmax(const float* x, float* y) const {
        std::fill(y, y + len_ * inner_, 0.0f);
        for (int64_t j = 0; j < inner_; ++j) y[argExtreme<true>(x + j, len_, inner_, false) * inner_ + j] = 1.0f;
    }

    Mode mode_;
    int64_t outer_, len_, inner_;
    graph::FusedActivation act_;
    SoftmaxRowFn simdRow_;
    std::string algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeSoftmax(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Mode mode = n.op == graph::OpKind::LogSoftmax ? Mode::LogSoftmax : n.op == graph::OpKind::Hardmax ? Mode::Hardmax : Mode::Softmax;
    const graph::AxisSplit s = graph::splitAtAxis(x, normAxis(n, n.attrInt("axis", -1), static_cast<int64_t>(x.size())), n.attrInt("coerce_2d", 0) != 0);
    return std::make_unique<SoftmaxKernel>(mode, s, n.act, cfg.simd);
}

}  // namespace percept::cpu
