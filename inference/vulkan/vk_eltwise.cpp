// SPDX-License-Identifier: Apache-2.0
// The pointwise ops of two or more inputs with numpy broadcasting (shaders/eltwise.comp,
// shaders/where.comp), walking the loop nest graph::planBroadcastN merges (the CPU kernel's
// too): a few axes with per-operand strides (0 = repeated). A variadic op (Sum, Mean, Min,
// Max) is a chain of binary dispatches over the output, as on the CPU: the first broadcasts
// its two inputs into the output's shape, each later one folds one more input in place.
#include "graph/loop_nest.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

using graph::OpKind;

// The shader's OP_* codes (shaders/eltwise.comp).
enum EltOp : uint32_t {
    kAdd = 0, kSub, kMul, kDiv, kPow, kSquare, kFmod, kPRelu, kMin, kMax, kAddDiv,
    kEqual, kLess, kLessEqual, kGreater, kGreaterEqual, kAnd, kOr, kXor,
};

constexpr size_t kMaxDims = 6;

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

// Node input k as the shaders read it: integer and boolean constants (held as integers on
// the host and consumed nowhere else) uploaded as floats, like values computed at run time.
TensorRef operand(Builder& b, size_t k) {
    const graph::Value& v = b.graph().value(b.node().inputs.at(k));
    if (v.constant && v.constant->dtype != graph::DType::Float32) return b.weights(v.constant->asFloats());
    return b.input(k);
}

graph::BroadcastNestN plan(Builder& b, const std::vector<Shape>& operands, const Shape& out) {
    for (const Shape& s : operands)
        if (s.size() > out.size()) b.fail("operand rank exceeds the output's");
    graph::BroadcastNestN nest = graph::planBroadcastN(operands, out);
    if (nest.dims.size() > kMaxDims) b.fail("broadcasts over more than 6 (merged) axes are not supported");
    return nest;
}

void setAlgo(Builder& b, const graph::BroadcastNestN& nest) {
    bool zeroInner = false;
    for (const auto& s : nest.st) zeroInner = zeroInner || s.back() == 0;
    if (nest.dims.size() == 1) b.setAlgo(zeroInner ? "scalar" : "same-shape");
    else if (nest.dims.size() <= 3 && zeroInner) b.setAlgo("per-channel");
    else b.setAlgo("broadcast");
}

// One dispatch of eltwise.comp: y = act(op(a, bb)) over `out`.
void binaryStep(Builder& b, uint32_t op, const TensorRef& a, const Shape& as, const TensorRef& bb, const Shape& bs, const TensorRef& y,
                const Shape& out, const graph::FusedActivation& act, float param = 0.0f) {
    const graph::BroadcastNestN nest = plan(b, {as, bs}, out);
    setAlgo(b, nest);
    struct Push {
        uint32_t count, rank;
        uint32_t dims[kMaxDims];
        uint32_t sa[kMaxDims];
        uint32_t sb[kMaxDims];
        float actA, actB;
        float param;
    } push{};
    const int64_t count = elementCount(out);
    if (count == 0) return;
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(nest.dims.size());
    for (size_t k = 0; k < nest.dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(nest.dims[k]);
        push.sa[k] = static_cast<uint32_t>(nest.st[0][k]);
        push.sb[k] = static_cast<uint32_t>(nest.st[1][k]);
    }
    const ActParams ap = activationParams(act);
    push.actA = ap.a;
    push.actB = ap.b;
    push.param = param;
    const bool same = nest.dims.size() == 1 && nest.st[0][0] == 1 && nest.st[1][0] == 1;
    b.dispatch(b.pipeline("eltwise", "sss", {op, activationCode(act.kind), same ? 1u : 0u}), {a, bb, y}, 0b100, push,
               strideGroups(static_cast<uint64_t>(count)));
}

