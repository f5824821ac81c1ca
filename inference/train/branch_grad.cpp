// SPDX-License-Identifier: Apache-2.0
#include "train/branch_grad.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "graph/schemas.h"
#include "graph/window.h"
#include "percept/error.h"

namespace percept::train {
namespace {

using graph::Activation;
using graph::OpKind;

[[noreturn]] void refuse(const graph::Node& n, const std::string& why) { throw Error(n.describe() + ": " + why + " (teaching)"); }

std::vector<int64_t> iota(int64_t from, int64_t to) {
    std::vector<int64_t> v;
    for (int64_t k = from; k < to; ++k) v.push_back(k);
    return v;
}

}  // namespace

Branch::Branch(GraphWriter& w, const graph::Graph& base, const Plan& plan, int64_t batch) : w_(w), g_(base), plan_(plan), B_(batch) {}

const Layer* Branch::layerAt(size_t node) const {
    for (const Layer& l : plan_.layers)
        if (l.node == node) return &l;
    return nullptr;
}

int Branch::valueOf(int baseValue) {
    auto it = val_.find(baseValue);
    if (it != val_.end()) return it->second;
    const graph::Value& v = g_.value(baseValue);
    if (!v.constant || v.dtype != graph::DType::Float32) throw Error("internal error: the branch reads '" + v.name + "' before it is computed");
    const int id = w_.constant(v.name, Tensor(v.shape, v.constant->f));
    val_[baseValue] = id;
    return id;
}

bool Branch::wantsGrad(int baseValue) const {
    if (baseValue < 0 || g_.value(baseValue).constant) return false;
    return baseValue != plan_.cut || cutGradient_;
}

void Branch::addGrad(int baseValue, int g) {
    auto it = grad_.find(baseValue);
    if (it == grad_.end()) grad_[baseValue] = g;
    else it->second = w_.add(it->second, g);
}

// The one-hot weights whose grouped Conv (group C) is im2col and whose ConvTranspose is col2im:
// output channel c * taps + t copies tap t of input channel c.
Tensor Branch::oneHot(int64_t C, int64_t taps, const Shape& kernel) const {
    Shape s = {C * taps, 1};
    s.insert(s.end(), kernel.begin(), kernel.end());
    Tensor t(s);
    for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < taps; ++k) t.data[static_cast<size_t>((c * taps + k) * taps + k)] = 1.0f;
    return t;
}

int Branch::forward(int x, const std::vector<int>& params) {
    val_[plan_.cut] = x;
    for (size_t k : plan_.nodes) {
        const graph::Node& n = g_.nodes[k];
        if (n.outputs.size() != 1) refuse(n, "ops with several outputs are not supported");
        Saved saved;
        int y;
        if (const Layer* layer = layerAt(k)) {
            const int in = valueOf(n.inputs[0]);
            y = n.op == OpKind::Conv ? convForward(k, *layer, in, params, saved) : linearForward(*layer, in, params, saved);
        } else {
            y = plainForward(k, saved);
        }
        if (n.act.any() && !graph::activationOf(n) && !plan_.dropsActivation(k)) {
            saved.z = y;
            y = w_.activation(n.act, y);
        }
        const Shape want = plan_.branchShape(g_, n.outputs[0], B_);
        if (w_.shape(y) != want)
            refuse(n, "its output would be " + shapeToString(w_.shape(y)) + " for a batch, expected " + shapeToString(want) +
                          " (an op that mixes the batch axis)");
        val_[n.outputs[0]] = y;
        saved_[k] = saved;
    }
    return val_.at(plan_.logits);
}

