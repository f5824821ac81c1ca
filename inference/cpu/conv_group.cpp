// SPDX-License-Identifier: Apache-2.0
// Grouped convolution, one group per task (a stem's one group split by output channels over
// the threads), by the level's direct kernel (see conv_group.h).
#include "cpu/conv_group.h"

#include <algorithm>
#include <string>

#include "cpu/isa.h"
#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

// Above this many output channels per group im2col's GEMM fills its row panels and wins.
constexpr int64_t kMaxGroupChannels = 16;
// An ungrouped conv with at most this many input channels (a network's stem: RGB) runs
// directly too: its im2col matrix (K = 27) and the GEMM's packing of it cost as much as its
// FMAs (MobileNetV2's stem ran at ~80 GFLOP/s).
constexpr int64_t kMaxStemChannels = 4;

class GroupConv final : public Kernel {
public:
    GroupConv(const GroupGeom& q, const std::vector<float>& weights, std::vector<float> bias, graph::FusedActivation act, const CpuKernels& simd)
        : q_(q), bias_(std::move(bias)), act_(act), fn_(simd.groupConv), algo_(std::string(q.group > 1 ? "group-direct/" : "direct/") + simd.name()) {
        w_ = groupConvWeights(q, weights);
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t weightBytes() const override { return (w_.size() + bias_.size()) * sizeof(float); }
    size_t workspaceBytes(int threads) const override { return static_cast<size_t>(std::max(threads, 1)) * padFloats() * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t Cg = q_.C / q_.group, Mg = q_.M / q_.group, items = q_.N * q_.group;
        // Fewer (image, group) items than threads -- a stem has one --: each item's output rows
        // in as many bands as there are threads, each band padding only the input rows it reads.
        // Split by output channels instead, each share had padded all the input planes again:
        // MobileNetV3-L's 224x224 stem took 0.16-0.23 ms on 2 threads against 0.20-0.24 on 1.
        // Else one item per task.
        const int64_t bands = items >= ctx.pool.size() ? 1 : std::min<int64_t>(ctx.pool.size(), q_.OH);
        const int64_t per = (q_.OH + bands - 1) / bands, parts = (q_.OH + per - 1) / per;
        // Contiguous shares, so a thread's groups are adjacent.
        ctx.pool.runSplit(items * parts, [&](int64_t task, int th) {
            const int64_t t = task / parts, part = task % parts;
            const int64_t n = t / q_.group, g = t % q_.group;
            GroupConvArgs a;
            a.x = inputs[0] + (n * q_.C + g * Cg) * q_.H * q_.W;
            a.Cg = Cg, a.H = q_.H, a.W = q_.W;
            a.w = w_.data() + g * Cg * q_.k * q_.k * Mg;
            a.bias = bias_.data() + g * Mg;
            a.y = outputs[0] + (n * q_.M + g * Mg) * q_.OH * q_.OW;
            a.Mg = Mg, a.OH = q_.OH, a.OW = q_.OW, a.stride = q_.stride, a.pt = q_.pt, a.pl = q_.pl, a.k = q_.k, a.act = act_;
            a.pad = ctx.workspace + static_cast<size_t>(th) * padFloats();
            a.oyBegin = part * per, a.oyEnd = std::min(q_.OH, a.oyBegin + per);
            fn_(a);
        });
    }

private:
    // One group's zero-padded input planes (per thread).
    size_t padFloats() const {
        return threadStride(static_cast<size_t>(q_.C / q_.group * depthwisePadRows(q_.OH, q_.stride, q_.k) * depthwisePadPitch(q_.OW, q_.stride)));
    }

    GroupGeom q_;
    std::vector<float> w_;  // per group [Cg][k][k][Mg]
    std::vector<float> bias_;
    graph::FusedActivation act_;
    GroupConvFn fn_;
    std::string algo_;
};

}  // namespace

std::vector<float> groupConvWeights(const GroupGeom& q, const std::vector<float>& weights) {
    const int64_t Cg = q.C / q.group, Mg = q.M / q.group, taps = q.k * q.k;
    std::vector<float> w(weights.size());
    for (int64_t g = 0; g < q.group; ++g)
        for (int64_t m = 0; m < Mg; ++m)
            for (int64_t c = 0; c < Cg; ++c)
                for (int64_t t = 0; t < taps; ++t)
                    w[static_cast<size_t>(((g * Cg + c) * taps + t) * Mg + m)] = weights[static_cast<size_t>(((g * Mg + m) * Cg + c) * taps + t)];
    return w;
}

bool groupConvApplies(const GroupGeom& q, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, const CpuKernels& simd) {
    if (!simd.groupConv || q.group < 1 || kh != kw || sh != sw || (sh != 1 && sh != 2) || dh != 1 || dw != 1 || !depthwisePadTakes(q.OW, sw))
        return false;
    const int64_t Mg = q.M / q.group, Cg = q.C / q.group;
    return groupConvTakes(kh, Mg) && (q.group > 1 ? Mg <= kMaxGroupChannels : Cg <= kMaxStemChannels);
}

std::unique_ptr<Kernel> makeGroupConv(const GroupGeom& q, const std::vector<float>& weights, std::vector<float> bias, graph::FusedActivation act,
                                      const CpuKernels& simd) {
    return std::make_unique<GroupConv>(q, weights, std::move(bias), act, simd);
}

}  // namespace percept::cpu
