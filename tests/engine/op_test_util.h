// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared pieces of the per-op tests: a builder for one-op graphs that run through the real
// load pipeline (modelFromGraph: shape inference, passes) and a real Session; naive reference
// implementations written as plainly as possible, independently of the kernels; random data
// with fixed seeds; and a tolerance check.
//
// Every op test is parameterised on (backend, threads): the backends come from
// opTestBackends() below, so enabling the Vulkan backend for these tests is one line there.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "common/backends.h"
#include "core/model_internal.h"
#include "cpu/isa.h"
#include "graph/ir.h"
#include "percept/percept.h"

namespace percept::optest {

// ---- Backends the op tests run on --------------------------------------------------------

// Every backend compiled into this build (tests/common/backends.h): CPU, and Vulkan when the
// engine defines PERCEPT_HAVE_VULKAN.
inline std::vector<Backend> opTestBackends() { return percept::testing::testBackends(); }

// The CPU kernels' SIMD level in this run (PERCEPT_CPU_ISA caps it; CTest runs every level).
inline cpu::Isa testIsa() { return cpu::bestIsa(Tuning::fromEnvironment().cpuIsa); }

using OpParam = std::tuple<Backend, int>;  // backend, CPU threads

inline std::string opParamName(const ::testing::TestParamInfo<OpParam>& info) {
    return std::string(backendName(std::get<0>(info.param))) + "_t" + std::to_string(std::get<1>(info.param));
}

// Instantiates a TEST_P suite over every backend at 1 and 2 threads.
#define PERCEPT_OP_TEST_SUITE(Suite)                                                                                     \
    INSTANTIATE_TEST_SUITE_P(Ops, Suite,                                                                                 \
                             ::testing::Combine(::testing::ValuesIn(::percept::optest::opTestBackends()),              \
                                                ::testing::Values(1, 2)),                                                \
                             ::percept::optest::opParamName)

// ---- Random data -------------------------------------------------------------------------

inline Tensor randomTensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    Tensor t(shape);
    for (float& v : t.data) v = dist(rng);
    return t;
}

// ---- Graph building ----------------------------------------------------------------------

inline graph::ConstPtr floatData(const Tensor& t) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Float32;
    d->shape = t.shape;
    d->f = t.data;
    return d;
}
inline graph::ConstPtr intData(const std::vector<int64_t>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Int64;
    d->shape = {static_cast<int64_t>(v.size())};
    d->i = v;
    return d;
}

// A small graph built by hand, as the importer would build it from an ONNX file.
struct OpGraph {
    graph::Graph g;
    explicit OpGraph(int64_t opset = 13) { g.opset = opset; }

    int input(const std::string& name, const Shape& shape) {
        const int id = g.addValue(name);
        g.value(id).shape = shape;
        g.value(id).shapeKnown = true;
        g.inputs.push_back(id);
        return id;
    }
    int constant(const std::string& name, const Tensor& t) { return g.addConstant(name, floatData(t)); }
    int constantInts(const std::string& name, const std::vector<int64_t>& v) { return g.addConstant(name, intData(v)); }
    int value(const std::string& name) { return g.addValue(name); }
    int output(const std::string& name) {
        const int id = g.addValue(name);
        g.outputs.push_back(id);
        return id;
    }
    graph::Node& node(const std::string& op, std::vector<int> inputs, std::vector<int> outputs, const std::string& name = "") {
        graph::Node n;
        const auto kind = graph::opKindFromName(op);
        if (!kind) throw std::invalid_argument("op test: unknown op " + op);
        n.op = *kind;
        n.name = name.empty() ? op + "_" + std::to_string(g.nodes.size()) : name;
        n.inputs = std::move(inputs);
        n.outputs = std::move(outputs);
        g.nodes.push_back(std::move(n));
        return g.nodes.back();
    }
};