int Branch::convForward(size_t node, const Layer& layer, int x, const std::vector<int>& params, Saved& saved) {
    const graph::Node& n = g_.nodes[node];
    const Shape& xs = w_.shape(x);
    const graph::Spatial3 s = graph::spatial3(n, g_.shapeOf(n.inputs[0]), g_.shapeOf(n.outputs[0]));
    const Shape& ws = plan_.params[static_cast<size_t>(layer.weight)].value.shape;
    const int64_t G = n.attrInt("group", 1), C = xs[1], M = ws[0], taps = s.taps(), P = s.outPlane();
    const int64_t Cg = C / G, Mg = M / G, K = Cg * taps;
    if (M % G) refuse(n, "the new classes (" + std::to_string(M) + ") are not a multiple of the group count");
    Shape out = {B_, M};
    for (size_t a = 2; a < xs.size(); ++a) out.push_back(g_.shapeOf(n.outputs[0])[a]);
    bool pointwise = taps == 1;
    for (int a = 0; a < 3; ++a) pointwise = pointwise && s.stride[a] == 1 && s.padBegin[a] == 0 && s.padEnd[a] == 0;
    saved.pointwise = pointwise;
    int col = x;
    if (!pointwise) {
        Shape colShape = {B_, C * taps};
        colShape.insert(colShape.end(), out.begin() + 2, out.end());
        col = w_.conv(OpKind::Conv, x, oneHot(C, taps, Shape(ws.begin() + 2, ws.end())), n, C, colShape);
    }
    saved.colg = w_.reshape(col, {B_, G, K, P});
    saved.weights = w_.reshape(params[static_cast<size_t>(layer.weight)], {G, Mg, K});
    int z = w_.reshape(w_.matmul(saved.weights, saved.colg), out);
    if (layer.bias >= 0) {
        Shape bs = {M};
        for (size_t a = 2; a < out.size(); ++a) bs.push_back(1);
        z = w_.add(z, w_.reshape(params[static_cast<size_t>(layer.bias)], bs));
    }
    return z;
}

int Branch::linearForward(const Layer& layer, int x, const std::vector<int>& params, Saved& saved) {
    const graph::Node& n = g_.nodes[layer.node];
    if (w_.shape(x).size() != 2) refuse(n, "only a 2-D input [batch, features] can be trained");
    saved.colg = x;
    saved.weights = params[static_cast<size_t>(layer.weight)];
    int z = w_.matmul(x, layer.transB ? w_.transpose(saved.weights, {1, 0}) : saved.weights);
    if (layer.bias >= 0) z = w_.add(z, params[static_cast<size_t>(layer.bias)]);
    return z;
}

int Branch::plainForward(size_t node, Saved&) {
    const graph::Node& n = g_.nodes[node];
    const int out = n.outputs[0];
    switch (n.op) {
        case OpKind::GlobalAveragePool: return w_.globalAveragePool(valueOf(n.inputs[0]));
        case OpKind::Reshape:
        case OpKind::Flatten:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze: return w_.reshape(valueOf(n.inputs[0]), plan_.branchShape(g_, out, B_));
        case OpKind::Add:
        case OpKind::Sub:
        case OpKind::Mul: return w_.binary(n.op, valueOf(n.inputs[0]), valueOf(n.inputs[1]));
        case OpKind::Concat: {
            const int64_t axis = n.attrInt("axis", 1);
            if (axis == 0) refuse(n, "a Concat along the batch axis cannot be trained");
            std::vector<int> xs;
            for (int v : n.inputs) xs.push_back(valueOf(v));
            return w_.concat(xs, axis);
        }
        default: break;
    }
    if (const auto act = graph::activationOf(n)) {
        if (plan_.dropsActivation(node)) return valueOf(n.inputs[0]);
        switch (act->kind) {
            case Activation::Relu:
            case Activation::Clip:
            case Activation::LeakyRelu:
            case Activation::HardSigmoid:
            case Activation::HardSwish:
            case Activation::Sigmoid:
            case Activation::Silu: return w_.activation(*act, valueOf(n.inputs[0]));
            default: break;
        }
    }
    refuse(n, std::string("no gradient for ") + n.opName() + " in Percept");
}

Branch::Gradients Branch::backward(int dScores, bool cutGradient) {
    cutGradient_ = cutGradient;
    paramGrads_.assign(plan_.params.size(), -1);
    grad_[plan_.logits] = dScores;
    for (size_t i = plan_.nodes.size(); i-- > 0;) {
        const size_t k = plan_.nodes[i];
        const graph::Node& n = g_.nodes[k];
        auto it = grad_.find(n.outputs[0]);
        if (it == grad_.end()) continue;  // nothing downstream reads it
        int dy = it->second;
        const Saved& saved = saved_.at(k);
        if (saved.z >= 0) dy = activationGrad(n.act, saved.z, dy);
        if (const Layer* layer = layerAt(k)) {
            if (n.op == OpKind::Conv) convBackward(k, *layer, dy, saved, wantsGrad(n.inputs[0]));
            else linearBackward(k, *layer, dy, saved, wantsGrad(n.inputs[0]));
        } else {
            plainBackward(k, dy);
        }
    }
    Gradients out;
    out.params = paramGrads_;
    if (cutGradient) {
        auto it = grad_.find(plan_.cut);
        if (it != grad_.end()) out.cut = it->second;
    }
    return out;
}

