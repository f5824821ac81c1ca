// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the quantised nodes that are not products or pools (int8_pool.cpp): Add,
// Concat, the views (Reshape, Flatten, Squeeze, Unsqueeze) and unary functions. Whatever maps each input code to
// one output code (a unary function, a change of scale or zero point) is a 256-entry table
// built at load; Add and the averages compute the real values in fp32 and round them once.
#include <array>
#include <cstring>
#include <limits>
#include <optional>

#include "cpu/int8.h"
#include "cpu/int8_kernels.h"
#include "cpu/int8_table.h"
#include "cpu/op_util.h"
#include "cpu/row_split.h"
#include "graph/quant.h"
#include "graph/schemas.h"

namespace percept::cpu {
namespace {

using namespace int8;

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
    AddKernel(const graph::Value& a, const graph::Value& b, const graph::Value& y, const graph::FusedActivation& act, const Int8Kernels& k)
        : count_(elementCount(y.shape)), ta_(a.dtype), tb_(b.dtype), out_(y, act), k_(k) {
        // real = sa (a - za) + sb (b - zb), in output steps when the output is a clamp.
        const double div = out_.clamp() ? out_.outScale() : 1.0;
        ca_ = static_cast<float>(a.quant.scale[0] / div);
        cb_ = static_cast<float>(b.quant.scale[0] / div);
        c0_ = static_cast<float>(-(a.quant.zeroPoint[0] * static_cast<double>(a.quant.scale[0]) + b.quant.zeroPoint[0] * static_cast<double>(b.quant.scale[0])) / div);
        // The row kernel reads unsigned bytes: an int8 code is (byte ^ 0x80) - 128.
        flipA_ = ta_ == graph::DType::Int8 ? 0x80 : 0;
        flipB_ = tb_ == graph::DType::Int8 ? 0x80 : 0;
        c0u_ = c0_ - (flipA_ ? 128.0f * ca_ : 0.0f) - (flipB_ ? 128.0f * cb_ : 0.0f);
    }
    const char* algo() const override { return "int8"; }
    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* a = reinterpret_cast<const uint8_t*>(inputs[0]);
        const uint8_t* b = reinterpret_cast<const uint8_t*>(inputs[1]);
        void* y = outputs[0];
        const size_t eb = out_.floatOutput() ? sizeof(float) : 1;
        splitRows(ctx.pool, count_, 1, [&](int64_t i0, int64_t i1, int) {
            if (out_.clamp()) {
                k_.addRow(a + i0, b + i0, i1 - i0, flipA_, flipB_, ca_, cb_, c0u_, out_.zero(), out_.lo(), out_.hi(), static_cast<uint8_t*>(y) + i0);
                return;
            }
            float v[256];
            for (int64_t i = i0; i < i1; i += 256) {
                const int64_t n = std::min<int64_t>(256, i1 - i);
                for (int64_t j = 0; j < n; ++j)
                    v[j] = static_cast<float>(codeOf(a[i + j], ta_)) * ca_ + (static_cast<float>(codeOf(b[i + j], tb_)) * cb_ + c0_);
                uint8_t* out = static_cast<uint8_t*>(y) + static_cast<size_t>(i) * eb;
                out_.fromReal(v, n, out, 1);
            }
        });
    }

private:
    int64_t count_;
    graph::DType ta_, tb_;
    QuantOut out_;
    const Int8Kernels& k_;
    float ca_ = 0, cb_ = 0, c0_ = 0, c0u_ = 0;
    uint8_t flipA_ = 0, flipB_ = 0;
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

}  // namespace

std::unique_ptr<Kernel> makeInt8Add(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const graph::Value& a = g.value(n.inputs.at(0));
    const graph::Value& b = g.value(n.inputs.at(1));
    requirePerTensor(n, a);
    requirePerTensor(n, b);
    if (a.shape != b.shape) fail(n, "int8 Add takes two inputs of the same shape");
    return std::make_unique<AddKernel>(a, b, g.value(n.outputs.at(0)), n.act, int8KernelsFor(cfg.simd));
}

std::unique_ptr<Kernel> makeInt8Concat(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    requirePerTensor(n, g.value(n.outputs.at(0)));
    return std::make_unique<ConcatKernel>(g, n);
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
