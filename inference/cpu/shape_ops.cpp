// SPDX-License-Identifier: Apache-2.0
// Ops that move data without arithmetic: Flatten / Reshape / Squeeze / Unsqueeze / Identity /
// Dropout (a plain copy -- the layout of a dense row-major tensor does not change -- and none
// at all when the memory plan gave the output its input's bytes) and Pad (constant, reflect,
// edge, wrap). The index mappings (Transpose, Slice ...) are in strided_copy.cpp.
#include <algorithm>
#include <cstring>

#include "cpu/op_util.h"

namespace percept::cpu {
namespace {

// ---- Copy ---------------------------------------------------------------------------------

class CopyKernel final : public Kernel {
public:
    CopyKernel(int64_t count, bool fillMask, graph::FusedActivation act, ActivateFn activateRows)
        : count_(count), fillMask_(fillMask), act_(act), activate_(activateRows) {}
    const char* algo() const override { return "copy"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        // A fused activation (an unfused SiLU is an Identity carrying it) on the SIMD rows.
        auto chunk = [&](int64_t b, int64_t e, int) { activate_(act_, x + b, y + b, e - b); };
        if (x != y || act_.any()) {
            if (count_ < 256 * 1024) chunk(0, count_, 0);
            else ctx.pool.parallelFor(count_, 64 * 1024, chunk);
        }
        // Dropout's optional mask output: everything kept.
        if (fillMask_ && outputs[1]) std::fill(outputs[1], outputs[1] + count_, 1.0f);
    }

private:
    int64_t count_;
    bool fillMask_;
    graph::FusedActivation act_;
    ActivateFn activate_;
};

// ---- Pad ----------------------------------------------------------------------------------

enum class PadMode { Constant, Reflect, Edge, Wrap };

class PadKernel final : public Kernel {
public:
    PadKernel(Shape in, Shape out, std::vector<int64_t> pads, PadMode mode, float value)
        : in_(std::move(in)), out_(std::move(out)), pads_(std::move(pads)), mode_(mode), value_(value) {
        const size_t rank = in_.size();
        inStride_.assign(rank, 1);
        for (size_t k = rank; k-- > 1;) inStride_[k - 1] = inStride_[k] * in_[k];
    }
    const char* algo() const override {
        switch (mode_) {
            case PadMode::Constant: return "pad-constant";
            case PadMode::Reflect: return "pad-reflect";
            case PadMode::Edge: return "pad-edge";
            case PadMode::Wrap: return "pad-wrap";
        }
        return "";
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const size_t rank = in_.size();
        const int64_t ow = out_.back(), iw = in_.back(), left = pads_[rank - 1];
        const int64_t rows = product(out_, 0, rank - 1);
        auto range = [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                float* dst = y + r * ow;
                // Source row: map each outer output index back into the input.
                int64_t rem = r, off = 0;
                bool inside = true;
                for (size_t k = rank - 1; k-- > 0;) {
                    const int64_t o = rem % out_[k];
                    rem /= out_[k];
                    int64_t i = o - pads_[k];
                    if (i < 0 || i >= in_[k]) {
                        if (mode_ == PadMode::Constant) inside = false;
                        else i = source(i, in_[k]);
                    }
                    off += i * inStride_[k];
                }
                if (!inside) {
                    std::fill(dst, dst + ow, value_);
                    continue;
                }
                const float* src = x + off;
                for (int64_t j = 0; j < left; ++j) dst[j] = edgeValue(src, j - left, iw);
                std::memcpy(dst + left, src, static_cast<size_t>(iw) * sizeof(float));
                for (int64_t j = left + iw; j < ow; ++j) dst[j] = edgeValue(src, j - left, iw);
            }
        };
        if (rows * ow < 64 * 1024) range(0, rows, 0);
        else ctx.pool.parallelFor(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(ow, 1)), range);
    }

private:
    // Input index read for an out-of-range index i along an axis of size n.
    int64_t source(int64_t i, int64_t n) const {
        if (mode_ == PadMode::Edge) return std::clamp<int64_t>(i, 0, n - 1);
        if (mode_ == PadMode::Wrap) return ((i % n) + n) % n;  // pads may exceed the axis: any number of turns
        // Reflect (the edge itself is not repeated); pads < n, so one reflection suffices.
        if (n == 1) return 0;
        if (i < 0) return -i;
        return 2 * (n - 1) - i;
    }
    float edgeValue(const float* row, int64_t i, int64_t n) const {
        return mode_ == PadMode::Constant ? value_ : row[source(i, n)];
    }

    Shape in_, out_;
    std::vector<int64_t> pads_, inStride_;
    PadMode mode_;
    float value_;
};

}  // namespace

std::unique_ptr<Kernel> makeCopy(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const int64_t count = elementCount(inShape(g, n, 0));
    if (elementCount(outShape(g, n)) != count) fail(n, "output and input sizes differ");
    const bool mask = n.op == graph::OpKind::Dropout && n.outputs.size() > 1 && n.outputs[1] >= 0;
    return std::make_unique<CopyKernel>(count, mask, n.act, activationFn(cfg.simd));
}

std::unique_ptr<Kernel> makePad(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Shape& y = outShape(g, n);
    if (x.empty()) fail(n, "cannot pad a scalar");
    const std::vector<int64_t> pads = n.attrInts("pads");  // shape inference always sets it
    if (pads.size() != 2 * x.size()) fail(n, "pads must have 2 x rank entries");
    for (int64_t p : pads)
        if (p < 0) fail(n, "negative pads (cropping) are not supported");
    const std::string m = n.attrString("mode", "constant");
    PadMode mode = PadMode::Constant;
    if (m == "reflect") mode = PadMode::Reflect;
    else if (m == "edge") mode = PadMode::Edge;
    else if (m == "wrap") mode = PadMode::Wrap;
    else if (m != "constant") fail(n, "pad mode '" + m + "' is not supported");
    const float value = n.attrFloat("value", 0.0f);  // canonical: the schema copies opset 11's input here
    for (size_t k = 0; k < x.size(); ++k) {
        if (mode == PadMode::Reflect && (pads[k] >= x[k] || pads[k + x.size()] >= x[k]) && x[k] > 1)
            fail(n, "reflect pads must be smaller than the dimension");
        if (mode != PadMode::Constant && x[k] == 0 && (pads[k] > 0 || pads[k + x.size()] > 0)) fail(n, "cannot reflect or extend an empty axis");
    }
    // Only the begin pads are needed to map output to input; the end pads are in y's shape.
    std::vector<int64_t> begin(pads.begin(), pads.begin() + static_cast<int64_t>(x.size()));
    if (n.act.any()) fail(n, "a fused activation on Pad is not supported");
    return std::make_unique<PadKernel>(x, y, std::move(begin), mode, value);
}

}  // namespace percept::cpu
