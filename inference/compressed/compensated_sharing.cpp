// SPDX-License-Identifier: Apache-2.0
#include "compressed/compensated_sharing.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <thread>

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

SharedWeights shareWeightsCompensated(const float* w, int64_t n, const WeightRows& l, const InputMoments& m, const CodebookOptions& o) {
    if (l.rows * l.cols != n || m.cols != l.cols || m.groups < 1 || l.rows % m.groups != 0 ||
        static_cast<int64_t>(m.xx.size()) != m.groups * m.cols * m.cols)
        throw Error("internal error: the calibration moments do not fit the weights (" + std::to_string(l.rows) + " x " + std::to_string(l.cols) + ")");
    const Codebook c = fitCodebook(w, n, o);
    std::vector<uint8_t> symbols(static_cast<size_t>(n), 0);
    if (c.used == 0) return sharedWeightsOf(c, w, n, std::move(symbols));
    const int k = static_cast<int>(l.cols);
    const int64_t rowsPerGroup = l.rows / m.groups;
    for (int64_t g = 0; g < m.groups; ++g) {
        // GPTQ's "act order": the columns with the largest inputs first, while the most
        // weights are left to take their errors.
        const double* h = m.xx.data() + g * m.cols * m.cols;
        std::vector<int> order(static_cast<size_t>(k));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return h[static_cast<size_t>(a) * k + a] > h[static_cast<size_t>(b) * k + b]; });
        std::vector<double> hp(static_cast<size_t>(k) * k);
        for (int r = 0; r < k; ++r)
            for (int q = 0; q < k; ++q) hp[static_cast<size_t>(r) * k + q] = h[static_cast<size_t>(order[r]) * k + order[q]];
        const std::vector<double> u = inverseCholesky(hp, k);
        auto codeRows = [&](int64_t first, int64_t last) {
            std::vector<double> row(static_cast<size_t>(k));
            for (int64_t r = first; r < last; ++r) {
                auto at = [&](int j) { return static_cast<size_t>(r * l.rowStride + order[static_cast<size_t>(j)] * l.colStride); };
                for (int j = 0; j < k; ++j) row[static_cast<size_t>(j)] = w[at(j)];
                for (int j = 0; j < k; ++j) {
                    const size_t i = at(j);
                    const uint8_t s = c.pruned(w[i]) ? 0 : c.nearest(row[static_cast<size_t>(j)], true);
                    symbols[i] = s;
                    if (u.empty()) continue;  // H would not invert: nearest values, as without calibration
                    const double* uj = u.data() + static_cast<size_t>(j) * k;
                    const double e = (row[static_cast<size_t>(j)] - c.values[s]) / uj[j];
                    for (int q = j + 1; q < k; ++q) row[static_cast<size_t>(q)] -= e * uj[q];
                }
            }
        };
        // Rows are independent: split them over the machine's cores.
        const int64_t first = g * rowsPerGroup;
        const int64_t threads = std::clamp<int64_t>(std::thread::hardware_concurrency(), 1, std::max<int64_t>(1, rowsPerGroup * k / 65536));
        std::vector<std::thread> pool;
        for (int64_t t = 1; t < threads; ++t) pool.emplace_back(codeRows, first + rowsPerGroup * t / threads, first + rowsPerGroup * (t + 1) / threads);
        codeRows(first, first + rowsPerGroup / threads);
        for (auto& th : pool) th.join();
    }
    return sharedWeightsOf(c, w, n, std::move(symbols));
}

}  // namespace percept::compressed