void Branch::convBackward(size_t node, const Layer& layer, int dz, const Saved& saved, bool wantInput) {
    const graph::Node& n = g_.nodes[node];
    const Shape& cs = w_.shape(saved.colg);  // [B, G, K, P]
    const Shape& ws = w_.shape(saved.weights);  // [G, Mg, K]
    const int64_t G = cs[1], K = cs[2], P = cs[3], Mg = ws[1];
    const Shape& zs = w_.shape(dz);
    if (layer.bias >= 0) {
        std::vector<int64_t> axes = iota(2, static_cast<int64_t>(zs.size()));
        axes.insert(axes.begin(), 0);  // every axis but the channels
        paramGrads_[static_cast<size_t>(layer.bias)] = w_.reduceSum(dz, axes, false);
    }
    const int dzg = w_.reshape(dz, {B_, G, Mg, P});
    // dW[g] = sum over the batch of dZ[b, g] col[b, g]^T: the batch folded into the reduction.
    const int dzt = w_.reshape(w_.transpose(dzg, {1, 2, 0, 3}), {G, Mg, B_ * P});
    const int colt = w_.reshape(w_.transpose(saved.colg, {1, 0, 3, 2}), {G, B_ * P, K});
    const Param& wp = plan_.params[static_cast<size_t>(layer.weight)];
    paramGrads_[static_cast<size_t>(layer.weight)] = w_.reshape(w_.matmul(dzt, colt), wp.value.shape);
    if (!wantInput) return;
    const int dcol = w_.matmul(w_.transpose(saved.weights, {0, 2, 1}), dzg);  // [B, G, K, P]
    const int x = n.inputs[0];
    const Shape xs = plan_.branchShape(g_, x, B_);
    if (saved.pointwise) {
        addGrad(x, w_.reshape(dcol, xs));
        return;
    }
    const int64_t C = xs[1], taps = K * G / C;
    Shape colShape = {B_, C * taps};
    const Shape& ys = w_.shape(dz);
    colShape.insert(colShape.end(), ys.begin() + 2, ys.end());
    addGrad(x, w_.conv(OpKind::ConvTranspose, w_.reshape(dcol, colShape), oneHot(C, taps, Shape(wp.value.shape.begin() + 2, wp.value.shape.end())), n, C, xs));
}

void Branch::linearBackward(size_t node, const Layer& layer, int dz, const Saved& saved, bool wantInput) {
    const graph::Node& n = g_.nodes[node];
    if (layer.bias >= 0) paramGrads_[static_cast<size_t>(layer.bias)] = w_.reduceSum(dz, {0}, false);
    const int a = saved.colg, wv = saved.weights;
    paramGrads_[static_cast<size_t>(layer.weight)] =
        layer.transB ? w_.matmul(w_.transpose(dz, {1, 0}), a) : w_.matmul(w_.transpose(a, {1, 0}), dz);
    if (wantInput) addGrad(n.inputs[0], w_.matmul(dz, layer.transB ? wv : w_.transpose(wv, {1, 0})));
}

void Branch::plainBackward(size_t node, int dy) {
    const graph::Node& n = g_.nodes[node];
    const int x0 = n.inputs.at(0);
    switch (n.op) {
        case OpKind::GlobalAveragePool: {
            if (!wantsGrad(x0)) return;
            const Shape& xs = w_.shape(val_.at(x0));
            const int64_t plane = elementCount(xs) / (xs[0] * xs[1]);
            addGrad(x0, w_.expand(w_.scale(dy, 1.0f / static_cast<float>(plane)), xs));
            return;
        }
        case OpKind::Reshape:
        case OpKind::Flatten:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze:
            if (wantsGrad(x0)) addGrad(x0, w_.reshape(dy, w_.shape(val_.at(x0))));
            return;
        case OpKind::Add:
        case OpKind::Sub:
        case OpKind::Mul: {
            for (size_t k = 0; k < 2; ++k) {
                const int v = n.inputs[k];
                if (!wantsGrad(v)) continue;
                int d = dy;
                if (n.op == OpKind::Mul) d = w_.mul(dy, valueOf(n.inputs[1 - k]));
                if (n.op == OpKind::Sub && k == 1) d = w_.unary(OpKind::Neg, d);
                addGrad(v, unbroadcast(d, w_.shape(val_.at(v))));
            }
            return;
        }
        case OpKind::Concat: {
            const int64_t axis = n.attrInt("axis", 1);
            int64_t at = 0;
            for (int v : n.inputs) {
                const int64_t len = w_.shape(val_.at(v))[static_cast<size_t>(axis)];
                if (wantsGrad(v)) addGrad(v, w_.slice(dy, axis, at, at + len));
                at += len;
            }
            return;
        }
        default: break;
    }
    // A standalone activation: its input is the pre-activation.
    if (!wantsGrad(x0)) return;
    addGrad(x0, plan_.dropsActivation(node) ? dy : activationGrad(*graph::activationOf(n), val_.at(x0), dy));
}

