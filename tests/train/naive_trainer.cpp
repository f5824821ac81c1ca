// SPDX-License-Identifier: Apache-2.0
#include "naive_trainer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "graph/schemas.h"
#include "graph/window.h"

namespace percept::naive {
namespace {

using graph::Activation;
using graph::OpKind;

double act(const graph::FusedActivation& a, double z) {
    switch (a.kind) {
        case Activation::None: return z;
        case Activation::Relu: return z > 0 ? z : 0;
        case Activation::Clip: return std::min<double>(std::max<double>(z, a.min), a.max);
        case Activation::LeakyRelu: return z > 0 ? z : a.alpha * z;
        case Activation::HardSigmoid: return std::clamp(a.alpha * z + a.beta, 0.0, 1.0);
        case Activation::HardSwish: return z * std::clamp(z / 6.0 + 0.5, 0.0, 1.0);
        case Activation::Sigmoid: return 1.0 / (1.0 + std::exp(-z));
        case Activation::Silu: return z / (1.0 + std::exp(-z));
        default: throw std::runtime_error("naive trainer: no activation " + std::string(graph::activationName(a.kind)));
    }
}

double slope(const graph::FusedActivation& a, double z) {
    switch (a.kind) {
        case Activation::None: return 1;
        case Activation::Relu: return z > 0 ? 1 : 0;
        case Activation::Clip: return z > a.min && z < a.max ? 1 : 0;
        case Activation::LeakyRelu: return z > 0 ? 1 : a.alpha;
        case Activation::HardSigmoid: {
            const double y = a.alpha * z + a.beta;
            return y > 0 && y < 1 ? a.alpha : 0;
        }
        case Activation::HardSwish: return z <= -3 ? 0 : z >= 3 ? 1 : (2 * z + 3) / 6;
        case Activation::Sigmoid: {
            const double s = 1.0 / (1.0 + std::exp(-z));
            return s * (1 - s);
        }
        case Activation::Silu: {
            const double s = 1.0 / (1.0 + std::exp(-z));
            return s * (1 + z * (1 - s));
        }
        default: throw std::runtime_error("naive trainer: no activation slope");
    }
}

// Every tap of a 2-D conv whose window lies in the image (x [B, C, H, W] -> y [B, M, OH, OW]):
// fn(yi, xi, wi) with the flat indices of the output, the input and the weight it links.
template <class Fn>
void forEachConvTap(const graph::Node& n, const Shape& x, const Shape& y, const graph::Spatial3& s, Fn fn) {
    const int64_t B = x[0], C = x[1], H = x[2], W = x[3], M = y[1], OH = y[2], OW = y[3];
    const int64_t G = n.attrInt("group", 1), Cg = C / G, Mg = M / G, kh = s.kernel[1], kw = s.kernel[2];
    for (int64_t b = 0; b < B; ++b)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox)
                    for (int64_t c = 0; c < Cg; ++c)
                        for (int64_t ky = 0; ky < kh; ++ky)
                            for (int64_t kx = 0; kx < kw; ++kx) {
                                const int64_t iy = oy * s.stride[1] - s.padBegin[1] + ky * s.dilation[1];
                                const int64_t ix = ox * s.stride[2] - s.padBegin[2] + kx * s.dilation[2];
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                fn(static_cast<size_t>(((b * M + m) * OH + oy) * OW + ox), static_cast<size_t>(((b * C + m / Mg * Cg + c) * H + iy) * W + ix),
                                   static_cast<size_t>(((m * Cg + c) * kh + ky) * kw + kx));
                            }
}

const train::Layer* layerAt(const train::Plan& plan, size_t node) {
    for (const train::Layer& l : plan.layers)
        if (l.node == node) return &l;
    return nullptr;
}

}  // namespace

NaiveTrainer::NaiveTrainer(const graph::Graph& g, const train::Plan& plan, bool extend, Hyper hyper) : g_(g), plan_(plan), extend_(extend), h_(hyper) {
    for (const train::Param& p : plan.params) {
        params_.push_back(p.value);
        m_.emplace_back(p.value.shape);
        v_.emplace_back(p.value.shape);
    }
}