inline void setInt(graph::Node& n, const std::string& key, int64_t v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Int;
    a.i = v;
    n.attrs[key] = a;
}
inline void setFloat(graph::Node& n, const std::string& key, float v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Float;
    a.f = v;
    n.attrs[key] = a;
}
inline void setInts(graph::Node& n, const std::string& key, std::vector<int64_t> v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Ints;
    a.ints = std::move(v);
    n.attrs[key] = a;
}
inline void setString(graph::Node& n, const std::string& key, const std::string& v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::String;
    a.s = v;
    n.attrs[key] = a;
}

// Appends an activation node reading `from` and writing a new graph output; the load
// pipeline is expected to fuse it into the producer of `from`.
inline void addActivation(OpGraph& b, graph::Activation kind, int from, float p0 = 0.0f, float p1 = 0.0f) {
    const int out = b.output("act_out");
    switch (kind) {
        case graph::Activation::Relu: b.node("Relu", {from}, {out}); break;
        case graph::Activation::Sigmoid: b.node("Sigmoid", {from}, {out}); break;
        case graph::Activation::LeakyRelu: setFloat(b.node("LeakyRelu", {from}, {out}), "alpha", p0); break;
        case graph::Activation::HardSwish: b.node("HardSwish", {from}, {out}); break;  // opset 14
        case graph::Activation::Silu: {  // as exporters write it: x * Sigmoid(x)
            const int s = b.value("act_sigmoid");
            b.node("Sigmoid", {from}, {s});
            b.node("Mul", {from, s}, {out});
            break;
        }
        case graph::Activation::Clip: {
            if (b.g.opset >= 11) {
                const int lo = b.constant("clip_min", Tensor({}, {p0})), hi = b.constant("clip_max", Tensor({}, {p1}));
                b.node("Clip", {from, lo, hi}, {out});
            } else {
                graph::Node& n = b.node("Clip", {from}, {out});
                setFloat(n, "min", p0);
                setFloat(n, "max", p1);
            }
            break;
        }
        case graph::Activation::None: break;
        default: throw std::invalid_argument(std::string("addActivation: no builder for ") + graph::activationName(kind));
    }
}

// Runs a graph through the whole pipeline on a backend; returns the outputs and (optionally)
// the session's per-layer stats.
inline std::vector<Tensor> runGraph(graph::Graph g, const std::vector<Tensor>& inputs, Backend backend, int threads,
                                    Stats* stats = nullptr) {
    const Model model = detail::modelFromGraph(std::move(g), "op-test");
    SessionOptions opt;
    opt.backend = backend;
    opt.threads = threads;
    opt.tuning = Tuning::fromEnvironment();  // PERCEPT_CPU_ISA: every ISA level runs these tests
    auto session = Session::create(model, opt);
    std::vector<Tensor> out = session->run(inputs);
    // Run twice: a kernel must not depend on state left by a previous run (or on a zeroed arena).
    std::vector<Tensor> again = session->run(inputs);
    EXPECT_EQ(out.size(), again.size());
    for (size_t k = 0; k < out.size() && k < again.size(); ++k) EXPECT_EQ(out[k].data, again[k].data) << "second run differs";
    if (stats) *stats = session->stats();
    return out;
}

// ---- Reduce family: a session with options of the test's own -----------------------------

// One run through the load pipeline and a session made with `opt`: fp16 storage, or outputs
// holding NaN (runGraph compares its two runs with ==, which NaN fails). The session's device
// name goes to *device (it says whether fp16 storage was used).
inline std::vector<Tensor> runWithOptions(graph::Graph g, const std::vector<Tensor>& inputs, const SessionOptions& opt,
                                          std::string* device = nullptr) {
    auto session = Session::create(detail::modelFromGraph(std::move(g), "op-test"), opt);
    std::vector<Tensor> out = session->run(inputs);
    if (device) *device = session->stats().device;
    return out;
}

// ---- Comparison --------------------------------------------------------------------------

