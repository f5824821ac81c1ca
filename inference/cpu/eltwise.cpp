// Binary elementwise ops (Add, Sub, Mul, Div) with full numpy broadcasting.
//
// At build time the two operands' shapes are padded to the output's rank and adjacent axes
// that broadcast the same way are merged. What is left is a short loop nest whose innermost
// axis has, per operand, stride 1 (contiguous) or 0 (repeated). The common cases fall out
// of that as fast paths: same shape -> one contiguous run; scalar -> one run with a stride-0
// operand; per-channel [N,C,H,W] + [C,1,1] -> rows of H*W with a scalar per row.
#include <algorithm>

#include "cpu/op_util.h"
#include "graph/loop_nest.h"

namespace percept::cpu {
namespace {

struct Add { float operator()(float a, float b) const { return a + b; } };
struct Sub { float operator()(float a, float b) const { return a - b; } };
struct Mul { float operator()(float a, float b) const { return a * b; } };
struct Div { float operator()(float a, float b) const { return a / b; } };

// The merged loop nest (graph::planBroadcast): dims.back() is the inner run.
using Broadcast = graph::BroadcastNest;
int64_t rowsOf(const Broadcast& bc) { return product(bc.dims, 0, bc.dims.size() - 1); }

// One inner run, specialised on which operand is repeated so each loop vectorises.
template <class Op>
inline void runRow(const float* a, int64_t ia, const float* b, int64_t ib, float* y, int64_t n) {
    const Op op;
    if (ia == 1 && ib == 1) {
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

template <class Op>
class EltwiseKernel final : public Kernel {
public:
    EltwiseKernel(Broadcast bc, graph::FusedActivation act) : bc_(std::move(bc)), act_(act) {}

    const char* algo() const override {
        if (bc_.dims.size() == 1) return bc_.sa[0] == bc_.sb[0] ? "same-shape" : "scalar";
        if (bc_.dims.size() <= 3 && (bc_.sa.back() == 0 || bc_.sb.back() == 0)) return "per-channel";
        return "broadcast";
    }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* a = inputs[0];
        const float* b = inputs[1];
        float* y = outputs[0];
        const int64_t rows = rowsOf(bc_), inner = bc_.dims.back();
        const int64_t ia = bc_.sa.back(), ib = bc_.sb.back();
        const int threads = ctx.pool.size();
        if (rows < 2 * threads && inner >= 8192) {
            // Few long rows (same shape, scalar): split each row across the pool.
            for (int64_t r = 0; r < rows; ++r) {
                int64_t oa, ob;
                offsets(r, oa, ob);
                float* yr = y + r * inner;
                ctx.pool.parallelFor(inner, 4096, [&](int64_t s, int64_t e, int) {
                    runRow<Op>(a + oa + s * ia, ia, b + ob + s * ib, ib, yr + s, e - s);
                    applyActivation(act_, yr + s, e - s);
                });
            }
            return;
        }
        auto rowsRange = [&](int64_t r0, int64_t r1, int) {
            for (int64_t r = r0; r < r1; ++r) {
                int64_t oa, ob;
                offsets(r, oa, ob);
                float* yr = y + r * inner;
                runRow<Op>(a + oa, ia, b + ob, ib, yr, inner);
                applyActivation(act_, yr, inner);
            }
        };
        if (rows * inner < 32 * 1024) rowsRange(0, rows, 0);
        else ctx.pool.parallelFor(rows, std::max<int64_t>(1, 4096 / inner), rowsRange);
    }

private:
    // Operand offsets of outer row r (the row's index split over the outer axes).
    void offsets(int64_t r, int64_t& oa, int64_t& ob) const {
        oa = ob = 0;
        for (size_t k = bc_.dims.size() - 1; k-- > 0;) {
            const int64_t c = r % bc_.dims[k];
            r /= bc_.dims[k];
            oa += c * bc_.sa[k];
            ob += c * bc_.sb[k];
        }
    }

    Broadcast bc_;
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeEltwise(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& a = inShape(g, n, 0);
    const Shape& b = inShape(g, n, 1);
    const Shape& y = outShape(g, n);
    if (a.size() > y.size() || b.size() > y.size()) fail(n, "operand rank exceeds the output's");
    Broadcast bc = graph::planBroadcast(a, b, y);
    switch (n.op) {
        case graph::OpKind::Add: return std::make_unique<EltwiseKernel<Add>>(std::move(bc), n.act);
        case graph::OpKind::Sub: return std::make_unique<EltwiseKernel<Sub>>(std::move(bc), n.act);
        case graph::OpKind::Mul: return std::make_unique<EltwiseKernel<Mul>>(std::move(bc), n.act);
        case graph::OpKind::Div: return std::make_unique<EltwiseKernel<Div>>(std::move(bc), n.act);
        default: fail(n, "is not an elementwise binary op");
    }
}

}  // namespace percept::cpu