size_t NaiveTrainer::activationBytes() const {
    size_t n = 0;
    for (const auto* bufs : {&val_, &pre_, &grad_})
        for (const Buf& b : *bufs) n += b.v.size() * sizeof(double);
    return n;
}

Shape NaiveTrainer::shapeOf(int value) const { return plan_.branchShape(g_, value, B_); }

NaiveTrainer::Buf& NaiveTrainer::grad(int value) {
    Buf& b = grad_[static_cast<size_t>(value)];
    if (b.v.empty()) {
        b.shape = shapeOf(value);
        b.v.assign(static_cast<size_t>(elementCount(b.shape)), 0.0);
    }
    return b;
}

double NaiveTrainer::step(int64_t B, const std::vector<float>& x, const std::vector<float>& base, const std::vector<float>& target,
                          const std::vector<float>& weight, float lr, float lrDecay) {
    B_ = B;
    const size_t nv = g_.values.size();
    val_.assign(nv, {});
    pre_.assign(nv, {});
    grad_.assign(nv, {});
    pgrad_.clear();
    for (const Tensor& p : params_) pgrad_.emplace_back(p.data.size(), 0.0);
    Buf& in = val_[static_cast<size_t>(plan_.cut)];
    in.shape = shapeOf(plan_.cut);
    in.v.assign(x.begin(), x.end());
    for (size_t k : plan_.nodes) forwardNode(k);

    // Softmax cross-entropy over [base scores, new scores] (extend) or the new scores.
    const Buf& out = val_[static_cast<size_t>(plan_.logits)];
    const int64_t K = plan_.classes, N0 = extend_ ? plan_.baseClasses : 0, Nt = N0 + K;
    Buf& dOut = grad(plan_.logits);
    double loss = 0.0;
    for (int64_t b = 0; b < B; ++b) {
        std::vector<double> z(static_cast<size_t>(Nt));
        for (int64_t j = 0; j < N0; ++j) z[static_cast<size_t>(j)] = base[static_cast<size_t>(b * N0 + j)];
        for (int64_t j = 0; j < K; ++j) z[static_cast<size_t>(N0 + j)] = out.v[static_cast<size_t>(b * K + j)];
        const double m = *std::max_element(z.begin(), z.end());
        double sum = 0.0;
        for (double v : z) sum += std::exp(v - m);
        const double lse = m + std::log(sum);
        for (int64_t j = 0; j < Nt; ++j) {
            const double t = target[static_cast<size_t>(b * Nt + j)];
            loss -= weight[static_cast<size_t>(b)] * t * (z[static_cast<size_t>(j)] - lse);
            if (j >= N0) dOut.v[static_cast<size_t>(b * K + j - N0)] = weight[static_cast<size_t>(b)] * (std::exp(z[static_cast<size_t>(j)] - lse) - t);
        }
    }
    for (size_t i = plan_.nodes.size(); i-- > 0;) backwardNode(plan_.nodes[i]);

    for (size_t k = 0; k < params_.size(); ++k) {
        std::vector<float>& p = params_[k].data;
        const bool decay = plan_.params[k].decay;
        for (size_t e = 0; e < p.size(); ++e) {
            const double g = pgrad_[k][e];
            if (h_.optimizer == train::Optimizer::Sgd) {
                const double v = h_.momentum * m_[k].data[e] + g + (decay ? lrDecay * p[e] : 0.0);
                m_[k].data[e] = static_cast<float>(v);
                p[e] = static_cast<float>(p[e] - lr * v);
            } else {
                const double mm = h_.beta1 * m_[k].data[e] + (1 - h_.beta1) * g;
                const double vv = h_.beta2 * v_[k].data[e] + (1 - h_.beta2) * g * g;
                m_[k].data[e] = static_cast<float>(mm);
                v_[k].data[e] = static_cast<float>(vv);
                p[e] = static_cast<float>(p[e] - (lr * mm / (std::sqrt(vv) + h_.epsilon) + (decay ? lrDecay * p[e] : 0.0)));
            }
        }
    }
    return loss;
}