// Passes when shapes match and max |got - want| <= rel * max(1, max |want|).
inline ::testing::AssertionResult allClose(const Tensor& got, const Tensor& want, double rel = 1e-4) {
    if (got.shape != want.shape)
        return ::testing::AssertionFailure() << "shape " << shapeToString(got.shape) << ", expected " << shapeToString(want.shape);
    if (got.data.size() != want.data.size()) return ::testing::AssertionFailure() << "data size differs";
    double maxRef = 1.0, maxDiff = 0.0;
    size_t at = 0;
    for (float v : want.data) maxRef = std::max(maxRef, static_cast<double>(std::fabs(v)));
    for (size_t i = 0; i < got.data.size(); ++i) {
        const double d = std::fabs(static_cast<double>(got.data[i]) - want.data[i]);
        if (!(d <= maxDiff)) {  // also catches NaN
            maxDiff = std::isnan(d) ? std::numeric_limits<double>::infinity() : d;
            at = i;
        }
    }
    if (maxDiff <= rel * maxRef) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "max |diff| " << maxDiff << " at element " << at << " (got " << got.data[at]
                                         << ", expected " << want.data[at] << "), tolerance " << rel * maxRef;
}

// ---- Index helpers for the references ----------------------------------------------------

inline std::vector<int64_t> unravel(int64_t i, const Shape& s) {
    std::vector<int64_t> idx(s.size());
    for (size_t k = s.size(); k-- > 0;) {
        idx[k] = i % s[k];
        i /= s[k];
    }
    return idx;
}
inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
    int64_t i = 0;
    for (size_t k = 0; k < s.size(); ++k) i = i * s[k] + idx[k];
    return i;
}
// Index into `s` (right-aligned against the output index, size-1 axes repeated).
inline int64_t broadcastIndex(const std::vector<int64_t>& outIdx, const Shape& s) {
    int64_t i = 0;
    const size_t lead = outIdx.size() - s.size();
    for (size_t k = 0; k < s.size(); ++k) i = i * s[k] + (s[k] == 1 ? 0 : outIdx[lead + k]);
    return i;
}
inline Shape broadcastShape(const Shape& a, const Shape& b) {
    const size_t r = std::max(a.size(), b.size());
    Shape o(r);
    for (size_t k = 0; k < r; ++k) {
        const int64_t da = k < r - a.size() ? 1 : a[k - (r - a.size())];
        const int64_t db = k < r - b.size() ? 1 : b[k - (r - b.size())];
        o[k] = da == 1 ? db : da;
    }
    return o;
}

