// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 op tests (INT8.md): QDQ graphs built as ONNX Runtime's quantiser writes them (a float
// input quantised, DequantizeLinear before each op, QuantizeLinear after it, int8 weights and
// int32 biases through DequantizeLinear), and the naive reference: every operand quantised
// and dequantised exactly as ONNX defines it, the float op in double, the result rounded onto
// the output's grid. A backend may differ from that by one step where fp32 rounding straddles
// a half (INT8.md, Rounding); checkSteps allows exactly that and reports how often it happens.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "graph/quant.h"
#include "op_test_util.h"

namespace percept::optest::int8 {

using graph::DType;

// One tensor's quantisation, per tensor.
struct Q {
    float scale = 1.0f;
    int32_t zero = 0;
    DType type = DType::UInt8;
};

// Parameters that cover [lo, hi] (and 0) with the type's 256 steps.
inline Q covering(float lo, float hi, DType type) {
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    Q q;
    q.type = type;
    q.scale = (hi - lo) / 255.0f;
    if (q.scale <= 0) q.scale = 1.0f;
    q.zero = static_cast<int32_t>(std::nearbyint(static_cast<float>(graph::qmin(type)) - lo / q.scale));
    q.zero = std::min(std::max(q.zero, graph::qmin(type)), graph::qmax(type));
    return q;
}

inline float qdq(float x, const Q& q) { return graph::dequantizeOne(graph::quantizeOne(x, q.scale, q.zero, q.type), q.scale, q.zero); }
inline Tensor qdqAll(Tensor t, const Q& q) {
    for (float& v : t.data) v = qdq(v, q);
    return t;
}

inline graph::ConstPtr byteData(const Shape& shape, const std::vector<int32_t>& v, DType type) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = type;
    d->shape = shape;
    for (int32_t x : v) d->bytes.push_back(static_cast<uint8_t>(x));
    return d;
}
inline graph::ConstPtr int64Data(const Shape& shape, const std::vector<int64_t>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = DType::Int64;
    d->shape = shape;
    d->i = v;
    return d;
}

// The scale and zero point inputs of a Q/DQ node (per tensor).
inline std::vector<int> params(OpGraph& b, const Q& q, const std::string& name) {
    return {b.constant(name + "_scale", Tensor({}, {q.scale})), b.g.addConstant(name + "_zero", byteData({}, {q.zero}, q.type))};
}

// x -> QuantizeLinear -> DequantizeLinear: the value a quantised op reads.
inline int quantDequant(OpGraph& b, int x, const Q& q, const std::string& name) {
    const int qv = b.value(name + "_q"), dv = b.value(name + "_dq");
    auto p = params(b, q, name);
    b.node("QuantizeLinear", {x, p[0], p[1]}, {qv});
    b.node("DequantizeLinear", {qv, p[0], p[1]}, {dv});
    return dv;
}

// y -> QuantizeLinear -> DequantizeLinear -> a new graph output.
inline int quantizeOutput(OpGraph& b, int y, const Q& q, const std::string& name) {
    const int qv = b.value(name + "_q"), out = b.output(name);
    auto p = params(b, q, name);
    b.node("QuantizeLinear", {y, p[0], p[1]}, {qv});
    b.node("DequantizeLinear", {qv, p[0], p[1]}, {out});
    return out;
}

// How weights are quantised: symmetric int8 (what quantisers write), int8 with zero points
// (asymmetric), or uint8 with zero points (ONNX Runtime's U8U8 form).
enum class WeightForm { Symmetric, Int8ZeroPoint, UInt8 };

// Weights of `shape` with one scale (and zero point) per index along `axis` (or one), through
// DequantizeLinear; `real` receives the dequantised weights for the reference.
inline int int8Weights(OpGraph& b, const Shape& shape, int64_t axis, bool perChannel, uint32_t seed, Tensor& real, std::vector<float>& scales,
                       WeightForm form = WeightForm::Symmetric) {
    std::mt19937 rng(seed);
    const DType type = form == WeightForm::UInt8 ? DType::UInt8 : DType::Int8;
    std::uniform_int_distribution<int> qd(form == WeightForm::Symmetric ? -127 : graph::qmin(type), graph::qmax(type));
    std::uniform_int_distribution<int> zd(form == WeightForm::UInt8 ? 90 : -40, form == WeightForm::UInt8 ? 160 : 30);
    std::uniform_real_distribution<float> sd(0.002f, 0.02f);
    const int64_t channels = perChannel ? shape[static_cast<size_t>(axis)] : 1;
    scales.clear();
    std::vector<int32_t> zeros;
    for (int64_t c = 0; c < channels; ++c) {
        scales.push_back(sd(rng));
        zeros.push_back(form == WeightForm::Symmetric ? 0 : zd(rng));
    }
    std::vector<int32_t> q(static_cast<size_t>(elementCount(shape)));
    for (auto& v : q) v = qd(rng);
    real = Tensor(shape);
    graph::QuantParams p;
    p.scale = scales;
    p.axis = axis;
    for (size_t e = 0; e < q.size(); ++e) {
        const size_t c = graph::quantChannel(p, shape, static_cast<int64_t>(e));
        real.data[e] = static_cast<float>(q[e] - zeros[c]) * scales[c];
    }
    const int wq = b.g.addConstant("w_int8", byteData(shape, q, type));
    const Shape ps = perChannel ? Shape{channels} : Shape{};
    const int ws = b.constant("w_scale", Tensor(ps, scales));
    std::vector<int> ins = {wq, ws};
    if (form != WeightForm::Symmetric) ins.push_back(b.g.addConstant("w_zero", byteData(ps, zeros, type)));
    const int out = b.value("w");
    graph::Node& n = b.node("DequantizeLinear", ins, {out});
    setInt(n, "axis", axis);
    return out;
}

