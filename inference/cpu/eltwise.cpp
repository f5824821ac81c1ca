// SPDX-License-Identifier: Apache-2.0
// Pointwise ops of two or more inputs with full numpy broadcasting: arithmetic (Add, Sub,
// Mul, Div, Pow, Mod, PRelu), the variadic Sum / Mean / Min / Max, comparisons, And / Or /
// Xor, and Where.
//
// At build time the operands' shapes are padded to the output's rank and adjacent axes that
// broadcast the same way are merged (graph::planBroadcastN). What is left is a short loop
// nest whose innermost axis has, per operand, stride 1 (contiguous) or 0 (repeated). The
// common cases fall out of that as fast paths: same shape -> one contiguous run; scalar ->
// one run with a stride-0 operand; per-channel [N,C,H,W] + [C,1,1] -> rows of H*W with a
// scalar per row. A variadic op is a chain of binary steps over the output (the first step
// broadcasts its two inputs straight into the output's shape, every later one folds in one
// more input in place); Where walks the same nest with three operands.
//
// Booleans and integers computed at run time are held as fp32 (graph/ir.h): comparisons and
// logic write 0/1, and integer constants (which reach run() as nullptr) are converted here
// when the kernel is built.
#include <algorithm>
#include <array>
#include <cmath>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

// ---- The functions ---------------------------------------------------------------------

struct Add { float operator()(float a, float b) const { return a + b; } };
struct Sub { float operator()(float a, float b) const { return a - b; } };
struct Mul { float operator()(float a, float b) const { return a * b; } };
struct Div { float operator()(float a, float b) const { return a / b; } };
struct Pow { float operator()(float a, float b) const { return std::pow(a, b); } };
// Pow with the constant exponent 2 (LayerNorm's variance, torch's x ** 2): one multiply, the
// correctly rounded result pow gives too.
struct Square { float operator()(float a, float) const { return a * a; } };
// fmod=1 (the sign of the dividend), the only form ONNX defines on floats (inferMod).
struct Fmod { float operator()(float a, float b) const { return std::fmod(a, b); } };
struct PRelu { float operator()(float x, float slope) const { return x < 0.0f ? x * slope : x; } };
// numpy's minimum/maximum: a NaN in either operand gives NaN.
struct Min { float operator()(float a, float b) const { return a < b || a != a ? a : b; } };
struct Max { float operator()(float a, float b) const { return a > b || a != a ? a : b; } };
// Mean's last step: the running sum plus the last input, divided by the input count.
struct AddDiv {
    float n;
    float operator()(float a, float b) const { return (a + b) / n; }
};
struct Equal { float operator()(float a, float b) const { return a == b ? 1.0f : 0.0f; } };
struct Less { float operator()(float a, float b) const { return a < b ? 1.0f : 0.0f; } };
struct LessOrEqual { float operator()(float a, float b) const { return a <= b ? 1.0f : 0.0f; } };
struct Greater { float operator()(float a, float b) const { return a > b ? 1.0f : 0.0f; } };
struct GreaterOrEqual { float operator()(float a, float b) const { return a >= b ? 1.0f : 0.0f; } };
struct And { float operator()(float a, float b) const { return a != 0.0f && b != 0.0f ? 1.0f : 0.0f; } };
struct Or { float operator()(float a, float b) const { return a != 0.0f || b != 0.0f ? 1.0f : 0.0f; } };
struct Xor { float operator()(float a, float b) const { return (a != 0.0f) != (b != 0.0f) ? 1.0f : 0.0f; } };

// ---- The loop nest ---------------------------------------------------------------------

using Nest = graph::BroadcastNestN;
constexpr size_t kMaxOperands = 3;

// Operand offsets of outer row r (the row's index split over the outer axes).
void rowOffsets(const Nest& bc, int64_t r, int64_t* off) {
    const size_t n = bc.st.size();
    for (size_t i = 0; i < n; ++i) off[i] = 0;
    for (size_t k = bc.dims.size() - 1; k-- > 0;) {
        const int64_t c = r % bc.dims[k];
        r /= bc.dims[k];
        for (size_t i = 0; i < n; ++i) off[i] += c * bc.st[i][k];
    }
}

// Calls run(off, y0, count) for every piece of the output: y0 its first output index, off[i]
// operand i's offset there. Rows run on the pool in blocks; a few long rows (same shape,
// scalar operand) are cut into pieces instead.
template <class Run>
void forEachRun(const Nest& bc, KernelContext& ctx, Run run) {
    const size_t n = bc.st.size();
    const int64_t rows = product(bc.dims, 0, bc.dims.size() - 1), inner = bc.dims.back();
    if (rows * inner == 0) return;
    if (rows < 2 * ctx.pool.size() && inner >= 8192) {
        for (int64_t r = 0; r < rows; ++r) {
            std::array<int64_t, kMaxOperands> off{};
            rowOffsets(bc, r, off.data());
            ctx.pool.parallelFor(inner, 4096, [&](int64_t s, int64_t e, int) {
                std::array<int64_t, kMaxOperands> o{};
                for (size_t i = 0; i < n; ++i) o[i] = off[i] + s * bc.st[i].back();
                run(o.data(), r * inner + s, e - s);
            });
        }
        return;
    }
    auto range = [&](int64_t r0, int64_t r1, int) {
        std::array<int64_t, kMaxOperands> off{};
        for (int64_t r = r0; r < r1; ++r) {
            rowOffsets(bc, r, off.data());
            run(off.data(), r * inner, inner);
        }
    };
    if (rows * inner < 32 * 1024) range(0, rows, 0);
    else ctx.pool.parallelFor(rows, std::max<int64_t>(1, 4096 / inner), range);
}