// ---- Naive references --------------------------------------------------------------------
namespace ref {

// Every pointwise function of graph/activations.def, in double, written from ONNX's
// definitions. p0/p1: the parameters as FusedActivation holds them (alpha/beta; Clip min/max;
// Selu alpha/gamma; Shrink bias/lambd; IsInf detect_positive/detect_negative as 1/0).
inline float act(graph::Activation kind, float v, float p0 = 0.0f, float p1 = 0.0f) {
    using graph::Activation;
    const double x = v, a = p0, b = p1;
    const double softplus = std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));  // log(1 + e^x) without overflow
    // NaN in, NaN out (numpy), but for the predicates.
    if (std::isnan(v) && kind != Activation::IsNaN && kind != Activation::IsInf && kind != Activation::Not && kind != Activation::NonZero)
        return v;
    double r = 0.0;
    switch (kind) {
        case Activation::None: return v;
        case Activation::Relu: return v > 0 ? v : 0;
        case Activation::Sigmoid: r = 1.0 / (1.0 + std::exp(-x)); break;
        case Activation::LeakyRelu: return v >= 0 ? v : static_cast<float>(x * a);
        case Activation::Clip: return std::min(std::max(v, p0), p1);
        case Activation::HardSigmoid: r = std::max(0.0, std::min(1.0, a * x + b)); break;
        case Activation::HardSwish: r = x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5)); break;
        case Activation::Silu: r = x / (1.0 + std::exp(-x)); break;
        case Activation::Tanh: r = std::tanh(x); break;
        case Activation::Erf: r = std::erf(x); break;
        case Activation::Gelu: r = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); break;
        case Activation::GeluTanh: r = 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x))); break;
        case Activation::Elu: r = x < 0 ? a * (std::exp(x) - 1.0) : x; break;
        case Activation::Selu: r = x <= 0 ? b * (a * std::exp(x) - a) : b * x; break;
        case Activation::Celu: r = std::max(0.0, x) + std::min(0.0, a * (std::exp(x / a) - 1.0)); break;
        case Activation::ThresholdedRelu: r = x > a ? x : 0.0; break;
        case Activation::Softplus: r = softplus; break;
        case Activation::Softsign: r = x / (1.0 + std::fabs(x)); break;
        case Activation::Mish: r = x * std::tanh(softplus); break;
        case Activation::Shrink: r = x < -b ? x + a : x > b ? x - a : 0.0; break;
        case Activation::Exp: r = std::exp(x); break;
        case Activation::Log: r = std::log(x); break;
        case Activation::Neg: r = -x; break;
        case Activation::Abs: r = std::fabs(x); break;
        case Activation::Sqrt: r = std::sqrt(x); break;
        case Activation::Reciprocal: r = 1.0 / x; break;
        case Activation::Sin: r = std::sin(x); break;
        case Activation::Cos: r = std::cos(x); break;
        case Activation::Tan: r = std::tan(x); break;
        case Activation::Asin: r = std::asin(x); break;
        case Activation::Acos: r = std::acos(x); break;
        case Activation::Atan: r = std::atan(x); break;
        case Activation::Sinh: r = std::sinh(x); break;
        case Activation::Cosh: r = std::cosh(x); break;
        case Activation::Asinh: r = std::asinh(x); break;
        case Activation::Acosh: r = std::acosh(x); break;
        case Activation::Atanh: r = std::atanh(x); break;
        case Activation::Ceil: r = std::ceil(x); break;
        case Activation::Floor: r = std::floor(x); break;
        case Activation::Round: r = std::nearbyint(x); break;  // halves to even (the default rounding mode)
        case Activation::Sign: r = x > 0 ? 1.0 : x < 0 ? -1.0 : x; break;
        case Activation::Not: return v == 0 ? 1.0f : 0.0f;
        case Activation::IsNaN: return std::isnan(v) ? 1.0f : 0.0f;
        case Activation::IsInf: return std::isinf(v) && ((v > 0 && p0 != 0) || (v < 0 && p1 != 0)) ? 1.0f : 0.0f;
        case Activation::Truncate: r = std::trunc(x); break;
        case Activation::NonZero: return v != 0 ? 1.0f : 0.0f;
    }
    return static_cast<float>(r);
}
inline Tensor actAll(Tensor t, graph::Activation kind, float p0 = 0.0f, float p1 = 0.0f) {
    for (float& v : t.data) v = act(kind, v, p0, p1);
    return t;
}

struct ConvParams {
    int64_t group = 1;
    std::vector<int64_t> strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};  // pads: top, left, bottom, right
};
inline ConvParams convParams(int64_t group, std::vector<int64_t> strides, std::vector<int64_t> pads, std::vector<int64_t> dil = {1, 1}) {
    ConvParams p;
    p.group = group;
    p.strides = std::move(strides);
    p.pads = std::move(pads);
    p.dilations = std::move(dil);
    return p;
}

