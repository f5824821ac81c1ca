// Gemm (Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]) and MatMul (numpy
// matmul: N-D batched with broadcasting, 1-D operands promoted), both on cblas_sgemm split
// over the thread pool; a single row against B^T (a classifier) on the SIMD dot kernel.
#include <algorithm>

#include "cpu/isa.h"
#include "cpu/op_util.h"
#include "graph/loop_nest.h"
#include "graph/shape_inference.h"

namespace percept::cpu {
namespace {

class GemmKernel final : public Kernel {
public:
    GemmKernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, float alpha, float beta, bool hasC,
               const Shape& cShape, graph::FusedActivation act, const CpuKernels& simd)
        : ta_(ta), tb_(tb), M_(M), N_(N), K_(K), lda_(lda), ldb_(ldb), alpha_(alpha), beta_(beta), hasC_(hasC && beta != 0.0f), act_(act) {
        if (hasC_) {
            // C right-aligned against [M, N]: a size-1 (or missing) axis repeats (stride 0).
            const int64_t c0 = cShape.size() >= 2 ? cShape[cShape.size() - 2] : 1;
            const int64_t c1 = cShape.empty() ? 1 : cShape.back();
            cRow_ = c0 == 1 ? 0 : c1;
            cCol_ = c1 == 1 ? 0 : 1;
        }
        // One row of A against B^T: the SIMD matrix-vector product beats OpenBLAS's AVX2 GEMV.
        if (M_ == 1 && tb_ && !ta_) dot_ = simd.dotRows;
        algo_ = dot_ ? std::string("gemv/") + simd.name() : "gemm";
    }
    const char* algo() const override { return algo_.c_str(); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* c = hasC_ ? inputs[2] : nullptr;
        float* y = outputs[0];
        if (dot_) {
            // One row times B^T (a classifier's [N x K] weights): y = alpha * B a, then beta * C.
            parallelDotRows(ctx.pool, dot_, inputs[1], ldb_, inputs[0], K_, N_, y);
            for (int64_t j = 0; j < N_; ++j) y[j] = alpha_ * y[j] + (c ? beta_ * c[j * cCol_] : 0.0f);
            if (act_.any()) activate(act_, y, y, N_);
            return;
        }
        // beta * C and the activation are added per block after the product (beta = 0 in
        // the GEMM itself, so Y needs no prefill).
        parallelGemm(ctx.pool, ta_, tb_, M_, N_, K_, alpha_, inputs[0], lda_, inputs[1], ldb_, 0.0f, y, N_,
                     [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                         for (int64_t r = r0; r < r1; ++r) {
                             float* yr = y + r * N_;
                             if (c) {
                                 const float* cr = c + r * cRow_;
                                 for (int64_t j = c0; j < c1; ++j) yr[j] += beta_ * cr[j * cCol_];
                             }
                             if (act_.any()) activate(act_, yr + c0, yr + c0, c1 - c0);
                         }
                     });
    }

private:
    bool ta_, tb_;
    int64_t M_, N_, K_, lda_, ldb_;
    float alpha_, beta_;
    bool hasC_;
    int64_t cRow_ = 0, cCol_ = 0;
    graph::FusedActivation act_;
    DotRowsFn dot_ = nullptr;
    std::string algo_;
};

class MatMulKernel final : public Kernel {
public:
    MatMulKernel(int64_t M, int64_t N, int64_t K, std::vector<int64_t> aOff, std::vector<int64_t> bOff, graph::FusedActivation act)
        : M_(M), N_(N), K_(K), aOff_(std::move(aOff)), bOff_(std::move(bOff)), act_(act) {
        // A stack of distinct A matrices times one shared B is a single taller GEMM.
        bool merge = true;
        for (size_t i = 0; i < aOff_.size(); ++i)
            if (bOff_[i] != 0 || aOff_[i] != static_cast<int64_t>(i) * M_ * K_) merge = false;
        if (merge) {
            M_ *= static_cast<int64_t>(aOff_.size());
            aOff_ = {0};
            bOff_ = {0};
        }
    }
    const char* algo() const override { return aOff_.size() == 1 ? "gemm" : "batched-gemm"; }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* a = inputs[0];
        const float* b = inputs[1];
        float* y = outputs[0];
        const int64_t batches = static_cast<int64_t>(aOff_.size());
        auto epilogue = [&](float* yb) {
            return [this, yb](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                if (act_.any()) biasActivateRows(act_, nullptr, yb + r0 * N_ + c0, N_, r1 - r0, c1 - c0);
            };
        };
        if (batches >= ctx.pool.size() && batches > 1) {
            // Enough matrices to keep every thread busy with whole (single-threaded) GEMMs.
            ctx.pool.run(batches, [&](int64_t i, int) {
                float* yb = y + i * M_ * N_;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M_), static_cast<int>(N_), static_cast<int>(K_),
                            1.0f, a + aOff_[i], static_cast<int>(K_), b + bOff_[i], static_cast<int>(N_), 0.0f, yb, static_cast<int>(N_));
                epilogue(yb)(0, M_, 0, N_);
            });
            return;
        }
        for (int64_t i = 0; i < batches; ++i) {
            float* yb = y + i * M_ * N_;
            parallelGemm(ctx.pool, false, false, M_, N_, K_, 1.0f, a + aOff_[i], K_, b + bOff_[i], N_, 0.0f, yb, N_, epilogue(yb));
        }
    }

