// SPDX-License-Identifier: Apache-2.0
// Pointwise functions (graph/activations.def): the fused form (applyActivation / activate,
// called by Conv, Gemm, Add ... on blocks still in cache) and the standalone unary ops.
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "cpu/op_util.h"
#include "graph/schemas.h"

namespace percept::cpu {

using graph::Activation;
using graph::FusedActivation;

namespace {

// out[i] = f(in[i]): one loop per kind, so the switch is outside and the loop vectorises
// where f allows.
template <class F>
inline void map(const float* in, float* out, int64_t n, F f) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]);
}

inline float sigmoidOf(float v) { return 1.0f / (1.0f + std::exp(-v)); }
inline float softplusOf(float v) { return v > 20.0f ? v : std::log1p(std::exp(v)); }
// min(1, max(0, v)) with NaN passing through, as numpy's clip.
inline float clamp01(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

}  // namespace

// erf as a rational function on [-4, 4] (Eigen's generic_fast_erf_float: a few ulp in fp32,
// no libm call, so it vectorises); the shaders use the same coefficients (common.glsl).
float erfApprox(float v) {
    const float x = v < -4.0f ? -4.0f : v > 4.0f ? 4.0f : v;
    const float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    p = p * x;
    float q = x2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return p / q;
}

// Every function gives NaN for NaN (numpy, IEEE), so the comparisons below are written to let
// it through (v < 0 ? 0 : v, not v > 0 ? v : 0).
void activate(const FusedActivation& act, const float* in, float* out, int64_t n) {
    const float a = act.alpha, b = act.beta;
    switch (act.kind) {
        case Activation::None:
            if (in != out) std::memcpy(out, in, static_cast<size_t>(n) * sizeof(float));
            return;
        case Activation::Relu: return map(in, out, n, [](float v) { return v < 0.0f ? 0.0f : v; });
        case Activation::Clip: {
            const float lo = act.min, hi = act.max;
            return map(in, out, n, [=](float v) {
                v = v < lo ? lo : v;
                return v > hi ? hi : v;
            });
        }
        case Activation::LeakyRelu: return map(in, out, n, [=](float v) { return v < 0.0f ? v * a : v; });
        case Activation::Sigmoid: return map(in, out, n, sigmoidOf);
        case Activation::HardSigmoid:
            return map(in, out, n, [=](float v) { return clamp01(a * v + b); });
        case Activation::HardSwish:
            return map(in, out, n, [](float v) { return v * clamp01(v * (1.0f / 6.0f) + 0.5f); });
        case Activation::Silu: return map(in, out, n, [](float v) { return v * sigmoidOf(v); });
        case Activation::Tanh: return map(in, out, n, [](float v) { return std::tanh(v); });
        case Activation::Erf: return map(in, out, n, erfApprox);
        case Activation::Gelu: return map(in, out, n, [](float v) { return 0.5f * v * (1.0f + erfApprox(v * 0.70710678118654752f)); });
        case Activation::GeluTanh:
            return map(in, out, n, [](float v) { return 0.5f * v * (1.0f + std::tanh(0.79788456080286536f * (v + 0.044715f * v * v * v))); });
        case Activation::Elu: return map(in, out, n, [=](float v) { return v < 0.0f ? a * std::expm1(v) : v; });
        case Activation::Selu: return map(in, out, n, [=](float v) { return v <= 0.0f ? b * (a * std::exp(v) - a) : b * v; });
        // max(0, x) + min(0, a (e^(x/a) - 1)): the second term is 0 for x > 0 and the first for
        // x <= 0, whatever the sign of a.
        case Activation::Celu: return map(in, out, n, [=](float v) { return v > 0.0f ? v : a * std::expm1(v / a); });
        case Activation::ThresholdedRelu: return map(in, out, n, [=](float v) { return v <= a ? 0.0f : v; });
        case Activation::Softplus: return map(in, out, n, softplusOf);
        case Activation::Softsign: return map(in, out, n, [](float v) { return v / (1.0f + std::fabs(v)); });
        case Activation::Mish: return map(in, out, n, [](float v) { return v * std::tanh(softplusOf(v)); });
        case Activation::Shrink:
            return map(in, out, n, [=](float v) { return v >= -b && v <= b ? 0.0f : v < 0.0f ? v + a : v - a; });
        case Activation::Exp: return map(in, out, n, [](float v) { return std::exp(v); });
        case Activation::Log: return map(in, out, n, [](float v) { return std::log(v); });
        case Activation::Neg: return map(in, out, n, [](float v) { return -v; });
        case Activation::Abs: return map(in, out, n, [](float v) { return std::fabs(v); });
        case Activation::Sqrt: return map(in, out, n, [](float v) { return std::sqrt(v); });
        case Activation::Reciprocal: return map(in, out, n, [](float v) { return 1.0f / v; });
        case Activation::Sin: return map(in, out, n, [](float v) { return std::sin(v); });
        case Activation::Cos: return map(in, out, n, [](float v) { return std::cos(v); });
        case Activation::Tan: return map(in, out, n, [](float v) { return std::tan(v); });
        case Activation::Asin: return map(in, out, n, [](float v) { return std::asin(v); });
        case Activation::Acos: return map(in, out, n, [](float v) { return std::acos(v); });
        case Activation::Atan: return map(in, out, n, [](float v) { return std::atan(v); });
        case Activation::Sinh: return map(in, out, n, [](float v) { return std::sinh(v); });
        case Activation::Cosh: return map(in, out, n, [](float v) { return std::cosh(v); });
        case Activation::Asinh: return map(in, out, n, [](float v) { return std::asinh(v); });
        case Activation::Acosh: return map(in, out, n, [](float v) { return std::acosh(v); });
        case Activation::Atanh: return map(in, out, n, [](float v) { return std::atanh(v); });
        case Activation::Ceil: return map(in, out, n, [](float v) { return std::ceil(v); });
        case Activation::Floor: return map(in, out, n, [](float v) { return std::floor(v); });
        case Activation::Round: return map(in, out, n, [](float v) { return std::nearbyint(v); });  // default mode: halves to even
        case Activation::Sign: return map(in, out, n, [](float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v; });  // 0 and NaN as they are
        case Activation::Not: return map(in, out, n, [](float v) { return v == 0.0f ? 1.0f : 0.0f; });
        case Activation::IsNaN: return map(in, out, n, [](float v) { return std::isnan(v) ? 1.0f : 0.0f; });
        case Activation::IsInf:
            return map(in, out, n, [=](float v) { return std::isinf(v) && ((v > 0 && a != 0.0f) || (v < 0 && b != 0.0f)) ? 1.0f : 0.0f; });
        case Activation::Truncate: return map(in, out, n, [](float v) { return std::trunc(v); });
        case Activation::NonZero: return map(in, out, n, [](float v) { return v != 0.0f ? 1.0f : 0.0f; });
    }
}