// dZ = dY * f'(Z). Where a function is flat (Relu below 0, Clip outside its range) the
// gradient is 0; at a kink, the side the ONNX function takes.
int Branch::activationGrad(const graph::FusedActivation& act, int z, int dy) {
    const int zero = w_.scalar(0.0f);
    auto inside = [&](float lo, float hi) {
        // lo < z < hi (an infinite bound is no condition).
        int c = -1;
        if (lo > -std::numeric_limits<float>::infinity()) c = w_.compare(OpKind::Greater, z, lo);
        if (hi < std::numeric_limits<float>::infinity()) {
            const int upper = w_.compare(OpKind::Less, z, hi);
            c = c < 0 ? upper : w_.logicalAnd(c, upper);
        }
        return c;
    };
    switch (act.kind) {
        case Activation::None: return dy;
        case Activation::Relu: return w_.where(w_.compare(OpKind::Greater, z, 0.0f), dy, zero);
        case Activation::LeakyRelu: return w_.where(w_.compare(OpKind::Greater, z, 0.0f), dy, w_.scale(dy, act.alpha));
        case Activation::Clip: {
            const int c = inside(act.min, act.max);
            return c < 0 ? dy : w_.where(c, dy, zero);
        }
        case Activation::HardSigmoid: {
            if (act.alpha == 0.0f) return w_.scale(dy, 0.0f);
            const float a = -act.beta / act.alpha, b = (1.0f - act.beta) / act.alpha;
            return w_.where(inside(std::min(a, b), std::max(a, b)), w_.scale(dy, act.alpha), zero);
        }
        case Activation::HardSwish: {
            // d/dz z * hs(z) = hs(z) + z / 6 inside (-3, 3), hs = HardSigmoid(1/6, 1/2).
            graph::FusedActivation hs;
            hs.kind = Activation::HardSigmoid;
            hs.alpha = 1.0f / 6.0f;
            hs.beta = 0.5f;
            const int slope = w_.add(w_.activation(hs, z), w_.where(inside(-3.0f, 3.0f), w_.scale(z, 1.0f / 6.0f), zero));
            return w_.mul(dy, slope);
        }
        case Activation::Sigmoid: {
            const int s = w_.unary(OpKind::Sigmoid, z);
            return w_.mul(dy, w_.mul(s, w_.sub(w_.scalar(1.0f), s)));
        }
        case Activation::Silu: {
            // d/dz z s(z) = s (1 + z (1 - s)).
            const int s = w_.unary(OpKind::Sigmoid, z);
            const int one = w_.scalar(1.0f);
            return w_.mul(dy, w_.mul(s, w_.add(one, w_.mul(z, w_.sub(one, s)))));
        }
        default: throw Error(std::string("teaching: no gradient for the activation ") + graph::activationName(act.kind) + " in Percept");
    }
}

// Sums a gradient over the axes its operand was broadcast along, back to the operand's shape.
int Branch::unbroadcast(int d, const Shape& to) {
    const Shape& from = w_.shape(d);
    if (from == to) return d;
    const size_t lead = from.size() - to.size();
    std::vector<int64_t> axes;
    for (size_t a = 0; a < from.size(); ++a)
        if (a < lead || (to[a - lead] == 1 && from[a] != 1)) axes.push_back(static_cast<int64_t>(a));
    return w_.reshape(w_.reduceSum(d, axes, true), to);
}

}  // namespace percept::train