private:
    int64_t M_, N_, K_;
    std::vector<int64_t> aOff_, bOff_;  // element offsets of each batch's A and B matrices
    graph::FusedActivation act_;
};

}  // namespace

std::unique_ptr<Kernel> makeGemm(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& a = inShape(g, n, 0);
    const Shape& b = inShape(g, n, 1);
    if (a.size() != 2 || b.size() != 2) fail(n, "A and B must be 2-D");
    const bool ta = n.attrInt("transA", 0) != 0, tb = n.attrInt("transB", 0) != 0;
    const int64_t M = ta ? a[1] : a[0], K = ta ? a[0] : a[1], N = tb ? b[0] : b[1];
    if ((tb ? b[1] : b[0]) != K) fail(n, "inner dimensions differ: " + shapeToString(a) + " x " + shapeToString(b));
    Shape cShape;
    if (hasInput(n, 2)) {
        cShape = inShape(g, n, 2);
        if (cShape.size() > 2) fail(n, "C must have rank <= 2");
        graph::broadcastShapes(cShape, {M, N}, n.describe());
        if (elementCount(cShape) == 0) fail(n, "C is empty");
    }
    return std::make_unique<GemmKernel>(ta, tb, M, N, K, a[1], b[1], n.attrFloat("alpha", 1.0f), n.attrFloat("beta", 1.0f),
                                        hasInput(n, 2), cShape, n.act, cfg.simd);
}

std::unique_ptr<Kernel> makeMatMul(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    Shape a = inShape(g, n, 0), b = inShape(g, n, 1);
    if (a.empty() || b.empty()) fail(n, "scalar operands are not allowed");
    if (a.size() == 1) a.insert(a.begin(), 1);  // [K] -> [1, K]
    if (b.size() == 1) b.push_back(1);          // [K] -> [K, 1]
    const int64_t M = a[a.size() - 2], K = a.back(), N = b.back();
    if (b[b.size() - 2] != K) fail(n, "inner dimensions differ");
    // Batch axes, right-aligned and broadcast; offsets of each batch's matrices.
    const Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    const Shape batch = graph::broadcastShapes(ba, bb, n.describe());
    const size_t rank = batch.size();
    // Element stride of each broadcast batch axis in one operand (0 where it repeats).
    const auto sa = graph::broadcastStrides(ba, rank, M * K), sb = graph::broadcastStrides(bb, rank, K * N);
    const int64_t count = elementCount(batch);
    std::vector<int64_t> aOff(static_cast<size_t>(count)), bOff(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        int64_t rem = i, oa = 0, ob = 0;
        for (size_t k = rank; k-- > 0;) {
            const int64_t c = rem % batch[k];
            rem /= batch[k];
            oa += c * sa[k];
            ob += c * sb[k];
        }
        aOff[i] = oa;
        bOff[i] = ob;
    }
    return std::make_unique<MatMulKernel>(M, N, K, std::move(aOff), std::move(bOff), n.act);
}

}  // namespace percept::cpu