// The seven nested loops (plus batch), double accumulation.
inline Tensor conv2d(const Tensor& x, const Tensor& w, const float* bias, const ConvParams& p) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t M = w.shape[0], Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
    const int64_t Mg = M / p.group;
    const int64_t OH = (H + p.pads[0] + p.pads[2] - ((KH - 1) * p.dilations[0] + 1)) / p.strides[0] + 1;
    const int64_t OW = (W + p.pads[1] + p.pads[3] - ((KW - 1) * p.dilations[1] + 1)) / p.strides[1] + 1;
    Tensor y({N, M, OH, OW});
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox) {
                    const int64_t g = m / Mg;
                    double acc = bias ? bias[m] : 0.0;
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t ky = 0; ky < KH; ++ky)
                            for (int64_t kx = 0; kx < KW; ++kx) {
                                const int64_t iy = oy * p.strides[0] - p.pads[0] + ky * p.dilations[0];
                                const int64_t ix = ox * p.strides[1] - p.pads[1] + kx * p.dilations[1];
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                acc += static_cast<double>(x.data[((n * C + g * Cg + c) * H + iy) * W + ix]) *
                                       w.data[((m * Cg + c) * KH + ky) * KW + kx];
                            }
                    y.data[((n * M + m) * OH + oy) * OW + ox] = static_cast<float>(acc);
                }
    (void)C;
    return y;
}

struct PoolParams {
    std::vector<int64_t> kernel{2, 2}, strides{1, 1}, pads{0, 0, 0, 0}, dilations{1, 1};
    bool ceilMode = false;
    bool countIncludePad = false;
};

inline int64_t poolOut(int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pe, int64_t d, bool ceilMode) {
    const int64_t span = in + pb + pe - ((k - 1) * d + 1);
    int64_t o = (ceilMode ? (span + s - 1) / s : span / s) + 1;
    if (ceilMode && (o - 1) * s >= in + pb) --o;  // the last window must start inside the input or left pad
    return o;
}

inline Tensor pool2d(const Tensor& x, const PoolParams& p, bool isMax) {
    const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
    const int64_t OH = poolOut(H, p.kernel[0], p.strides[0], p.pads[0], p.pads[2], p.dilations[0], p.ceilMode);
    const int64_t OW = poolOut(W, p.kernel[1], p.strides[1], p.pads[1], p.pads[3], p.dilations[1], p.ceilMode);
    Tensor y({N, C, OH, OW});
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t oy = 0; oy < OH; ++oy)
            for (int64_t ox = 0; ox < OW; ++ox) {
                const int64_t y0 = oy * p.strides[0] - p.pads[0], x0 = ox * p.strides[1] - p.pads[1];
                double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
                int64_t inside = 0;
                for (int64_t ky = 0; ky < p.kernel[0]; ++ky)
                    for (int64_t kx = 0; kx < p.kernel[1]; ++kx) {
                        const int64_t iy = y0 + ky * p.dilations[0], ix = x0 + kx * p.dilations[1];
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                        const double v = x.data[(nc * H + iy) * W + ix];
                        best = std::max(best, v);
                        sum += v;
                        ++inside;
                    }
                float out;
                if (isMax) {
                    out = static_cast<float>(best);
                } else if (p.countIncludePad) {
                    // The window clipped to the padded input (what ONNX Runtime divides by).
                    const int64_t y1 = std::min(y0 + p.kernel[0], H + p.pads[2]), x1 = std::min(x0 + p.kernel[1], W + p.pads[3]);
                    out = static_cast<float>(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
                } else {
                    out = static_cast<float>(sum / static_cast<double>(inside));
                }
                y.data[(nc * OH + oy) * OW + ox] = out;
            }
    return y;
}

inline Tensor globalAveragePool(const Tensor& x) {
    Shape s = x.shape;
    int64_t plane = 1;
    for (size_t k = 2; k < s.size(); ++k) {
        plane *= s[k];
        s[k] = 1;
    }
    Tensor y(s);
    for (int64_t p = 0; p < s[0] * s[1]; ++p) {
        double sum = 0.0;
        for (int64_t i = 0; i < plane; ++i) sum += x.data[p * plane + i];
        y.data[p] = static_cast<float>(sum / static_cast<double>(plane));
    }
    return y;
}

