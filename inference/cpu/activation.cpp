// Pointwise activations: the fused form (applyActivation / activate, called by Conv, Gemm,
// Add ... on blocks still in cache) and the standalone Relu, Clip, LeakyRelu, Sigmoid ops.
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/op_util.h"

namespace percept::cpu {

using graph::Activation;
using graph::FusedActivation;

// One loop per kind, so the switch is outside and each loop vectorises.
void activate(const FusedActivation& act, const float* in, float* out, int64_t n) {
    switch (act.kind) {
        case Activation::None:
            if (in != out) std::memcpy(out, in, static_cast<size_t>(n) * sizeof(float));
            return;
        case Activation::Relu:
            for (int64_t i = 0; i < n; ++i) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
            return;
        case Activation::Clip: {
            const float lo = act.min, hi = act.max;
            for (int64_t i = 0; i < n; ++i) {
                const float v = in[i] < lo ? lo : in[i];
                out[i] = v > hi ? hi : v;
            }
            return;
        }
        case Activation::LeakyRelu: {
            const float a = act.alpha;
            for (int64_t i = 0; i < n; ++i) out[i] = in[i] < 0.0f ? in[i] * a : in[i];
            return;
        }
        case Activation::Sigmoid:
            for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
            return;
    }
}

void applyActivation(const FusedActivation& act, float* data, int64_t n) {
    if (act.any()) activate(act, data, data, n);
}

namespace {

class ActivationKernel final : public Kernel {
public:
    ActivationKernel(FusedActivation act, FusedActivation then, int64_t count) : act_(act), then_(then), count_(count) {}

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        // Chunks of 16K values: big enough to amortise the pool, small enough to share.
        auto chunk = [&](int64_t b, int64_t e, int) {
            activate(act_, x + b, y + b, e - b);
            applyActivation(then_, y + b, e - b);
        };
        if (count_ < 64 * 1024) chunk(0, count_, 0);
        else ctx.pool.parallelFor(count_, 16 * 1024, chunk);
    }
    const char* algo() const override { return "pointwise"; }

private:
    FusedActivation act_, then_;
    int64_t count_;
};

}  // namespace

std::unique_ptr<Kernel> makeActivation(const graph::Graph& g, const graph::Node& n) {
    FusedActivation act;
    if (n.op == "Relu") {
        act.kind = Activation::Relu;
    } else if (n.op == "LeakyRelu") {
        act.kind = Activation::LeakyRelu;
        act.alpha = n.attrFloat("alpha", 0.01f);
    } else if (n.op == "Sigmoid") {
        act.kind = Activation::Sigmoid;
    } else if (n.op == "Clip") {
        act.kind = Activation::Clip;
        if (g.opset < 11) {
            // Opset 6: attributes, defaulting to the float range.
            act.min = n.attrFloat("min", std::numeric_limits<float>::lowest());
            act.max = n.attrFloat("max", std::numeric_limits<float>::max());
        } else {
            // Opset 11+: optional constant scalar inputs 1 (min) and 2 (max).
            auto lo = constInput(g, n, 1, "min");
            auto hi = constInput(g, n, 2, "max");
            if (lo.size() > 1 || hi.size() > 1) fail(n, "min and max must be scalars");
            if (!lo.empty()) act.min = lo[0];
            if (!hi.empty()) act.max = hi[0];
        }
    } else {
        fail(n, "is not an activation");
    }
    // A pass may fuse a following activation into this one too: apply both in turn.
    return std::make_unique<ActivationKernel>(act, n.act, elementCount(inShape(g, n, 0)));
}

}  // namespace percept::cpu