// An int32 bias with scale xScale * wScales[m], through DequantizeLinear; `real` gets its values.
inline int int32Bias(OpGraph& b, int64_t M, float xScale, const std::vector<float>& wScales, uint32_t seed, std::vector<float>& real) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(-3000, 3000);
    std::vector<int64_t> q(static_cast<size_t>(M));
    std::vector<float> s(static_cast<size_t>(M));
    real.resize(static_cast<size_t>(M));
    for (int64_t m = 0; m < M; ++m) {
        q[static_cast<size_t>(m)] = d(rng);
        s[static_cast<size_t>(m)] = xScale * wScales[wScales.size() == 1 ? 0 : static_cast<size_t>(m)];
        real[static_cast<size_t>(m)] = static_cast<float>(static_cast<double>(q[static_cast<size_t>(m)]) * s[static_cast<size_t>(m)]);
    }
    const int bq = b.g.addConstant("b_int32", int64Data({M}, q));
    const int bs = b.constant("b_scale", Tensor({M}, s));
    const int out = b.value("b");
    graph::Node& n = b.node("DequantizeLinear", {bq, bs}, {out});
    setInt(n, "axis", 0);
    return out;
}

// Passes when every element of got is within one step of want (both on the output's grid) and
// at most `share` of them differ at all.
inline ::testing::AssertionResult checkSteps(const Tensor& got, const Tensor& want, float step, double share = 0.02) {
    if (got.shape != want.shape)
        return ::testing::AssertionFailure() << "shape " << shapeToString(got.shape) << ", expected " << shapeToString(want.shape);
    size_t off = 0;
    for (size_t i = 0; i < got.data.size(); ++i) {
        const double d = std::fabs(static_cast<double>(got.data[i]) - want.data[i]);
        if (!(d <= step * 1.001 + 1e-6 * std::fabs(want.data[i])))
            return ::testing::AssertionFailure() << "element " << i << ": got " << got.data[i] << ", expected " << want.data[i] << " (step " << step << ")";
        if (d > step * 0.5) ++off;
    }
    if (static_cast<double>(off) > share * static_cast<double>(got.data.size()) + 1)
        return ::testing::AssertionFailure() << off << " of " << got.data.size() << " elements are one step off";
    return ::testing::AssertionSuccess();
}

// The op tests' fixture for quantised graphs: a graph the Vulkan backend refuses (an op with no
// int8 kernel there) is skipped with the refusal (Int8Refusals checks the refusal itself).
class Int8Test : public OpTest {
protected:
    bool refusedHere(const OpGraph& b) {
        if (backend() != Backend::Vulkan) return false;
        const Model m = detail::modelFromGraph(b.g, "op-test");
        const auto why = m.unsupportedOps(Backend::Vulkan);
        if (why.empty()) return false;
        refusal_ = why[0];
        return true;
    }
    std::string refusal_;
    // Vulkan: the graph once more with the GPU forms of the int8 kernels, which lavapipe does not
    // take by default (Tuning::vulkanConv = Tiled: a product's k split over slices where its
    // output has few tiles, 64 workgroups as the target so that small graphs split); nothing on
    // other backends.
    std::optional<Tensor> runGpuForms(OpGraph& b, const std::vector<Tensor>& inputs) {
        if (backend() != Backend::Vulkan) return std::nullopt;
        SessionOptions o;
        o.backend = Backend::Vulkan;
        o.tuning = Tuning::fromEnvironment();
        o.tuning.vulkanConv = Tuning::VulkanConv::Tiled;
        o.tuning.vulkanSplitWorkgroups = 64;
        auto s = Session::create(detail::modelFromGraph(b.g, "op-test"), o);
        for (int run = 0; run < 2; ++run) {  // the split's arrival counters must be back at zero for the second
            const std::vector<Tensor> out = s->run(inputs);
            if (run == 1) return out.at(0);
        }
        return std::nullopt;
    }
    // The layer whose op starts with `op` ran a quantised kernel (every backend): its algorithm
    // says int8.
    void expectInt8Layer(const Stats& s, const std::string& op) {
        for (const LayerStats& l : s.layers)
            if (l.op.rfind(op, 0) == 0) {
                EXPECT_NE(l.algo.find("int8"), std::string::npos) << l.op << " ran '" << l.algo << "', not an int8 kernel";
                return;
            }
        ADD_FAILURE() << "no " << op << " layer";
    }
};

// In a Int8Test: skips (with the backend's reason) where the backend refuses the graph.
#define PERCEPT_INT8_SKIP_IF_REFUSED(b) \
    if (refusedHere(b)) GTEST_SKIP() << "refused: " << refusal_

}  // namespace percept::optest::int8
