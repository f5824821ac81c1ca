// SPDX-License-Identifier: Apache-2.0
// CumSum along one axis (canonical attributes: axis, exclusive, reverse). Running sums are
// kept in double, so a long axis does not drift; with inner > 1 a whole row of running sums
// advances at once (per-thread scratch), so the loops stay contiguous.
#include <algorithm>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

class CumSumKernel final : public Kernel {
public:
    CumSumKernel(graph::AxisSplit s, bool exclusive, bool reverse) : s_(s), exclusive_(exclusive), reverse_(reverse) {}
    const char* algo() const override { return "cumsum"; }
    size_t workspaceBytes(int threads) const override {
        return static_cast<size_t>(std::max(threads, 1)) * threadStride(static_cast<size_t>(2 * s_.inner)) * sizeof(float);
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t block = s_.len * s_.inner;
        if (s_.outer * block == 0) return;
        auto range = [&](int64_t o0, int64_t o1, int th) {
            double* acc = reinterpret_cast<double*>(ctx.workspace + static_cast<size_t>(th) * threadStride(static_cast<size_t>(2 * s_.inner)));
            for (int64_t o = o0; o < o1; ++o) scan(x + o * block, y + o * block, acc);
        };
        if (s_.outer * block < 32 * 1024) range(0, s_.outer, 0);
        else ctx.pool.parallelFor(s_.outer, std::max<int64_t>(1, 16 * 1024 / block), range);
    }

private:
    // x, y: [len x inner]; acc: inner running sums.
    void scan(const float* x, float* y, double* acc) const {
        const int64_t n = s_.inner;
        std::fill(acc, acc + n, 0.0);
        for (int64_t step = 0; step < s_.len; ++step) {
            const int64_t k = reverse_ ? s_.len - 1 - step : step;
            const float* xr = x + k * n;
            float* yr = y + k * n;
            if (exclusive_) {
                for (int64_t j = 0; j < n; ++j) {
                    const double v = xr[j];
                    yr[j] = static_cast<float>(acc[j]);
                    acc[j] += v;
                }
            } else {
                for (int64_t j = 0; j < n; ++j) {
                    acc[j] += xr[j];
                    yr[j] = static_cast<float>(acc[j]);
                }
            }
        }
    }

    graph::AxisSplit s_;
    bool exclusive_, reverse_;
};

}  // namespace

std::unique_ptr<Kernel> makeCumSum(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const Shape& x = inShape(g, n, 0);
    const graph::AxisSplit s = graph::splitAtAxis(x, normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(x.size())));
    return std::make_unique<CumSumKernel>(s, n.attrInt("exclusive", 0) != 0, n.attrInt("reverse", 0) != 0);
}

}  // namespace percept::cpu