void NaiveTrainer::forwardNode(size_t k) {
    const graph::Node& n = g_.nodes[k];
    const int xv = n.inputs.at(0), yv = n.outputs.at(0);
    Buf y;
    y.shape = shapeOf(yv);
    y.v.assign(static_cast<size_t>(elementCount(y.shape)), 0.0);
    const Buf& x = val_[static_cast<size_t>(xv)];
    const auto unary = graph::activationOf(n);
    if (const train::Layer* l = layerAt(plan_, k)) {
        const std::vector<float>& w = params_[static_cast<size_t>(l->weight)].data;
        const std::vector<float>* bias = l->bias >= 0 ? &params_[static_cast<size_t>(l->bias)].data : nullptr;
        if (n.op == OpKind::Conv) {
            if (x.shape.size() != 4) throw std::runtime_error("naive trainer: 2-D convs only");
            const graph::Spatial3 s = graph::spatial3(n, g_.shapeOf(xv), g_.shapeOf(yv));
            const int64_t M = y.shape[1], plane = y.shape[2] * y.shape[3];
            for (size_t i = 0; i < y.v.size(); ++i) y.v[i] = bias ? (*bias)[static_cast<size_t>(static_cast<int64_t>(i) / plane % M)] : 0.0;
            forEachConvTap(n, x.shape, y.shape, s, [&](size_t yi, size_t xi, size_t wi) { y.v[yi] += w[wi] * x.v[xi]; });
        } else {
            const int64_t Kf = x.shape[1], N = y.shape[1];
            for (int64_t b = 0; b < B_; ++b)
                for (int64_t j = 0; j < N; ++j) {
                    double acc = bias ? (*bias)[static_cast<size_t>(j)] : 0.0;
                    for (int64_t i = 0; i < Kf; ++i)
                        acc += x.v[static_cast<size_t>(b * Kf + i)] * w[static_cast<size_t>(l->transB ? j * Kf + i : i * N + j)];
                    y.v[static_cast<size_t>(b * N + j)] = acc;
                }
        }
    } else if (n.op == OpKind::GlobalAveragePool) {
        const int64_t plane = elementCount(x.shape) / (x.shape[0] * x.shape[1]);
        for (size_t i = 0; i < y.v.size(); ++i) {
            double acc = 0.0;
            for (int64_t p = 0; p < plane; ++p) acc += x.v[i * static_cast<size_t>(plane) + static_cast<size_t>(p)];
            y.v[i] = acc / static_cast<double>(plane);
        }
    } else if (n.op == OpKind::Reshape || n.op == OpKind::Flatten || n.op == OpKind::Squeeze || n.op == OpKind::Unsqueeze) {
        y.v = x.v;
    } else if (n.op == OpKind::Add) {
        const Buf& x1 = val_[static_cast<size_t>(n.inputs.at(1))];
        if (x1.v.size() != x.v.size()) throw std::runtime_error("naive trainer: Add of two values of one shape only");
        for (size_t i = 0; i < y.v.size(); ++i) y.v[i] = x.v[i] + x1.v[i];
    } else if (n.op == OpKind::Concat && n.attrInt("axis", 1) == 1) {
        const int64_t inner = elementCount(y.shape) / (y.shape[0] * y.shape[1]);
        int64_t at = 0;
        for (int v : n.inputs) {
            const Buf& p = val_[static_cast<size_t>(v)];
            const int64_t C = p.shape[1];
            for (int64_t b = 0; b < B_; ++b)
                std::copy(p.v.begin() + b * C * inner, p.v.begin() + (b + 1) * C * inner, y.v.begin() + (b * y.shape[1] + at) * inner);
            at += C;
        }
    } else if (unary && plan_.dropsActivation(k)) {
        y.v = x.v;
    } else if (unary) {
        pre_[static_cast<size_t>(yv)] = x;
        for (size_t i = 0; i < y.v.size(); ++i) y.v[i] = act(*unary, x.v[i]);
    } else {
        throw std::runtime_error("naive trainer: no forward for " + n.describe());
    }
    if (n.act.any() && !unary && !plan_.dropsActivation(k)) {
        pre_[static_cast<size_t>(yv)] = y;
        for (double& v : y.v) v = act(n.act, v);
    }
    val_[static_cast<size_t>(yv)] = std::move(y);
}

