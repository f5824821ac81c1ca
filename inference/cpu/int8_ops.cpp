// int8 (INT8.md): the quantised nodes that are not products: Add, Concat, the pools, the views
// (Reshape, Flatten, Squeeze, Unsqueeze) and unary functions. Whatever maps each input code to
// one output code (a unary function, a change of scale or zero point) is a 256-entry table
// built at load; Add and the averages compute the real values in fp32 and round them once.
#include <array>
#include <cstring>
#include <limits>
#include <optional>

#include "cpu/int8.h"
#include "cpu/int8_gemm.h"
#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/quant.h"
#include "graph/schemas.h"
#include "graph/window.h"

namespace percept::cpu {
namespace {

using Table = std::array<uint8_t, 256>;

// The code a raw byte holds (int8 codes are signed).
inline int32_t codeOf(uint8_t b, graph::DType t) { return t == graph::DType::Int8 ? static_cast<int8_t>(b) : b; }

void requirePerTensor(const graph::Node& n, const graph::Value& v) {
    if (!graph::isByteType(v.dtype) || !v.quant.perTensor()) fail(n, "the int8 tensor '" + v.name + "' has no scale and zero point");
}

// Whether two 8-bit values hold the same reals in the same bytes.
bool sameBytes(const graph::Value& a, const graph::Value& b) { return a.dtype == b.dtype && a.quant == b.quant; }

// out code of f(real(in code)) for every input byte; f: the node's functions, in order.
Table tableOf(const graph::Value& in, const graph::Value& out, std::initializer_list<graph::FusedActivation> f) {
    std::array<float, 256> r;
    for (int b = 0; b < 256; ++b)
        r[static_cast<size_t>(b)] = graph::dequantizeOne(codeOf(static_cast<uint8_t>(b), in.dtype), in.quant.scale[0], in.quant.zeroPoint[0]);
    for (const graph::FusedActivation& a : f)
        if (a.any()) activate(a, r.data(), r.data(), 256);
    Table t;
    for (size_t b = 0; b < 256; ++b) t[b] = static_cast<uint8_t>(graph::quantizeOne(r[b], out.quant.scale[0], out.quant.zeroPoint[0], out.dtype));
    return t;
}

// y[i] = table[x[i]] (x == y allowed), or a copy when there is no table.
void mapBytes(const uint8_t* x, uint8_t* y, int64_t n, const Table* t) {
    if (!t) {
        if (x != y) std::memmove(y, x, static_cast<size_t>(n));
        return;
    }
    for (int64_t i = 0; i < n; ++i) y[i] = (*t)[x[i]];
}

// ---- Unary functions and views: one table, or a copy ---------------------------------------

class MapKernel final : public Kernel {
public:
    MapKernel(int64_t count, std::optional<Table> t, const char* algo) : count_(count), table_(t), algo_(algo) {}
    const char* algo() const override { return algo_; }
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        if (!table_ && x == y) return;  // a view sharing its input's bytes
        const Table* t = table_ ? &*table_ : nullptr;
        splitRows(ctx.pool, count_, 1, [&](int64_t b, int64_t e, int) { mapBytes(x + b, y + b, e - b, t); });
    }

private:
    int64_t count_;
    std::optional<Table> table_;
    const char* algo_;
};

// ---- Add --------------------------------------------------------------------------------------

class AddKernel final : public Kernel {
public:
    AddKernel(const graph::Value& a, const graph::Value& b, const graph::Value& y, const graph::FusedActivation& act)
        : count_(elementCount(y.shape)), ta_(a.dtype), tb_(b.dtype), out_(y, act) {
        // real = sa (a - za) + sb (b - zb), in output steps when the output is a clamp.
        const double div = out_.clamp() ? out_.outScale() : 1.0;
        ca_ = static_cast<float>(a.quant.scale[0] / div);
        cb_ = static_cast<float>(b.quant.scale[0] / div);
        c0_ = static_cast<float>(-(a.quant.zeroPoint[0] * static_cast<double>(a.quant.scale[0]) + b.quant.zeroPoint[0] * static_cast<double>(b.quant.scale[0])) / div);
    }
    const char* algo() const override { return "int8"; }
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* a = reinterpret_cast<const uint8_t*>(inputs[0]);
        const uint8_t* b = reinterpret_cast<const uint8_t*>(inputs[1]);
        void* y = outputs[0];
        const size_t eb = out_.floatOutput() ? sizeof(float) : 1;
        splitRows(ctx.pool, count_, 1, [&](int64_t i0, int64_t i1, int) {
            float v[256];
            for (int64_t i = i0; i < i1; i += 256) {
                const int64_t n = std::min<int64_t>(256, i1 - i);
                for (int64_t j = 0; j < n; ++j)
                    v[j] = static_cast<float>(codeOf(a[i + j], ta_)) * ca_ + (static_cast<float>(codeOf(b[i + j], tb_)) * cb_ + c0_);
                uint8_t* out = static_cast<uint8_t*>(y) + static_cast<size_t>(i) * eb;
                if (out_.clamp()) out_.fromSteps(v, n, out, 1);
                else out_.fromReal(v, n, out, 1);
            }
        });
    }

private:
    int64_t count_;
    graph::DType ta_, tb_;
    QuantOut out_;
    float ca_ = 0, cb_ = 0, c0_ = 0;
};

