// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): quantised Gemm and MatMul with constant int8 weights. The GEMM of
// cpu/int8_kernels.h computes C = W^T . x^T (the weights are A, packed once), so the rows of x
// are its columns and the output is written transposed; a single row (a classifier) is a
// matrix-vector product on weights packed for it.
#include <algorithm>

#include "cpu/int8.h"
#include "cpu/int8_gemm_driver.h"

namespace percept::cpu {
namespace {

using namespace int8;

class Int8Linear final : public Kernel {
public:
    Int8Linear(int64_t rows, int64_t K, int64_t N, const Input& in, const Weights& w, OutputStage out, const Int8Kernels& gemm)
        : K_(K), N_(N), in_(in), out_(std::move(out)), gemm_(gemm) {
        if (w.asymmetric) zero_ = w.zero;
        gemv_ = rows == 1;
        if (gemv_) {
            packed_.resize(gemm.packedGemvBytes(N, K));
            gemm.packGemv(w.w.data(), K, N, K, packed_.data());
        } else {
            packed_.resize(gemm.packedABytes(N, K));
            gemm.packA(w.w.data(), K, N, K, packed_.data());
            plan_.init(gemm, N, K, rows, K);  // fill's buffer: the tile's rows of x, transposed
        }
        algo_ = std::string(gemv_ ? "int8-gemv/" : "int8-gemm/") + gemm.name;
    }
    size_t workspaceBytes(int threads) const override {
        if (gemv_) return align64(gemm_.packedBBytes(K_, 1)) + accBytes(N_) + align64(static_cast<size_t>(N_) * sizeof(float));
        return plan_.workspaceBytes(threads);
    }
    size_t weightBytes() const override { return packed_.size(); }
    const char* algo() const override { return algo_.c_str(); }

    void run(const float* const* inputs, float* const* outputs, KernelContext& ctx) override {
        const uint8_t* x = reinterpret_cast<const uint8_t*>(inputs[0]);
        void* y = outputs[0];
        if (gemv_) {
            uint8_t* packedX = reinterpret_cast<uint8_t*>(ctx.workspace);
            int32_t* acc = reinterpret_cast<int32_t*>(packedX + align64(gemm_.packedBBytes(K_, 1)));
            float* scratch = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(acc) + accBytes(N_));
            gemm_.packB(x, nullptr, 1, K_, 1, in_.flip, packedX);
            gemm_.gemv(packed_.data(), packedX, N_, K_, acc);
            subtractGemvZeroTerms(gemm_, acc, zero_.empty() ? nullptr : zero_.data(), N_, x, K_, in_.flip);
            out_.write(acc, 1, 0, N_, 1, y, 1, 1, scratch);
            return;
        }
        const size_t ob = out_.floatOutput() ? sizeof(float) : 1;
        runGemm(
            plan_, packed_.data(), in_.flip, zero_.empty() ? nullptr : zero_.data(), ctx,
            [&](int64_t p0, int64_t p1, uint8_t* col) {
                // B[k][j] = x[p0 + j][k]: the tile's rows of x, transposed.
                for (int64_t k = 0; k < K_; ++k)
                    for (int64_t j = p0; j < p1; ++j) col[k * (p1 - p0) + (j - p0)] = x[j * K_ + k];
                return BView{col, nullptr, p1 - p0};
            },
            [&](const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t p0, int64_t cols, float* scratch) {
                // C[m][j] is y[p0 + j][m].
                out_.write(c, ldc, m0, rows, cols, static_cast<uint8_t*>(y) + static_cast<size_t>(p0 * N_) * ob, 1, N_, scratch);
            });
    }

private:
    int64_t K_, N_;
    Input in_;
    OutputStage out_;
    const Int8Kernels& gemm_;
    bool gemv_ = false;
    std::vector<int32_t> zero_;
    std::vector<uint8_t> packed_;
    GemmPlan plan_;
    std::string algo_;
};

}  // namespace

std::unique_ptr<Kernel> makeInt8Linear(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Shape& x = inShape(g, n, 0);
    const Shape& wShape = inShape(g, n, 1);
    if (wShape.size() != 2) fail(n, "int8 weights must be a matrix");
    const int64_t K = x.back(), rows = elementCount(x) / std::max<int64_t>(K, 1);
    // Gemm with transB = 1 stores the weights [N][K] (rows of A as they are); otherwise [K][N].
    const bool rowsAreOutputs = n.op == graph::OpKind::Gemm && n.attrInt("transB", 0) != 0;
    const int64_t N = rowsAreOutputs ? wShape[0] : wShape[1];
    if ((rowsAreOutputs ? wShape[1] : wShape[0]) != K) fail(n, "int8 weights do not match the input's last axis");
    if (n.op == graph::OpKind::Gemm && (n.attrInt("transA", 0) != 0 || n.attrFloat("alpha", 1.0f) != 1.0f || n.attrFloat("beta", 1.0f) != 1.0f))
        fail(n, "int8 Gemm takes transA = 0, alpha = beta = 1");
    const Input in = readInput(g, n, n.inputs.at(0));
    const Weights w = readWeights(g, n, n.inputs.at(1), N, K, !rowsAreOutputs);
    std::vector<double> scale, offset;
    realTerms(w, in, n.op == graph::OpKind::Gemm ? biasOf(g, n, 2, N) : std::vector<float>{}, scale, offset);
    const Int8Kernels& gemm = int8KernelsFor(cfg.simd);
    return std::make_unique<Int8Linear>(rows, K, N, in, w, OutputStage(g.value(n.outputs.at(0)), n.act, scale, offset, gemm), gemm);
}

}  // namespace percept::cpu
