// SPDX-License-Identifier: Apache-2.0
// Cast / CastLike of values computed at run time: the schema's canonical "convert"
// (graph/schema_cast.cpp). Truncation and the boolean test are the Truncate / NonZero
// pointwise functions (cpu::activate); float16 is a round trip through half precision.
#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/half.h"

namespace percept::cpu {
namespace {

class CastKernel final : public Kernel {
public:
    CastKernel(int64_t count, graph::FusedActivation act, bool half) : count_(count), act_(act), half_(half) {}
    const char* algo() const override { return half_ ? "cast-fp16" : act_.any() ? "pointwise" : "copy"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        if (x == y && !act_.any() && !half_) return;
        splitRows(ctx.pool, (count_ + 4095) / 4096, 4096, [&](int64_t r0, int64_t r1, int) {
            const int64_t b = r0 * 4096, e = std::min(count_, r1 * 4096);
            if (!half_) {
                activate(act_, x + b, y + b, e - b);  // a plain copy when there is no function
                return;
            }
            for (int64_t i = b; i < e; ++i) y[i] = graph::halfToFloat(graph::floatToHalf(x[i]));
        });
    }

private:
    int64_t count_;
    graph::FusedActivation act_;
    bool half_;
};

}  // namespace

std::unique_ptr<Kernel> makeCast(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const std::string convert = n.attrString("convert", "");
    graph::FusedActivation act;
    if (convert == "truncate") act.kind = graph::Activation::Truncate;
    else if (convert == "nonzero") act.kind = graph::Activation::NonZero;
    else if (convert != "copy" && convert != "half") fail(n, "internal error: the cast is not canonical");
    if (n.act.any()) fail(n, "a fused activation on Cast is not supported");
    if (g.value(n.inputs.at(0)).constant && !g.constFloats(n.inputs[0])) fail(n, "an integer constant should have been folded at load time");
    return std::make_unique<CastKernel>(elementCount(inShape(g, n, 0)), act, convert == "half");
}

}  // namespace percept::cpu
