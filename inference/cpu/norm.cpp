// SPDX-License-Identifier: Apache-2.0
// The normalisations with statistics computed at run time, one kernel: for every kept index
// ("row") of graph::planReduce's nest over the normalised axes, the mean and variance of its
// elements in one pass over memory, then y = (x - mean) * inv * scale + bias in a second.
//  LayerNormalization: axes axis..end, scale/bias per element of the row; optional Mean and
//                      InvStdDev outputs, inv = 1 / sqrt(var + eps).
//  InstanceNormalization: axes 2..end (each channel plane), scale/bias per channel.
//  MeanVarianceNormalization: any axes, no scale; inv = 1 / (sqrt(var) + 1e-9), as ONNX's
//                      function body has it.
// Statistics: blocks of 256 contiguous values, each reduced in float while it sits in L1 (the
// sum of its values less its first, then the sum of squares about its own mean: no
// cancellation, whatever the offset), the blocks merged in double by Chan's formula. The output is ((x - x0) - mu) * a + b, x0 the
// row's first element and mu = mean - x0 from the double mean: x - x0 is exact in float for x
// near x0, while x - mean would round a large mean to float first (an error of
// ulp(mean) / stddev). Rows run in parallel.
#include <algorithm>
#include <cmath>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

enum class Affine { None, PerElement, PerChannel };

struct NormParams {
    graph::ReduceNest nest;
    float epsIn = 0.0f, epsOut = 0.0f;  // inv = 1 / (sqrt(var + epsIn) + epsOut)
    Affine affine = Affine::None;
    int64_t channels = 1;  // PerChannel: row o has channel o % channels
    bool bias = false;     // input 2 is present (LayerNormalization's B is optional)
    bool mean = false, invStd = false;  // LayerNormalization's optional outputs
};

// Count, mean and sum of squared deviations of the values seen so far (double).
struct Moments {
    double n = 0.0, mean = 0.0, m2 = 0.0;
    // Chan et al.'s merge with another set's moments.
    void merge(double nb, double meanb, double m2b) {
        const double total = n + nb, d = meanb - mean;
        if (total == 0.0) return;
        mean += d * (nb / total);
        m2 += m2b + d * d * (n * nb / total);
        n = total;
    }
};

// Adds n values spaced `stride` apart to m.
void addMoments(const float* p, int64_t n, int64_t stride, Moments& m) {
    if (stride != 1) {
        for (int64_t i = 0; i < n; ++i) m.merge(1.0, p[i * stride], 0.0);  // Welford's update
        return;
    }
    constexpr int64_t kBlock = 256;
    for (int64_t b = 0; b < n; b += kBlock) {
        const float* q = p + b;
        const int64_t len = std::min(kBlock, n - b);
        const double lenD = static_cast<double>(len);
        // 16 independent float lanes: the compiler vectorises them (one running sum it may not
        // reorder); 16 values per lane keeps each lane's rounding at a few ulp. The sum is of
        // q - q0, small values near the block's spread, so a large offset costs no precision.
        const float q0 = q[0];
        float s[16] = {};
        int64_t i = 0;
        for (; i + 16 <= len; i += 16)
            for (int j = 0; j < 16; ++j) s[j] += q[i + j] - q0;
        for (; i < len; ++i) s[i & 15] += q[i] - q0;
        double sum = 0.0;
        for (float v : s) sum += v;
        const double mean = q0 + sum / lenD;
        // Squares about the float-rounded mean mf, then moved to the exact mean:
        // sum((q - mean)^2) = sum((q - mf)^2) - len * (mean - mf)^2.
        const float mf = static_cast<float>(mean);
        float d2[16] = {};
        for (i = 0; i + 16 <= len; i += 16)
            for (int j = 0; j < 16; ++j) {
                const float d = q[i + j] - mf;
                d2[j] += d * d;
            }
        for (; i < len; ++i) {
            const float d = q[i] - mf;
            d2[i & 15] += d * d;
        }
        double m2 = 0.0;
        for (float v : d2) m2 += v;
        const double off = mean - mf;
        m.merge(lenD, mean, std::max(0.0, m2 - lenD * off * off));
    }
}

class NormKernel final : public Kernel {
public:
    explicit NormKernel(NormParams p) : p_(std::move(p)), count_(p_.nest.reduced()), len_(p_.nest.redDims.back()) {}
    const char* algo() const override { return "norm-rows"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const int64_t rows = p_.nest.outputs();
        if (rows == 0 || count_ == 0) return;
        auto range = [&](int64_t o0, int64_t o1, int) {
            for (int64_t o = o0; o < o1; ++o) row(o, inputs, outputs);
        };
        if (rows * count_ < 16 * 1024) range(0, rows, 0);
        else ctx.pool.parallelFor(rows, std::max<int64_t>(1, 4096 / count_), range);
    }

private:
    int64_t runOffset(int64_t r) const { return graph::nestOffset(r, p_.nest.redDims, p_.nest.redStrides, p_.nest.redDims.size() - 1); }