uint32_t binaryOp(Builder& b, const graph::Graph& g, const graph::Node& n) {
    switch (n.op) {
        case OpKind::Add: return kAdd;
        case OpKind::Sub: return kSub;
        case OpKind::Mul: return kMul;
        case OpKind::Div: return kDiv;
        case OpKind::Pow: {
            // The constant exponent 2 (LayerNorm's variance, x ** 2): one multiply, as on the CPU.
            const graph::Value& e = g.value(n.inputs.at(1));
            return e.constant && e.constant->count() == 1 && e.constant->asFloats()[0] == 2.0f ? kSquare : kPow;
        }
        case OpKind::Mod: return kFmod;  // fmod=1: checked by inferMod
        case OpKind::PRelu: return kPRelu;
        case OpKind::Equal: return kEqual;
        case OpKind::Less: return kLess;
        case OpKind::LessOrEqual: return kLessEqual;
        case OpKind::Greater: return kGreater;
        case OpKind::GreaterOrEqual: return kGreaterEqual;
        case OpKind::And: return kAnd;
        case OpKind::Or: return kOr;
        case OpKind::Xor: return kXor;
        default: b.fail("is not a pointwise op of two inputs");
    }
}

void buildVariadic(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& out = g.shapeOf(n.outputs.at(0));
    const TensorRef y = b.output(0);
    if (n.inputs.size() == 1) {  // Sum, Mean, Min, Max of one input: the input
        b.setAlgo("copy");
        emitUnary(b, operand(b, 0), y, static_cast<uint64_t>(elementCount(out)), n.act, graph::FusedActivation{});
        return;
    }
    const uint32_t step = n.op == OpKind::Min ? kMin : n.op == OpKind::Max ? kMax : kAdd;
    const uint32_t last = n.op == OpKind::Mean ? kAddDiv : step;
    const float divisor = static_cast<float>(n.inputs.size());
    const size_t steps = n.inputs.size() - 1;
    for (size_t s = 0; s < steps; ++s) {
        const bool isLast = s + 1 == steps;
        const TensorRef a = s == 0 ? operand(b, 0) : y;
        const Shape& as = s == 0 ? g.shapeOf(n.inputs[0]) : out;
        binaryStep(b, isLast ? last : step, a, as, operand(b, s + 1), g.shapeOf(n.inputs[s + 1]), y, out,
                   isLast ? n.act : graph::FusedActivation{}, divisor);
    }
}

}  // namespace

void buildEltwise(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    if (n.op == OpKind::Sum || n.op == OpKind::Mean || n.op == OpKind::Min || n.op == OpKind::Max) return buildVariadic(b);
    const uint32_t op = binaryOp(b, g, n);
    binaryStep(b, op, operand(b, 0), g.shapeOf(n.inputs.at(0)), operand(b, 1), g.shapeOf(n.inputs.at(1)), b.output(0),
               g.shapeOf(n.outputs.at(0)), n.act);
}

void buildWhere(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& out = g.shapeOf(n.outputs.at(0));
    const graph::BroadcastNestN nest = plan(b, {g.shapeOf(n.inputs.at(0)), g.shapeOf(n.inputs.at(1)), g.shapeOf(n.inputs.at(2))}, out);
    setAlgo(b, nest);
    struct Push {
        uint32_t count, rank;
        uint32_t dims[kMaxDims];
        uint32_t sc[kMaxDims];
        uint32_t sx[kMaxDims];
        uint32_t sz[kMaxDims];
        float actA, actB;
    } push{};
    const int64_t count = elementCount(out);
    if (count == 0) return;
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(nest.dims.size());
    for (size_t k = 0; k < nest.dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(nest.dims[k]);
        push.sc[k] = static_cast<uint32_t>(nest.st[0][k]);
        push.sx[k] = static_cast<uint32_t>(nest.st[1][k]);
        push.sz[k] = static_cast<uint32_t>(nest.st[2][k]);
    }
    const ActParams ap = activationParams(n.act);
    push.actA = ap.a;
    push.actB = ap.b;
    b.dispatch(b.pipeline("where", "ssss", {activationCode(n.act.kind)}), {operand(b, 0), operand(b, 1), operand(b, 2), b.output(0)}, 0b1000,
               push, strideGroups(static_cast<uint64_t>(count)));
}

}  // namespace percept::vk