inline Tensor gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha, float beta) {
    const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1], N = tb ? b.shape[0] : b.shape[1];
    Tensor y({M, N});
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            double acc = 0.0;
            for (int64_t k = 0; k < K; ++k) {
                const float av = ta ? a.data[k * M + m] : a.data[m * K + k];
                const float bv = tb ? b.data[n * K + k] : b.data[k * N + n];
                acc += static_cast<double>(av) * bv;
            }
            double v = alpha * acc;
            if (c) v += beta * static_cast<double>(c->data[broadcastIndex({m, n}, c->shape)]);
            y.data[m * N + n] = static_cast<float>(v);
        }
    return y;
}

// numpy.matmul.
inline Tensor matmul(const Tensor& a, const Tensor& b) {
    Shape sa = a.shape, sb = b.shape;
    const bool a1 = sa.size() == 1, b1 = sb.size() == 1;
    if (a1) sa.insert(sa.begin(), 1);
    if (b1) sb.push_back(1);
    const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
    const Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
    const Shape batch = broadcastShape(ba, bb);
    Shape full = batch;
    full.push_back(M);
    full.push_back(N);
    Tensor y(full);
    for (int64_t i = 0; i < elementCount(full); ++i) {
        auto idx = unravel(i, full);
        const int64_t n = idx.back(), m = idx[idx.size() - 2];
        const std::vector<int64_t> bidx(idx.begin(), idx.end() - 2);
        const int64_t ia = broadcastIndex(bidx, ba), ib = broadcastIndex(bidx, bb);
        double acc = 0.0;
        for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(a.data[(ia * M + m) * K + k]) * b.data[(ib * K + k) * N + n];
        y.data[i] = static_cast<float>(acc);
    }
    Shape out = batch;
    if (!a1) out.push_back(M);
    if (!b1) out.push_back(N);
    y.shape = out;
    return y;
}

template <class F>
Tensor binary(const Tensor& a, const Tensor& b, F f) {
    const Shape s = broadcastShape(a.shape, b.shape);
    Tensor y(s);
    for (int64_t i = 0; i < elementCount(s); ++i) {
        auto idx = unravel(i, s);
        y.data[i] = f(a.data[broadcastIndex(idx, a.shape)], b.data[broadcastIndex(idx, b.shape)]);
    }
    return y;
}

// Softmax over the flattened axes [axis, rank) (opset < 13) or the single axis (opset >= 13).
inline Tensor softmax(const Tensor& x, int64_t axis, int64_t opset) {
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    if (axis < 0) axis += rank;
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t k = 0; k < rank; ++k) {
        if (k < axis) outer *= x.shape[k];
        else if (k == axis || opset < 13) len *= x.shape[k];
        else inner *= x.shape[k];
    }
    Tensor y(x.shape);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) {
            auto at = [&](int64_t k) { return (o * len + k) * inner + j; };
            double m = -std::numeric_limits<double>::infinity(), s = 0.0;
            for (int64_t k = 0; k < len; ++k) m = std::max(m, static_cast<double>(x.data[at(k)]));
            for (int64_t k = 0; k < len; ++k) s += std::exp(x.data[at(k)] - m);
            for (int64_t k = 0; k < len; ++k) y.data[at(k)] = static_cast<float>(std::exp(x.data[at(k)] - m) / s);
        }
    return y;
}

inline Tensor lrn(const Tensor& x, int64_t size, float alpha, float beta, float bias) {
    const int64_t N = x.shape[0], C = x.shape[1];
    int64_t plane = 1;
    for (size_t k = 2; k < x.shape.size(); ++k) plane *= x.shape[k];
    Tensor y(x.shape);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < plane; ++i) {
                double sq = 0.0;
                const int64_t lo = c - (size - 1) / 2, hi = c + (size - 1 + 1) / 2;  // floor, ceil of (size-1)/2
                for (int64_t cc = std::max<int64_t>(0, lo); cc <= std::min(C - 1, hi); ++cc) {
                    const double v = x.data[(n * C + cc) * plane + i];
                    sq += v * v;
                }
                const double v = x.data[(n * C + c) * plane + i];
                y.data[(n * C + c) * plane + i] = static_cast<float>(v / std::pow(bias + alpha / size * sq, beta));
            }
    return y;
}

