// SPDX-License-Identifier: Apache-2.0
#include "compressed/compensated_sharing.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "percept/error.h"

// LAPACK (OpenBLAS carries it): Cholesky factorisation and the inverse from it. The trailing
// argument is the hidden length of the Fortran character argument.
extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uploLength);
void dpotri_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uploLength);
}

namespace percept::compressed {
namespace {

// GPTQ's damping: a hundredth of the mean diagonal, so a rank-deficient H (few calibration
// columns, an input channel that is always zero) still inverts, and the updates stay small
// where the calibration data says little.
constexpr double kDamping = 0.01;
// Columns per lazy batch.
constexpr int64_t kBlock = 128;

// U (upper triangular, row-major, k x k) with (H + damping)^-1 = U^T U, from H in row-major.
// LAPACK is column-major: its lower triangle is the row-major upper one. Empty when H + damping
// is not positive definite even with 100 times the damping.
std::vector<double> inverseCholesky(const std::vector<double>& h, int k) {
    double meanDiag = 0.0;
    for (int j = 0; j < k; ++j) meanDiag += h[static_cast<size_t>(j) * k + j];
    meanDiag = meanDiag > 0 ? meanDiag / k : 1.0;
    for (double damping = kDamping; damping <= 100 * kDamping; damping *= 10) {
        std::vector<double> a = h;
        for (int j = 0; j < k; ++j) {
            double& d = a[static_cast<size_t>(j) * k + j];
            if (d <= 0) d = meanDiag;  // an input that is always zero: its weights see nothing
            d += damping * meanDiag;
        }
        int info = 0;
        dpotrf_("L", &k, a.data(), &k, &info, 1);
        if (info != 0) continue;
        dpotri_("L", &k, a.data(), &k, &info, 1);
        if (info != 0) continue;
        for (int r = 0; r < k; ++r)
            for (int c = 0; c < r; ++c) a[static_cast<size_t>(r) * k + c] = a[static_cast<size_t>(c) * k + r];
        dpotrf_("L", &k, a.data(), &k, &info, 1);
        if (info == 0) return a;
    }
    return {};
}

}  // namespace

std::vector<CompensationBasis> compensationBases(const InputMoments& m) {
    std::vector<CompensationBasis> bases;
    const int k = static_cast<int>(m.cols);
    for (int64_t g = 0; g < m.groups; ++g) {
        // GPTQ's "act order": the columns with the largest inputs first, while the most
        // weights are left to take their errors.
        const double* h = m.xx.data() + g * m.cols * m.cols;
        CompensationBasis b;
        b.order.resize(static_cast<size_t>(k));
        std::iota(b.order.begin(), b.order.end(), 0);
        std::stable_sort(b.order.begin(), b.order.end(), [&](int x, int y) { return h[static_cast<size_t>(x) * k + x] > h[static_cast<size_t>(y) * k + y]; });
        std::vector<double> hp(static_cast<size_t>(k) * k);
        for (int r = 0; r < k; ++r)
            for (int q = 0; q < k; ++q) hp[static_cast<size_t>(r) * k + q] = h[static_cast<size_t>(b.order[r]) * k + b.order[q]];
        b.u = inverseCholesky(hp, k);
        bases.push_back(std::move(b));
    }
    return bases;
}

SharedWeights shareWeightsCompensated(const float* w, int64_t n, const WeightRows& l, const std::vector<CompensationBasis>& bases, const CodebookOptions& o) {
    const int64_t groups = static_cast<int64_t>(bases.size());
    if (l.rows * l.cols != n || groups < 1 || l.rows % groups != 0 ||
        std::any_of(bases.begin(), bases.end(), [&](const CompensationBasis& b) { return static_cast<int64_t>(b.order.size()) != l.cols; }))
        throw Error("internal error: the calibration moments do not fit the weights (" + std::to_string(l.rows) + " x " + std::to_string(l.cols) + ")");
    const Codebook c = fitCodebook(w, n, o);
    std::vector<uint8_t> symbols(static_cast<size_t>(n), 0);
    if (c.used == 0) return sharedWeightsOf(c, w, n, std::move(symbols));
    const int64_t k = l.cols, rows = l.rows / groups;
    std::vector<double> work(static_cast<size_t>(rows * k)), err(static_cast<size_t>(rows * kBlock));
    for (int64_t g = 0; g < groups; ++g) {
        const CompensationBasis& b = bases[static_cast<size_t>(g)];
        auto at = [&](int64_t r, int64_t j) { return static_cast<size_t>((g * rows + r) * l.rowStride + b.order[static_cast<size_t>(j)] * l.colStride); };
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < k; ++j) work[static_cast<size_t>(r * k + j)] = w[at(r, j)];
        // GPTQ's lazy batches: the columns of a block one by one, each error pushed onto the
        // block's later columns at once; onto the columns after the block, all of the block's
        // errors together in one matrix product.
        for (int64_t b0 = 0; b0 < k; b0 += kBlock) {
            const int64_t b1 = std::min(k, b0 + kBlock);
            for (int64_t r = 0; r < rows; ++r) {
                double* row = work.data() + r * k;
                for (int64_t j = b0; j < b1; ++j) {
                    const size_t i = at(r, j);
                    const uint8_t s = c.pruned(w[i]) ? 0 : c.nearest(row[j], true);
                    symbols[i] = s;
                    if (b.u.empty()) continue;  // H would not invert: nearest values, as without calibration
                    const double* uj = b.u.data() + j * k;
                    const double e = (row[j] - c.values[s]) / uj[j];
                    err[static_cast<size_t>(r * kBlock + (j - b0))] = e;
                    for (int64_t q = j + 1; q < b1; ++q) row[q] -= e * uj[q];
                }
            }
            if (!b.u.empty() && b1 < k)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(k - b1), static_cast<int>(b1 - b0), -1.0,
                            err.data(), static_cast<int>(kBlock), b.u.data() + b0 * k + b1, static_cast<int>(k), 1.0, work.data() + b1, static_cast<int>(k));
        }
    }
    return sharedWeightsOf(c, w, n, std::move(symbols));
}

}  // namespace percept::compressed