    void row(int64_t o, const float* const* inputs, float* const* outputs) const {
        const int64_t off = graph::nestOffset(o, p_.nest.keptDims, p_.nest.keptStrides, p_.nest.keptDims.size());
        const float* x = inputs[0] + off;
        float* y = outputs[0] + off;
        const int64_t runs = count_ / len_, stride = p_.nest.redStrides.back();
        Moments mo;
        for (int64_t r = 0; r < runs; ++r) addMoments(x + runOffset(r), len_, stride, mo);
        const double var = mo.m2 / static_cast<double>(count_);
        const double meanD = mo.mean;
        const double invD = 1.0 / (std::sqrt(var + p_.epsIn) + p_.epsOut);
        if (p_.mean) outputs[1][o] = static_cast<float>(meanD);
        if (p_.invStd) outputs[2][o] = static_cast<float>(invD);

        const float shift = x[0], mu = static_cast<float>(meanD - shift), inv = static_cast<float>(invD);
        const float* scale = p_.affine == Affine::None ? nullptr : inputs[1];
        const float* bias = p_.bias ? inputs[2] : nullptr;
        float a = inv, b = 0.0f;  // y = ((x - shift) - mu) * a + b, per row unless per element
        if (p_.affine == Affine::PerChannel) {
            const int64_t c = o % p_.channels;
            a = inv * scale[c];
            b = bias ? bias[c] : 0.0f;
        }
        for (int64_t r = 0; r < runs; ++r) {
            const int64_t ro = runOffset(r);
            const float* xp = x + ro;
            float* yp = y + ro;
            if (p_.affine == Affine::PerElement) {
                // The row's elements in order: run r holds elements [r * len, (r + 1) * len).
                const float* sc = scale + r * len_;
                const float* bi = bias ? bias + r * len_ : nullptr;
                if (stride == 1 && bi) {
                    for (int64_t i = 0; i < len_; ++i) yp[i] = ((xp[i] - shift) - mu) * (inv * sc[i]) + bi[i];
                } else {
                    for (int64_t i = 0; i < len_; ++i) yp[i * stride] = ((xp[i * stride] - shift) - mu) * (inv * sc[i]) + (bi ? bi[i] : 0.0f);
                }
            } else if (stride == 1) {
                for (int64_t i = 0; i < len_; ++i) yp[i] = ((xp[i] - shift) - mu) * a + b;
            } else {
                for (int64_t i = 0; i < len_; ++i) yp[i * stride] = ((xp[i * stride] - shift) - mu) * a + b;
            }
        }
    }

    NormParams p_;
    int64_t count_, len_;
};

bool hasOutput(const graph::Node& n, size_t k) { return k < n.outputs.size() && n.outputs[k] >= 0; }

}  // namespace

std::unique_ptr<Kernel> makeNorm(const graph::Graph& g, const graph::Node& n, const KernelConfig&) {
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    NormParams p;
    std::vector<int64_t> axes;
    switch (n.op) {
        case OpKind::LayerNormalization:
            if (n.attrInt(graph::kNormOneAxis, 0) != 0) return makeChannelNorm(g, n);
            for (int64_t a = normAxis(n, n.attrInt("axis", -1), rank); a < rank; ++a) axes.push_back(a);
            p.epsIn = n.attrFloat("epsilon", 1e-5f);
            p.affine = Affine::PerElement;
            p.mean = hasOutput(n, 1);
            p.invStd = hasOutput(n, 2);
            break;
        case OpKind::InstanceNormalization:
            for (int64_t a = 2; a < rank; ++a) axes.push_back(a);
            p.epsIn = n.attrFloat("epsilon", 1e-5f);
            p.affine = Affine::PerChannel;
            p.channels = x.at(1);
            break;
        case OpKind::MeanVarianceNormalization:
            axes = n.attrInts("axes");
            p.epsOut = 1e-9f;
            break;
        default: fail(n, "is not a normalisation");
    }
    if (p.affine != Affine::None && !hasInput(n, 1)) fail(n, "the scale input is missing");
    p.bias = p.affine != Affine::None && hasInput(n, 2);
    p.nest = graph::planReduce(x, axes);
    return std::make_unique<NormKernel>(std::move(p));
}

}  // namespace percept::cpu