inline Tensor batchNorm(const Tensor& x, const Tensor& scale, const Tensor& b, const Tensor& mean, const Tensor& var, float eps) {
    const int64_t C = x.shape[1];
    int64_t plane = 1;
    for (size_t k = 2; k < x.shape.size(); ++k) plane *= x.shape[k];
    Tensor y(x.shape);
    for (int64_t i = 0; i < elementCount(x.shape); ++i) {
        const int64_t c = (i / plane) % C;
        y.data[i] = static_cast<float>(scale.data[c] * (x.data[i] - mean.data[c]) / std::sqrt(static_cast<double>(var.data[c]) + eps) +
                                       b.data[c]);
    }
    return y;
}

inline Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm) {
    Shape s(perm.size());
    for (size_t k = 0; k < perm.size(); ++k) s[k] = x.shape[perm[k]];
    Tensor y(s);
    for (int64_t i = 0; i < elementCount(s); ++i) {
        auto oi = unravel(i, s);
        std::vector<int64_t> ii(perm.size());
        for (size_t k = 0; k < perm.size(); ++k) ii[perm[k]] = oi[k];
        y.data[i] = x.data[ravel(ii, x.shape)];
    }
    return y;
}

inline Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, float value) {
    const size_t r = x.shape.size();
    Shape s = x.shape;
    for (size_t k = 0; k < r; ++k) s[k] += pads[k] + pads[k + r];
    Tensor y(s);
    for (int64_t i = 0; i < elementCount(s); ++i) {
        auto idx = unravel(i, s);
        bool outside = false;
        for (size_t k = 0; k < r; ++k) {
            int64_t j = idx[k] - pads[k];
            const int64_t n = x.shape[k];
            if (j < 0 || j >= n) {
                if (mode == "constant") outside = true;
                else if (mode == "edge") j = j < 0 ? 0 : n - 1;
                else j = j < 0 ? -j : 2 * (n - 1) - j;  // reflect
            }
            idx[k] = j;
        }
        y.data[i] = outside ? value : x.data[ravel(idx, x.shape)];
    }
    return y;
}

inline Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
    Shape s = xs[0].shape;
    if (axis < 0) axis += static_cast<int64_t>(s.size());
    s[axis] = 0;
    for (const Tensor& t : xs) s[axis] += t.shape[axis];
    Tensor y(s);
    for (int64_t i = 0; i < elementCount(s); ++i) {
        auto idx = unravel(i, s);
        int64_t j = idx[axis];
        size_t k = 0;
        while (j >= xs[k].shape[axis]) j -= xs[k++].shape[axis];
        idx[axis] = j;
        y.data[i] = xs[k].data[ravel(idx, xs[k].shape)];
    }
    return y;
}

}  // namespace ref

// ---- Fixture -----------------------------------------------------------------------------

class OpTest : public ::testing::TestWithParam<OpParam> {
protected:
    Backend backend() const { return std::get<0>(GetParam()); }
    int threads() const { return std::get<1>(GetParam()); }
    // fp32 tolerance; a backend computing in lower precision would widen it here.
    double tol() const { return 1e-4; }

    std::vector<Tensor> run(OpGraph& b, const std::vector<Tensor>& inputs, Stats* stats = nullptr) {
        return runGraph(b.g, inputs, backend(), threads(), stats);
    }
    Tensor run1(OpGraph& b, const std::vector<Tensor>& inputs, Stats* stats = nullptr) {
        auto out = run(b, inputs, stats);
        EXPECT_EQ(out.size(), 1u);
        return out.empty() ? Tensor() : out[0];
    }
};

}  // namespace percept::optest
