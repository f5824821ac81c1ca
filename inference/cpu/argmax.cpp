// SPDX-License-Identifier: Apache-2.0
// ArgMax and ArgMin along one axis (keepdims only changes the output's shape), in numpy's
// order (cpu/arg_extreme.h: NaN wins, first or last index among equals). The indices are
// written as floats, which is how integers computed at run time are held (graph/ir.h); the
// schema refused axes longer than 2^24, so every index is exact.
#include <algorithm>

#include "cpu/arg_extreme.h"
#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

template <bool IsMax>
class ArgExtremeKernel final : public Kernel {
public:
    ArgExtremeKernel(graph::AxisSplit s, bool selectLast) : s_(s), last_(selectLast) {}
    const char* algo() const override { return IsMax ? "argmax" : "argmin"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        // One task per output: the column of `len` values it scans.
        auto range = [&](int64_t c0, int64_t c1, int) {
            for (int64_t c = c0; c < c1; ++c) {
                const int64_t o = c / s_.inner, j = c - o * s_.inner;
                y[c] = static_cast<float>(argExtreme<IsMax>(x + o * s_.len * s_.inner + j, s_.len, s_.inner, last_));
            }
        };
        const int64_t columns = s_.outer * s_.inner;
        if (columns * s_.len < 32 * 1024) range(0, columns, 0);
        else ctx.pool.parallelFor(columns, std::max<int64_t>(1, 8 * 1024 / s_.len), range);
    }

private:
    graph::AxisSplit s_;
    bool last_;
};

}  // namespace

std::unique_ptr<Kernel> makeArgExtreme(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const Shape& x = inShape(g, n, 0);
    const graph::AxisSplit s = graph::splitAtAxis(x, normAxis(n, n.attrInt("axis", 0), static_cast<int64_t>(x.size())));
    if (s.len == 0) fail(n, "cannot take the index of an extreme along an empty axis");
    const bool last = n.attrInt("select_last_index", 0) != 0;
    if (n.op == graph::OpKind::ArgMin) return std::make_unique<ArgExtremeKernel<false>>(s, last);
    return std::make_unique<ArgExtremeKernel<true>>(s, last);
}

}  // namespace percept::cpu