// ---- Concat -----------------------------------------------------------------------------------

class ConcatKernel final : public Kernel {
public:
    ConcatKernel(const graph::Graph& g, const graph::Node& n) {
        const graph::Value& y = g.value(n.outputs.at(0));
        const int64_t axis = n.attrInt("axis", 0);
        outer_ = product(y.shape, 0, static_cast<size_t>(axis));
        outRow_ = product(y.shape, static_cast<size_t>(axis), y.shape.size());
        for (int v : n.inputs) {
            const graph::Value& x = g.value(v);
            requirePerTensor(n, x);
            rows_.push_back(product(x.shape, static_cast<size_t>(axis), x.shape.size()));
            tables_.push_back(sameBytes(x, y) ? std::nullopt : std::optional<Table>(tableOf(x, y, {})));
        }
    }
    const char* algo() const override { return "int8"; }
    void run(const float* const* inputs, float* const* outputs, KernelContext&) override {
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        int64_t at = 0;
        for (size_t k = 0; k < rows_.size(); ++k) {
            const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[k]);
            const Table* t = tables_[k] ? &*tables_[k] : nullptr;
            // A part the memory plan placed inside the output (same bytes) is already there.
            if (!(t == nullptr && x == y + at))
                for (int64_t o = 0; o < outer_; ++o) mapBytes(x + o * rows_[k], y + o * outRow_ + at, rows_[k], t);
            at += rows_[k];
        }
    }

private:
    int64_t outer_ = 1, outRow_ = 0;
    std::vector<int64_t> rows_;
    std::vector<std::optional<Table>> tables_;
};

// ---- Pools ------------------------------------------------------------------------------------

