// SPDX-License-Identifier: Apache-2.0
// Gemm (Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]) and MatMul (numpy
// matmul: N-D batched with broadcasting, 1-D operands promoted).
//
// On AVX2 / AVX-512 both run on the packed SIMD GEMM (cpu/isa.h): a constant B (the weights of
// a Linear layer, a transformer's MLP) is packed once at load, alpha folded in; A is packed a
// block of rows at a time at run time. Products whose both operands are computed (attention's
// Q K^T and A V) pack A the same way and B's strips on the fly. A batch of products is cut
// into (product, block of rows, block of columns) tasks for the thread pool, so 12 heads on 8
// threads or one tall product on 16 all split evenly. Stacks of A matrices against one B are
// one taller product.
// A single row against constant weights is a matrix-vector product: the SIMD dot kernel over
// B^T's rows ("gemv"). The generic level (and transA, or a computed transposed B) keeps
// OpenBLAS, split over the pool.
// The fused activation (any kind) and Gemm's beta * C are applied to each block as it is done.
#include <algorithm>
#include <map>

#include "cpu/gemm.h"
#include "cpu/isa.h"
#include "cpu/op_util.h"
#include "cpu/packed_gemm.h"
#include "graph/loop_nest.h"
#include "graph/shape_inference.h"

namespace percept::cpu {
namespace {

// ---- Batches of packed products ------------------------------------------------------------

// One product of a batch: C = A * B for A [M x K] (row stride lda), B either computed
// ([K x N], row stride ldb) or packed ahead (packBMatrix), C [M x N] (row stride ldc).
struct Product {
    const float* a = nullptr;
    int64_t lda = 0;
    const float* b = nullptr;
    int64_t ldb = 0;
    const float* bPacked = nullptr;
    float* c = nullptr;
    int64_t ldc = 0;
};

// How a batch of products of one shape is cut into tasks: per product, row chunks of whole
// MR-row panels and column chunks of whole NR-column strips.
struct Grid {
    int64_t panelsPer = 1, rowChunks = 1, stripsPer = 1, colChunks = 1;
    int64_t tasks(int64_t batches) const { return batches * rowChunks * colChunks; }
};

constexpr int64_t kPackedABytes = int64_t{2} << 20;  // one task's packed rows of A, at most

// About two tasks per thread when the work pays for waking them. Rows are chunked only as far
// as needed (each column chunk packs its rows of A again, each row chunk packs its strips of
// B again: both cost 1 / (2 * chunk width) of the multiply-adds); columns first, since B
// is the larger operand of a Linear layer.
Grid planGrid(const PackedGemm& pg, int64_t batches, int64_t M, int64_t N, int64_t K, int threads) {
    const int64_t P = pg.panels(M), S = (N + pg.nr - 1) / pg.nr;
    const int64_t maxPanels = std::max<int64_t>(1, kPackedABytes / (pg.mr * std::max<int64_t>(K, 1) * 4));
    const int64_t r0 = (P + maxPanels - 1) / maxPanels;  // the packed rows' bound
    const int64_t want = threads == 1 || batches * M * N * std::max<int64_t>(K, 1) < 64 * 1024 ? 1 : 2 * threads;
    const int64_t c = std::clamp<int64_t>((want + batches * r0 - 1) / (batches * r0), 1, std::max<int64_t>(1, S / 2));
    const int64_t r = std::clamp<int64_t>((want + batches * c - 1) / (batches * c), r0, std::max<int64_t>(P, 1));
    Grid g;
    g.panelsPer = (P + r - 1) / r;
    g.rowChunks = (P + g.panelsPer - 1) / g.panelsPer;
    g.stripsPer = (S + c - 1) / c;
    g.colChunks = (S + g.stripsPer - 1) / g.stripsPer;
    return g;
}

// Workspace of one thread: its packed rows of A and its packed strips of B.
size_t taskFloats(const PackedGemm& pg, const Grid& g, int64_t K) {
    return alignFloats(static_cast<size_t>(g.panelsPer * pg.mr * K)) + alignFloats(static_cast<size_t>(packBFloats()));
}

// Runs every product(i) for i < batches. epilogue(i, r0, r1, c0, c1), when not null, runs on
// each finished block (then `act` must be None: the epilogue applies it). B's row k is scaled
// by bRowScale[k] as it is packed, when not null (computed B only).
template <class ProductOf, class Epilogue>
void runPacked(ThreadPool& pool, const PackedGemm& pg, int64_t batches, int64_t M, int64_t N, int64_t K, int64_t bPackedCols,
               const graph::FusedActivation& act, float* workspace, ProductOf productOf, Epilogue* epilogue, const float* colBias = nullptr,
               const float* bRowScale = nullptr) {
    if (batches * M * N == 0) return;
    const Grid grid = planGrid(pg, batches, M, N, K, pool.size());
    const size_t slice = threadStride(taskFloats(pg, grid, K));
    const int64_t perProduct = grid.rowChunks * grid.colChunks;
    pool.runSplit(grid.tasks(batches), [&](int64_t t, int th) {
        const int64_t i = t / perProduct, rc = (t % perProduct) / grid.colChunks, cc = t % grid.colChunks;
        const int64_t r0 = rc * grid.panelsPer * pg.mr, r1 = std::min(M, r0 + grid.panelsPer * pg.mr);
        const int64_t c0 = cc * grid.stripsPer * pg.nr, c1 = std::min(N, c0 + grid.stripsPer * pg.nr);
        const Product p = productOf(i);
        float* packedA = workspace + static_cast<size_t>(th) * slice;
        pg.pack(p.a + r0 * p.lda, p.lda, r1 - r0, K, packedA);
        PackedGemmArgs a;
        a.a = packedA, a.M = r1 - r0, a.K = K;
        a.b = p.b, a.ldb = p.ldb, a.bPacked = p.bPacked, a.bPackedCols = bPackedCols;
        a.c = p.c + r0 * p.ldc, a.ldc = p.ldc, a.n0 = c0, a.n1 = c1, a.mb0 = 0, a.mb1 = pg.panels(r1 - r0);
        a.act = act;
        a.colBias = colBias;
        a.bRowScale = bRowScale;
        a.packB = packedA + alignFloats(static_cast<size_t>(grid.panelsPer * pg.mr * K));
        pg.run(a);
        if (epilogue) (*epilogue)(i, r0, r1, c0, c1);
    });
}

size_t packedWorkspaceBytes(const PackedGemm& pg, int64_t batches, int64_t M, int64_t N, int64_t K, int threads) {
    threads = std::max(threads, 1);
    return static_cast<size_t>(threads) * threadStride(taskFloats(pg, planGrid(pg, batches, M, N, K, threads), K)) * sizeof(float);
}

// ---- Gemm ------------------------------------------------------------------------------------

class GemmKernel final : public Kernel {
public:
    GemmKernel(bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, float alpha, float beta, bool hasC,
               const Shape& cShape, graph::FusedActivation act, const CpuKernels& simd, const float* constB)
        : ta_(ta), tb_(tb), M_(M), N_(N), K_(K), lda_(lda), ldb_(ldb), alpha_(alpha), beta_(beta), hasC_(hasC && beta != 0.0f), act_(act) {
        if (hasC_) {
            // C right-aligned against [M, N]: a size-1 (or missing) axis repeats (stride 0).
            const int64_t c0 = cShape.size() >= 2 ? cShape[cShape.size() - 2] : 1;
            const int64_t c1 = cShape.empty() ? 1 : cShape.back();
            cRow_ = c0 == 1 ? 0 : c1;
            cCol_ = c1 == 1 ? 0 : 1;
        }
        if (M_ == 1 && !ta_ && simd.dotRows && (tb_ || constB)) {
            // One row: the SIMD matrix-vector product over B^T's rows (a classifier's [N x K]
            // weights, copied to cache-line aligned rows; a [K x N] constant transposed once
            // here) beats OpenBLAS's GEMV. A computed B^T is read where it is.
            dot_ = simd.dotRows;
            if (constB) bT_ = gemvRows(constB, !tb_, N_, K_);
        } else if (simd.gemm && constB && !ta_) {
            pg_ = simd.gemm;
            bPacked_ = packBMatrix(constB, tb_, K_, N_, alpha_, pg_->nr);
        }
        algo_ = dot_ ? std::string("gemv/") + simd.name() : pg_ ? std::string("packed-gemm/") + simd.name() : "gemm";
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override { return pg_ ? packedWorkspaceBytes(*pg_, 1, M_, N_, K_, threads) : 0; }
    size_t weightBytes() const override { return (bT_.size() + bPacked_.size()) * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* c = hasC_ ? inputs[2] : nullptr;
        float* y = outputs[0];
        if (dot_) {
            // y = alpha * B a, then beta * C and the activation.
            const float* w = bT_.empty() ? inputs[1] : bT_.data();
            parallelDotRows(ctx.pool, dot_, w, bT_.empty() ? ldb_ : K_, inputs[0], K_, N_, y);
            for (int64_t j = 0; j < N_; ++j) y[j] = alpha_ * y[j] + (c ? beta_ * c[j * cCol_] : 0.0f);
            if (act_.any()) activate(act_, y, y, N_);
            return;
        }
        // beta * C and the activation per finished block (Y needs no prefill).
        auto epilogue = [&](int64_t, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
            for (int64_t r = r0; r < r1; ++r) {
                float* yr = y + r * N_;
                if (c) {
                    const float* cr = c + r * cRow_;
                    for (int64_t j = c0; j < c1; ++j) yr[j] += beta_ * cr[j * cCol_];
                }
                if (act_.any()) activate(act_, yr + c0, yr + c0, c1 - c0);
            }
        };
        if (pg_) {
            const Product p{inputs[0], lda_, nullptr, 0, bPacked_.data(), y, N_};
            const bool late = c != nullptr;  // the activation comes after beta * C
            runPacked(ctx.pool, *pg_, 1, M_, N_, K_, packedCols(N_, pg_->nr), late ? graph::FusedActivation{} : act_, ctx.workspace,
                      [&](int64_t) { return p; }, late ? &epilogue : static_cast<decltype(epilogue)*>(nullptr));
            return;
        }
        parallelGemm(ctx.pool, ta_, tb_, M_, N_, K_, alpha_, inputs[0], lda_, inputs[1], ldb_, 0.0f, y, N_,
                     [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) { epilogue(0, r0, r1, c0, c1); });
    }

private:
    bool ta_, tb_;
    int64_t M_, N_, K_, lda_, ldb_;
    float alpha_, beta_;
    bool hasC_;
    int64_t cRow_ = 0, cCol_ = 0;
    graph::FusedActivation act_;
    DotRowsFn dot_ = nullptr;
    AlignedFloats bT_;             // gemv of a constant: B^T, rows aligned
    const PackedGemm* pg_ = nullptr;
    AlignedFloats bPacked_;        // packed constant B (alpha folded in)
    std::string algo_;
};

// ---- MatMul ----------------------------------------------------------------------------------

class MatMulKernel final : public Kernel {
public:
    // colBias: N values added to every row (a fused bias Add: fusedAddCandidates), or empty.
    // alpha: the product's factor (graph::kMatMulAlpha; only on products of two computed operands).
    MatMulKernel(int64_t M, int64_t N, int64_t K, std::vector<int64_t> aOff, std::vector<int64_t> bOff, graph::FusedActivation act,
                 const CpuKernels& simd, const float* constB, const std::vector<float>& colBias, float alpha)
        : M_(M), N_(N), K_(K), aOff_(std::move(aOff)), bOff_(std::move(bOff)), act_(act), alpha_(alpha) {
        if (constB && alpha != 1.0f) throw Error("internal error: a MatMul by constant weights with an alpha");
        if (!colBias.empty()) {
            // Padded to whole strips of the widest level (the packed GEMM's partial tiles read them).
            colBias_.assign(static_cast<size_t>(packedCols(N_, 32)), 0.0f);
            std::copy(colBias.begin(), colBias.end(), colBias_.begin());
        }
        // A stack of distinct A matrices times one shared B is a single taller product.
        bool merge = true;
        for (size_t i = 0; i < aOff_.size(); ++i)
            if (bOff_[i] != 0 || aOff_[i] != static_cast<int64_t>(i) * M_ * K_) merge = false;
        if (merge) {
            M_ *= static_cast<int64_t>(aOff_.size());
            aOff_ = {0};
            bOff_ = {0};
        }
        const bool oneB = std::all_of(bOff_.begin(), bOff_.end(), [](int64_t o) { return o == 0; });
        if (M_ == 1 && constB && oneB && simd.dotRows) {
            // A row vector times constant weights (per batch): the SIMD dot kernel over B^T.
            dot_ = simd.dotRows;
            bT_ = gemvRows(constB, true, N_, K_);
        } else if (simd.gemm) {
            pg_ = simd.gemm;
            // alpha scales the computed B's rows as they are packed.
            if (alpha_ != 1.0f) bRowScale_.assign(static_cast<size_t>(K_), alpha_);
            if (constB) {
                // Each distinct B matrix packed once; bIndex_ maps a batch to its packed copy.
                std::map<int64_t, int64_t> index;
                for (int64_t o : bOff_) index.emplace(o, static_cast<int64_t>(index.size()));
                packedPer_ = K_ * packedCols(N_, pg_->nr);
                bPacked_.resize(static_cast<size_t>(packedPer_ * static_cast<int64_t>(index.size())));
                for (const auto& [off, k] : index) {
                    const AlignedFloats p = packBMatrix(constB + off, false, K_, N_, 1.0f, pg_->nr);
                    std::copy(p.begin(), p.end(), bPacked_.begin() + k * packedPer_);
                }
                for (int64_t o : bOff_) bIndex_.push_back(index.at(o));
            }
        }
        const bool batched = aOff_.size() > 1;
        algo_ = dot_ ? std::string("gemv/") + simd.name()
              : pg_  ? std::string(batched ? "packed-batched-gemm/" : "packed-gemm/") + simd.name()
                     : (batched ? "batched-gemm" : "gemm");
    }
    const char* algo() const override { return algo_.c_str(); }
    size_t workspaceBytes(int threads) const override {
        return pg_ ? packedWorkspaceBytes(*pg_, static_cast<int64_t>(aOff_.size()), M_, N_, K_, threads) : 0;
    }
    size_t weightBytes() const override { return (bT_.size() + bPacked_.size() + colBias_.size()) * sizeof(float); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const float* a = inputs[0];
        const float* b = inputs[1];
        float* y = outputs[0];
        const int64_t batches = static_cast<int64_t>(aOff_.size());
        if (dot_) {
            for (int64_t i = 0; i < batches; ++i) {
                float* yb = y + i * N_;
                parallelDotRows(ctx.pool, dot_, bT_.data(), K_, a + aOff_[i], K_, N_, yb);
                for (int64_t j = 0; j < static_cast<int64_t>(colBias_.empty() ? 0 : N_); ++j) yb[j] += colBias_[static_cast<size_t>(j)];
                if (act_.any()) activate(act_, yb, yb, N_);
            }
            return;
        }
        if (pg_) {
            auto productOf = [&](int64_t i) {
                Product p;
                p.a = a + aOff_[i], p.lda = K_, p.c = y + i * M_ * N_, p.ldc = N_;
                if (bPacked_.empty()) p.b = b + bOff_[i], p.ldb = N_;
                else p.bPacked = bPacked_.data() + bIndex_[i] * packedPer_;
                return p;
            };
            using NoEpilogue = void (*)(int64_t, int64_t, int64_t, int64_t, int64_t);
            runPacked(ctx.pool, *pg_, batches, M_, N_, K_, packedCols(N_, pg_->nr), act_, ctx.workspace, productOf,
                      static_cast<NoEpilogue*>(nullptr), colBias_.empty() ? nullptr : colBias_.data(),
                      bRowScale_.empty() ? nullptr : bRowScale_.data());
            return;
        }
        // OpenBLAS (the generic level).
        auto epilogue = [&](float* yb) {
            return [this, yb](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
                if (!colBias_.empty())
                    for (int64_t r = r0; r < r1; ++r)
                        for (int64_t j = c0; j < c1; ++j) yb[r * N_ + j] += colBias_[static_cast<size_t>(j)];
                if (act_.any()) biasActivateRows(act_, nullptr, yb + r0 * N_ + c0, N_, r1 - r0, c1 - c0);
            };
        };
        if (batches >= ctx.pool.size() && batches > 1) {
            // Enough matrices to keep every thread busy with whole (single-threaded) GEMMs.
            ctx.pool.run(batches, [&](int64_t i, int) {
                float* yb = y + i * M_ * N_;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M_), static_cast<int>(N_), static_cast<int>(K_),
                            alpha_, a + aOff_[i], static_cast<int>(K_), b + bOff_[i], static_cast<int>(N_), 0.0f, yb, static_cast<int>(N_));
                epilogue(yb)(0, M_, 0, N_);
            });
            return;
        }
        for (int64_t i = 0; i < batches; ++i) {
            float* yb = y + i * M_ * N_;
            parallelGemm(ctx.pool, false, false, M_, N_, K_, alpha_, a + aOff_[i], K_, b + bOff_[i], N_, 0.0f, yb, N_, epilogue(yb));
        }
    }

private:
    int64_t M_, N_, K_;
    std::vector<int64_t> aOff_, bOff_;  // element offsets of each batch's A and B matrices
    graph::FusedActivation act_;
    float alpha_ = 1.0f;
    std::vector<float> bRowScale_;     // alpha per row of a computed B (packed path), or empty
    DotRowsFn dot_ = nullptr;
    AlignedFloats bT_;                 // gemv: B^T
    const PackedGemm* pg_ = nullptr;
    AlignedFloats bPacked_;            // constant B: each distinct matrix packed
    std::vector<int64_t> bIndex_;      // per batch: its packed B
    int64_t packedPer_ = 0;            // floats of one packed B
    AlignedFloats colBias_;            // a fused bias Add's N values (padded), or empty
    std::string algo_;
};

const float* constantData(const graph::Graph& g, const graph::Node& n, size_t k) {
    if (!hasInput(n, k)) return nullptr;
    const graph::Value& v = g.value(n.inputs[k]);
    return v.constant && v.constant->dtype == graph::DType::Float32 ? v.constant->f.data() : nullptr;
}

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
                                        hasInput(n, 2), cShape, n.act, cfg.simd, constantData(g, n, 1));
}

namespace {

// A MatMul node's kernel, with the activation `act` and, when given, a bias per output column.
std::unique_ptr<Kernel> matMulKernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg, const graph::FusedActivation& act,
                                     const std::vector<float>& colBias) {
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
    return std::make_unique<MatMulKernel>(M, N, K, std::move(aOff), std::move(bOff), act, cfg.simd, constantData(g, n, 1), colBias,
                                          n.attrFloat(graph::kMatMulAlpha, 1.0f));
}

}  // namespace

std::unique_ptr<Kernel> makeMatMul(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) { return matMulKernel(g, n, cfg, n.act, {}); }

std::unique_ptr<Kernel> makeMatMulBias(const graph::Graph& g, const graph::FusedAdd& fa, const KernelConfig& cfg) {
    const graph::Node& add = g.nodes.at(fa.add);
    const std::vector<float> bias = g.value(fa.addend).constant->asFloats();  // [.., N]: N values
    return matMulKernel(g, g.nodes.at(fa.node), cfg, add.act, bias);
}

}  // namespace percept::cpu
