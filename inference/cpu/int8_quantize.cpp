// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): QuantizeLinear and DequantizeLinear as standalone kernels, per tensor or per
// axis: the boundary between float ops and 8-bit tensors wherever the QDQ fusion left them.
// Quantising runs the level's row kernel (Int8Kernels::quantizeRow); dequantising is a plain
// loop the compiler vectorises.
#include "cpu/int8_kernels.h"
#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/quant.h"

namespace percept::cpu {
namespace {

// The tensor as outer x channels x inner, the parameters indexed by channel.
struct Layout {
    int64_t outer = 1, channels = 1, inner = 1;
};

Layout layoutOf(const Shape& s, const graph::QuantParams& p) {
    Layout l;
    l.inner = elementCount(s);
    if (p.scale.size() <= 1) return l;
    const size_t axis = static_cast<size_t>(p.axis);
    l.outer = product(s, 0, axis);
    l.channels = s[axis];
    l.inner = product(s, axis + 1, s.size());
    return l;
}

class QuantizeKernel final : public Kernel {
public:
    QuantizeKernel(const graph::Graph& g, const graph::Node& n, const Int8Kernels& k) : p_(graph::quantParamsOf(n)), k_(k) {
        const graph::Value& y = g.value(n.outputs.at(0));
        l_ = layoutOf(y.shape, p_);
        lo_ = graph::qmin(y.dtype);
        hi_ = graph::qmax(y.dtype);
    }
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        splitRows(ctx.pool, l_.outer * l_.channels, l_.inner, [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                const size_t c = static_cast<size_t>(r % l_.channels);
                k_.quantizeRow(x + r * l_.inner, y + r * l_.inner, l_.inner, p_.scale[c], p_.zeroPoint[c], lo_, hi_);
            }
        });
    }

private:
    graph::QuantParams p_;
    const Int8Kernels& k_;
    Layout l_;
    int32_t lo_ = 0, hi_ = 255;
};

class DequantizeKernel final : public Kernel {
public:
    DequantizeKernel(const graph::Graph& g, const graph::Node& n) : p_(graph::quantParamsOf(n)) {
        const graph::Value& x = g.value(n.inputs.at(0));
        l_ = layoutOf(x.shape, p_);
        signed_ = x.dtype == graph::DType::Int8;
        // A constant too large to fold at load (graph/fold_quant.cpp) is dequantised per run.
        if (x.constant) constant_ = x.constant->bytes;
    }
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = constant_.empty() ? reinterpret_cast<const uint8_t*>(inputs[0]) : constant_.data();
        float* y = outputs[0];
        splitRows(ctx.pool, l_.outer * l_.channels, l_.inner, [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                const size_t c = static_cast<size_t>(r % l_.channels);
                const float s = p_.scale[c];
                const int32_t z = p_.zeroPoint[c];
                const uint8_t* xr = x + r * l_.inner;
                float* yr = y + r * l_.inner;
                if (signed_)
                    for (int64_t i = 0; i < l_.inner; ++i) yr[i] = static_cast<float>(static_cast<int8_t>(xr[i]) - z) * s;
                else
                    for (int64_t i = 0; i < l_.inner; ++i) yr[i] = static_cast<float>(xr[i] - z) * s;
            }
        });
    }
    size_t weightBytes() const override { return constant_.size(); }

private:
    graph::QuantParams p_;
    Layout l_;
    bool signed_ = false;
    std::vector<uint8_t> constant_;
};

}  // namespace

std::unique_ptr<Kernel> makeQuantizeLinear(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    if (!graph::isByteType(g.value(n.outputs.at(0)).dtype)) fail(n, "QuantizeLinear writes int8 or uint8");
    return std::make_unique<QuantizeKernel>(g, n, int8KernelsFor(cfg.simd));
}

std::unique_ptr<Kernel> makeDequantizeLinear(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const graph::Value& x = g.value(n.inputs.at(0));
    if (!graph::isByteType(x.dtype)) fail(n, "DequantizeLinear reads int8 or uint8 here (an int32 constant is folded at load)");
    return std::make_unique<DequantizeKernel>(g, n);
}

}  // namespace percept::cpu
