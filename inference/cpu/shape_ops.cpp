// Ops that move data without arithmetic: Flatten / Reshape / Identity / Dropout (a plain copy:
// the layout of a dense row-major tensor does not change), Transpose (general N-D) and Pad
// (constant, reflect, edge).
#include <algorithm>
#include <cstring>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

// ---- Copy ---------------------------------------------------------------------------------

class CopyKernel final : public Kernel {
public:
    CopyKernel(int64_t count, bool fillMask, graph::FusedActivation act) : count_(count), fillMask_(fillMask), act_(act) {}
    const char* algo() const override { return "copy"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        auto chunk = [&](int64_t b, int64_t e, int) { activate(act_, x + b, y + b, e - b); };
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
};

// ---- Transpose ----------------------------------------------------------------------------

class TransposeKernel final : public Kernel {
public:
    // dims: the output's axes after merging; st: the input stride of each.
    TransposeKernel(std::vector<int64_t> dims, std::vector<int64_t> st) : dims_(std::move(dims)), st_(std::move(st)) {}
    const char* algo() const override { return st_.back() == 1 ? "transpose-rows" : "transpose"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* x = inputs[0];
        float* y = outputs[0];
        const int64_t inner = dims_.back(), rows = product(dims_, 0, dims_.size() - 1);
        const int64_t is = st_.back();
        auto range = [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                // Input offset of output row r.
                int64_t rem = r, off = 0;
                for (size_t k = dims_.size() - 1; k-- > 0;) {
                    off += (rem % dims_[k]) * st_[k];
                    rem /= dims_[k];
                }
                const float* src = x + off;
                float* dst = y + r * inner;
                if (is == 1) std::memcpy(dst, src, static_cast<size_t>(inner) * sizeof(float));
                else for (int64_t j = 0; j < inner; ++j) dst[j] = src[j * is];
            }
        };
        if (rows * inner < 64 * 1024) range(0, rows, 0);
        else ctx.pool.parallelFor(rows, std::max<int64_t>(1, 4096 / inner), range);
    }

private:
    std::vector<int64_t> dims_, st_;
};

// ---- Pad ----------------------------------------------------------------------------------

enum class PadMode { Constant, Reflect, Edge };

class PadKernel final : public Kernel {
public:
    PadKernel(Shape in, Shape out, std::vector<int64_t> pads, PadMode mode, float value)
        : in_(std::move(in)), out_(std::move(out)), pads_(std::move(pads)), mode_(mode), value_(value) {
        const size_t rank = in_.size();
        inStride_.assign(rank, 1);
        for (size_t k = rank; k-- > 1;) inStride_[k - 1] = inStride_[k] * in_[k];
    }
    const char* algo() const override { return mode_ == PadMode::Constant ? "pad-constant" : mode_ == PadMode::Reflect ? "pad-reflect" : "pad-edge"; }

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
    return std::make_unique<CopyKernel>(count, mask, n.act);
}

std::unique_ptr<Kernel> makeTranspose(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> perm = n.attrInts("perm");
    if (perm.empty())
        for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank) fail(n, "perm has the wrong length");
    for (int64_t p : perm)
        if (p < 0 || p >= rank) fail(n, "perm is not a permutation");
    graph::TransposeNest nest = graph::planTranspose(x, perm);
    return std::make_unique<TransposeKernel>(std::move(nest.dims), std::move(nest.st));
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
    else if (m != "constant") fail(n, "pad mode '" + m + "' is not supported");
    float value = 0.0f;
    if (g.opset >= 11) {
        auto v = constInput(g, n, 2, "constant_value");
        if (!v.empty()) value = v[0];
    } else {
        value = n.attrFloat("value", 0.0f);
    }
    for (size_t k = 0; k < x.size(); ++k) {
        if (mode == PadMode::Reflect && (pads[k] >= x[k] || pads[k + x.size()] >= x[k]) && x[k] > 1)
            fail(n, "reflect pads must be smaller than the dimension");
        if (mode != PadMode::Constant && x[k] == 0) fail(n, "cannot reflect or extend an empty axis");
    }
    // Only the begin pads are needed to map output to input; the end pads are in y's shape.
    std::vector<int64_t> begin(pads.begin(), pads.begin() + static_cast<int64_t>(x.size()));
    if (n.act.any()) fail(n, "a fused activation on Pad is not supported");
    return std::make_unique<PadKernel>(x, y, std::move(begin), mode, value);
}

}  // namespace percept::cpu