void applyActivation(const FusedActivation& act, float* data, int64_t n) {
    if (act.any()) activate(act, data, data, n);
}

namespace {

class ActivationKernel final : public Kernel {
public:
    ActivationKernel(FusedActivation act, FusedActivation then, int64_t count, ActivateFn fn, std::vector<float> owned)
        : act_(act), then_(then), count_(count), fn_(fn), owned_(std::move(owned)) {}

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = owned_.empty() ? inputs[0] : owned_.data();
        float* y = outputs[0];
        // Chunks of 16K values: big enough to amortise the pool, small enough to share.
        auto chunk = [&](int64_t b, int64_t e, int) {
            fn_(act_, x + b, y + b, e - b);
            if (then_.any()) fn_(then_, y + b, y + b, e - b);
        };
        if (count_ < 64 * 1024) chunk(0, count_, 0);
        else ctx.pool.parallelFor(count_, 16 * 1024, chunk);
    }
    const char* algo() const override { return "pointwise"; }

private:
    FusedActivation act_, then_;
    int64_t count_;
    ActivateFn fn_;  // the session's SIMD rows (cpu/isa.h) or the portable activate
    std::vector<float> owned_;  // a boolean constant input (Not), which reaches run() as nullptr
};

}  // namespace

std::unique_ptr<Kernel> makeActivation(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const std::optional<FusedActivation> act = graph::activationOf(n);
    if (!act) fail(n, "is not a pointwise function");
    // A pass may fuse a following activation into this one too: apply both in turn.
    const graph::Value& x = g.value(n.inputs.at(0));
    std::vector<float> owned;
    if (x.constant && x.constant->dtype != graph::DType::Float32) owned = x.constant->asFloats();
    return std::make_unique<ActivationKernel>(*act, n.act, elementCount(inShape(g, n, 0)), activationFn(cfg.simd), std::move(owned));
}

}  // namespace percept::cpu