class PoolKernel final : public Kernel {
public:
    PoolKernel(const graph::Graph& g, const graph::Node& n) : out_(g.value(n.outputs.at(0)), {}) {
        const graph::Value& x = g.value(n.inputs.at(0));
        const graph::Value& y = g.value(n.outputs.at(0));
        op_ = n.op;
        type_ = x.dtype;
        planes_ = x.shape[0] * x.shape[1];
        if (op_ == graph::OpKind::GlobalAveragePool) {
            s_.in[2] = s_.kernel[2] = elementCount(x.shape) / planes_;  // one window over the plane
        } else {
            s_ = graph::spatial3(n, x.shape, y.shape);
            includePad_ = n.attrInt("count_include_pad", 0) != 0;
        }
        if (op_ == graph::OpKind::MaxPool) {
            if (!sameBytes(x, y)) table_ = tableOf(x, y, {});
        } else {
            inScale_ = x.quant.scale[0];
            inZero_ = x.quant.zeroPoint[0];
        }
    }
    size_t workspaceBytes(int threads) const override {
        return alignFloats(static_cast<size_t>(s_.outPlane())) * sizeof(float) * static_cast<size_t>(threads);
    }
    const char* algo() const override { return "int8"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        uint8_t* y = reinterpret_cast<uint8_t*>(outputs[0]);
        const int64_t inPlane = s_.inPlane(), outPlane = s_.outPlane();
        splitRows(ctx.pool, planes_, inPlane, [&](int64_t p0, int64_t p1, int th) {
            float* real = ctx.workspace + static_cast<size_t>(th) * alignFloats(static_cast<size_t>(outPlane));
            for (int64_t p = p0; p < p1; ++p) plane(x + p * inPlane, y + p * outPlane, real);
        });
    }

private:
    void plane(const uint8_t* x, uint8_t* y, float* real) const {
        const int64_t OD = s_.out[0], OH = s_.out[1], OW = s_.out[2];
        int64_t o = 0;
        for (int64_t od = 0; od < OD; ++od)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow, ++o) {
                    const int64_t at[3] = {od, oh, ow};
                    int32_t best = std::numeric_limits<int32_t>::min();
                    int64_t sum = 0, inside = 0, divisor = 1;
                    int64_t lo[3];
                    for (int a = 0; a < 3; ++a) {
                        const int64_t b = at[a] * s_.stride[a] - s_.padBegin[a];
                        lo[a] = b;
                        if (includePad_) {
                            // The window clipped to the padded input (what ONNX Runtime divides by).
                            int64_t c = 0;
                            for (int64_t k = 0; k < s_.kernel[a]; ++k) {
                                const int64_t i = b + k * s_.dilation[a];
                                c += i >= -s_.padBegin[a] && i < s_.in[a] + s_.padEnd[a];
                            }
                            divisor *= c;
                        }
                    }
                    for (int64_t kd = 0; kd < s_.kernel[0]; ++kd) {
                        const int64_t id = lo[0] + kd * s_.dilation[0];
                        if (id < 0 || id >= s_.in[0]) continue;
                        for (int64_t kh = 0; kh < s_.kernel[1]; ++kh) {
                            const int64_t ih = lo[1] + kh * s_.dilation[1];
                            if (ih < 0 || ih >= s_.in[1]) continue;
                            for (int64_t kw = 0; kw < s_.kernel[2]; ++kw) {
                                const int64_t iw = lo[2] + kw * s_.dilation[2];
                                if (iw < 0 || iw >= s_.in[2]) continue;
                                const int32_t c = codeOf(x[(id * s_.in[1] + ih) * s_.in[2] + iw], type_);
                                best = std::max(best, c);
                                sum += c;
                                ++inside;
                            }
                        }
                    }
                    if (op_ == graph::OpKind::MaxPool) {
                        y[o] = static_cast<uint8_t>(inside ? best : graph::qmin(type_));
                    } else {
                        if (!includePad_) divisor = inside;
                        // Pads hold real zero: only the taps inside add to the sum of reals.
                        real[o] = divisor > 0 ? static_cast<float>(inScale_ * static_cast<double>(sum - inZero_ * inside) / static_cast<double>(divisor)) : 0.0f;
                    }
                }
        if (op_ == graph::OpKind::MaxPool) {
            if (table_) mapBytes(y, y, o, &*table_);
        } else {
            out_.fromReal(real, o, y, 1);
        }
    }

    graph::OpKind op_;
    graph::DType type_;
    graph::Spatial3 s_;
    int64_t planes_ = 0;
    bool includePad_ = false;
    std::optional<Table> table_;
    double inScale_ = 1.0;
    int32_t inZero_ = 0;
    QuantOut out_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Add(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const graph::Value& a = g.value(n.inputs.at(0));
    const graph::Value& b = g.value(n.inputs.at(1));
    requirePerTensor(n, a);
    requirePerTensor(n, b);
    if (a.shape != b.shape) fail(n, "int8 Add takes two inputs of the same shape");
    return std::make_unique<AddKernel>(a, b, g.value(n.outputs.at(0)), n.act);
}

std::unique_ptr<Kernel> makeInt8Concat(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    requirePerTensor(n, g.value(n.outputs.at(0)));
    return std::make_unique<ConcatKernel>(g, n);
}

std::unique_ptr<Kernel> makeInt8Pool(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    requirePerTensor(n, x);
    requirePerTensor(n, y);
    if (x.dtype != y.dtype) fail(n, "an int8 pool keeps its input's type");
    if (x.shape.size() < 3) fail(n, "an int8 pool takes [N,C,...] tensors");
    return std::make_unique<PoolKernel>(g, n);
}

std::unique_ptr<Kernel> makeInt8View(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    if (!graph::isByteType(x.dtype) || !graph::isByteType(y.dtype)) fail(n, "an int8 view reads and writes 8-bit tensors");
    if (sameBytes(x, y)) return std::make_unique<MapKernel>(elementCount(y.shape), std::nullopt, "int8");
    requirePerTensor(n, x);
    requirePerTensor(n, y);
    return std::make_unique<MapKernel>(elementCount(y.shape), tableOf(x, y, {}), "int8-table");
}

std::unique_ptr<Kernel> makeInt8Table(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const graph::Value& x = g.value(n.inputs.at(0));
    const graph::Value& y = g.value(n.outputs.at(0));
    requirePerTensor(n, x);
    requirePerTensor(n, y);
    const std::optional<graph::FusedActivation> f = graph::activationOf(n);
    if (!f) fail(n, "is not a pointwise function");
    return std::make_unique<MapKernel>(elementCount(y.shape), tableOf(x, y, {*f, n.act}), "int8-table");
}

}  // namespace percept::cpu