void NaiveTrainer::backwardNode(size_t k) {
    const graph::Node& n = g_.nodes[k];
    const int xv = n.inputs.at(0), yv = n.outputs.at(0);
    if (grad_[static_cast<size_t>(yv)].v.empty()) return;
    std::vector<double> dz = grad_[static_cast<size_t>(yv)].v;
    const auto unary = graph::activationOf(n);
    const graph::FusedActivation& a = plan_.dropsActivation(k) ? graph::FusedActivation{} : unary ? *unary : n.act;
    if (a.any())
        for (size_t i = 0; i < dz.size(); ++i) dz[i] *= slope(a, pre_[static_cast<size_t>(yv)].v[i]);
    const bool wantX = xv != plan_.cut && !g_.value(xv).constant;
    const Buf& x = val_[static_cast<size_t>(xv)];
    const Shape ys = shapeOf(yv);
    if (const train::Layer* l = layerAt(plan_, k)) {
        const std::vector<float>& w = params_[static_cast<size_t>(l->weight)].data;
        std::vector<double>& dw = pgrad_[static_cast<size_t>(l->weight)];
        std::vector<double>* db = l->bias >= 0 ? &pgrad_[static_cast<size_t>(l->bias)] : nullptr;
        std::vector<double>* dx = wantX ? &grad(xv).v : nullptr;
        if (n.op == OpKind::Conv) {
            const graph::Spatial3 s = graph::spatial3(n, g_.shapeOf(xv), g_.shapeOf(yv));
            const int64_t M = ys[1], plane = ys[2] * ys[3];
            if (db)
                for (size_t i = 0; i < dz.size(); ++i) (*db)[static_cast<size_t>(static_cast<int64_t>(i) / plane % M)] += dz[i];
            forEachConvTap(n, x.shape, ys, s, [&](size_t yi, size_t xi, size_t wi) {
                dw[wi] += dz[yi] * x.v[xi];
                if (dx) (*dx)[xi] += dz[yi] * w[wi];
            });
        } else {
            const int64_t Kf = x.shape[1], N = ys[1];
            for (int64_t b = 0; b < B_; ++b)
                for (int64_t j = 0; j < N; ++j) {
                    const double d = dz[static_cast<size_t>(b * N + j)];
                    if (db) (*db)[static_cast<size_t>(j)] += d;
                    for (int64_t i = 0; i < Kf; ++i) {
                        const size_t wi = static_cast<size_t>(l->transB ? j * Kf + i : i * N + j);
                        dw[wi] += d * x.v[static_cast<size_t>(b * Kf + i)];
                        if (dx) (*dx)[static_cast<size_t>(b * Kf + i)] += d * w[wi];
                    }
                }
        }
        return;
    }
    if (n.op == OpKind::Add) {
        for (int v : n.inputs)
            if (v != plan_.cut && !g_.value(v).constant)
                for (size_t i = 0; i < dz.size(); ++i) grad(v).v[i] += dz[i];
        return;
    }
    if (n.op == OpKind::Concat) {
        const int64_t inner = elementCount(ys) / (ys[0] * ys[1]);
        int64_t at = 0;
        for (int v : n.inputs) {
            const int64_t C = val_[static_cast<size_t>(v)].shape[1];
            if (v != plan_.cut)
                for (int64_t b = 0; b < B_; ++b)
                    for (int64_t i = 0; i < C * inner; ++i) grad(v).v[static_cast<size_t>(b * C * inner + i)] += dz[static_cast<size_t>((b * ys[1] + at) * inner + i)];
            at += C;
        }
        return;
    }
    if (!wantX) return;
    std::vector<double>& dx = grad(xv).v;
    if (n.op == OpKind::GlobalAveragePool) {
        const int64_t plane = static_cast<int64_t>(dx.size()) / static_cast<int64_t>(dz.size());
        for (size_t i = 0; i < dx.size(); ++i) dx[i] += dz[i / static_cast<size_t>(plane)] / static_cast<double>(plane);
        return;
    }
    // Reshapes and standalone activations (dz already holds f'(x) dy).
    for (size_t i = 0; i < dx.size(); ++i) dx[i] += dz[i];
}

}  // namespace percept::naive