// One inner run, specialised on which operand is repeated so each loop vectorises; a == y
// (a variadic op's running result) has its own loop, which the compiler need not guard
// against overlap.
template <class Op>
inline void runRow(const Op& op, const float* a, int64_t ia, const float* b, int64_t ib, float* y, int64_t n) {
    if (a == y && ia == 1) {
        if (ib == 1) {
            for (int64_t i = 0; i < n; ++i) y[i] = op(y[i], b[i]);
        } else {
            const float bv = b[0];
            for (int64_t i = 0; i < n; ++i) y[i] = op(y[i], bv);
        }
    } else if (ia == 1 && ib == 1) {
        for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
    } else if (ia == 0 && ib == 1) {
        const float av = a[0];
        for (int64_t i = 0; i < n; ++i) y[i] = op(av, b[i]);
    } else if (ia == 1 && ib == 0) {
        const float bv = b[0];
        for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], bv);
    } else {
        for (int64_t i = 0; i < n; ++i) y[i] = op(a[i * ia], b[i * ib]);
    }
}

const char* algoOf(const Nest& bc) {
    const auto zeroInner = [&] {
        for (const auto& s : bc.st)
            if (s.back() == 0) return true;
        return false;
    };
    if (bc.dims.size() == 1) return zeroInner() ? "scalar" : "same-shape";
    if (bc.dims.size() <= 3 && zeroInner()) return "per-channel";
    return "broadcast";
}

// What every kernel here shares: the node's operands (integer constants converted to floats,
// since they reach run() as nullptr) and its fused activation.
class PointwiseBase : public Kernel {
protected:
    PointwiseBase(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) : act_(n.act), activate_(activationFn(cfg.simd)) {
        owned_.resize(n.inputs.size());
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            const graph::Value& v = g.value(n.inputs[k]);
            if (v.constant && v.constant->dtype != graph::DType::Float32) owned_[k] = v.constant->asFloats();
        }
    }
    const float* operand(const float* const* inputs, size_t k) const { return owned_[k].empty() ? inputs[k] : owned_[k].data(); }
    void finish(float* y, int64_t n) const {
        if (act_.any()) activate_(act_, y, y, n);
    }

    graph::FusedActivation act_;
    ActivateFn activate_;

private:
    std::vector<std::vector<float>> owned_;
};

// y = op(a, b).
template <class Op>
class BinaryKernel final : public PointwiseBase {
public:
    BinaryKernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg, Nest bc, Op op)
        : PointwiseBase(g, n, cfg), bc_(std::move(bc)), op_(op) {}
    const char* algo() const override { return algoOf(bc_); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* a = operand(inputs, 0);
        const float* b = operand(inputs, 1);
        float* y = outputs[0];
        const int64_t ia = bc_.st[0].back(), ib = bc_.st[1].back();
        forEachRun(bc_, ctx, [&](const int64_t* off, int64_t y0, int64_t cnt) {
            runRow(op_, a + off[0], ia, b + off[1], ib, y + y0, cnt);
            finish(y + y0, cnt);
        });
    }

private:
    Nest bc_;
    Op op_;
};

// y = last(step(...step(x0, x1)..., x[n-2]), x[n-1]): Sum, Mean, Min, Max of 2+ inputs.
template <class Step, class Last>
class VariadicKernel final : public PointwiseBase {
public:
    VariadicKernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg, Step step, Last last)
        : PointwiseBase(g, n, cfg), step_(step), last_(last) {
        const Shape& y = outShape(g, n);
        nests_.push_back(graph::planBroadcastN({inShape(g, n, 0), inShape(g, n, 1)}, y));
        for (size_t k = 2; k < n.inputs.size(); ++k) nests_.push_back(graph::planBroadcastN({y, inShape(g, n, k)}, y));
    }
    const char* algo() const override { return algoOf(nests_.back()); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        float* y = outputs[0];
        for (size_t s = 0; s < nests_.size(); ++s) {
            const Nest& bc = nests_[s];
            const float* a = s == 0 ? operand(inputs, 0) : y;
            const float* b = operand(inputs, s + 1);
            const int64_t ia = bc.st[0].back(), ib = bc.st[1].back();
            const bool lastStep = s + 1 == nests_.size();
            forEachRun(bc, ctx, [&](const int64_t* off, int64_t y0, int64_t cnt) {
                if (!lastStep) {
                    runRow(step_, a + off[0], ia, b + off[1], ib, y + y0, cnt);
                    return;
                }
                runRow(last_, a + off[0], ia, b + off[1], ib, y + y0, cnt);
                finish(y + y0, cnt);
            });
        }
    }

private:
    std::vector<Nest> nests_;
    Step step_;
    Last last_;
};

// y = cond ? x : z.
class WhereKernel final : public PointwiseBase {
public:
    WhereKernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg)
        : PointwiseBase(g, n, cfg), bc_(graph::planBroadcastN({inShape(g, n, 0), inShape(g, n, 1), inShape(g, n, 2)}, outShape(g, n))) {}
    const char* algo() const override { return algoOf(bc_); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* c = operand(inputs, 0);
        const float* x = operand(inputs, 1);
        const float* z = operand(inputs, 2);
        float* y = outputs[0];
        const int64_t ic = bc_.st[0].back(), ix = bc_.st[1].back(), iz = bc_.st[2].back();
        forEachRun(bc_, ctx, [&](const int64_t* off, int64_t y0, int64_t cnt) {
            const float *cr = c + off[0], *xr = x + off[1], *zr = z + off[2];
            float* yr = y + y0;
            for (int64_t i = 0; i < cnt; ++i) yr[i] = cr[i * ic] != 0.0f ? xr[i * ix] : zr[i * iz];
            finish(yr, cnt);
        });
    }

private:
    Nest bc_;
};

// One input: Sum, Mean, Min, Max of it are the input itself.
class CopyOneKernel final : public PointwiseBase {
public:
    CopyOneKernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg)
        : PointwiseBase(g, n, cfg), count_(elementCount(outShape(g, n))) {}
    const char* algo() const override { return "copy"; }
    void run(const float* const* inputs, float* const* outputs, KernelContext&) override {
        activate_(act_, operand(inputs, 0), outputs[0], count_);
    }

private:
    int64_t count_;
};

template <class Op>
std::unique_ptr<Kernel> binary(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg, Op op = Op{}) {
    return std::make_unique<BinaryKernel<Op>>(g, n, cfg, graph::planBroadcastN({inShape(g, n, 0), inShape(g, n, 1)}, outShape(g, n)), op);
}

template <class Step, class Last = Step>
std::unique_ptr<Kernel> variadic(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg, Last last = Last{}) {
    if (n.inputs.size() == 1) return std::make_unique<CopyOneKernel>(g, n, cfg);
    return std::make_unique<VariadicKernel<Step, Last>>(g, n, cfg, Step{}, last);
}

// Pow's exponent when it is one constant value.
bool constantScalar(const graph::Graph& g, const graph::Node& n, size_t k, float& v) {
    const graph::Value& c = g.value(n.inputs.at(k));
    if (!c.constant || c.constant->count() != 1) return false;
    v = c.constant->asFloats()[0];
    return true;
}

}  // namespace

std::unique_ptr<Kernel> makeEltwise(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& y = outShape(g, n);
    for (size_t k = 0; k < n.inputs.size(); ++k)
        if (inShape(g, n, k).size() > y.size()) fail(n, "operand rank exceeds the output's");
    switch (n.op) {
        case OpKind::Add: return binary<Add>(g, n, cfg);
        case OpKind::Sub: return binary<Sub>(g, n, cfg);
        case OpKind::Mul: return binary<Mul>(g, n, cfg);
        case OpKind::Div: return binary<Div>(g, n, cfg);
        case OpKind::Pow: {
            float e = 0.0f;
            if (constantScalar(g, n, 1, e) && e == 2.0f) return binary<Square>(g, n, cfg);
            return binary<Pow>(g, n, cfg);
        }
        case OpKind::Mod: return binary<Fmod>(g, n, cfg);  // fmod=1: checked by inferMod
        case OpKind::PRelu: return binary<PRelu>(g, n, cfg);
        case OpKind::Equal: return binary<Equal>(g, n, cfg);
        case OpKind::Less: return binary<Less>(g, n, cfg);
        case OpKind::LessOrEqual: return binary<LessOrEqual>(g, n, cfg);
        case OpKind::Greater: return binary<Greater>(g, n, cfg);
        case OpKind::GreaterOrEqual: return binary<GreaterOrEqual>(g, n, cfg);
        case OpKind::And: return binary<And>(g, n, cfg);
        case OpKind::Or: return binary<Or>(g, n, cfg);
        case OpKind::Xor: return binary<Xor>(g, n, cfg);
        case OpKind::Sum: return variadic<Add>(g, n, cfg);
        case OpKind::Mean: return variadic<Add, AddDiv>(g, n, cfg, AddDiv{static_cast<float>(n.inputs.size())});
        case OpKind::Min: return variadic<Min>(g, n, cfg);
        case OpKind::Max: return variadic<Max>(g, n, cfg);
        case OpKind::Where: return std::make_unique<WhereKernel>(g, n, cfg);
        default: fail(n, "is not a pointwise op of several inputs");
    }
}

}  // namespace percept::cpu
