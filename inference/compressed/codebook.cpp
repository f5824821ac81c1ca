// SPDX-License-Identifier: Apache-2.0
#include "compressed/codebook.h"

#include <algorithm>
#include <cmath>

#include "compressed/coded_tensor.h"
#include "percept/error.h"

namespace percept::compressed {
namespace {

// Lloyd's k-means in one dimension over sorted values: each cluster is a contiguous range
// (its bounds are the midpoints between neighbouring centroids), so one iteration costs a
// binary search per centroid and the means come from prefix sums.
void lloyd(const std::vector<float>& v, std::vector<double>& c) {
    std::vector<double> prefix(v.size() + 1, 0.0);
    for (size_t i = 0; i < v.size(); ++i) prefix[i + 1] = prefix[i] + v[i];
    const size_t k = c.size();
    std::vector<size_t> bound(k + 1, 0), last;
    bound[k] = v.size();
    for (int iter = 0; iter < 200; ++iter) {
        for (size_t j = 1; j < k; ++j)
            bound[j] = static_cast<size_t>(std::lower_bound(v.begin(), v.end(), 0.5 * (c[j - 1] + c[j])) - v.begin());
        if (bound == last) break;
        last = bound;
        for (size_t j = 0; j < k; ++j)
            if (bound[j + 1] > bound[j]) c[j] = (prefix[bound[j + 1]] - prefix[bound[j]]) / static_cast<double>(bound[j + 1] - bound[j]);
        // An empty cluster keeps its centroid: it stays between its neighbours, so the order
        // the midpoints rely on holds.
    }
}

Codebook codebookOf(const std::vector<double>& c, int bits, float pruneThreshold) {
    Codebook r;
    r.pruneThreshold = pruneThreshold;
    r.used = static_cast<int>(c.size());
    r.values.assign(size_t{1} << bits, 0.0f);
    for (size_t j = 0; j < c.size(); ++j) r.values[j + 1] = static_cast<float>(c[j]);
    // Unused entries repeat the last value so the codebook stays sorted (and harmless).
    for (size_t j = c.size() + 1; j < r.values.size(); ++j) r.values[j] = c.empty() ? 0.0f : r.values[c.size()];
    // Nearest shared value: the same midpoints as the clustering, in double (between two
    // neighbouring floats too).
    for (size_t j = 1; j < c.size(); ++j) r.mid.push_back(0.5 * (c[j - 1] + c[j]));
    return r;
}

// CodebookOptions::step's grid: +-step, +-2 step, ... up to the largest |w|, at most 127 a side.
Codebook uniformCodebook(const float* w, int64_t n, const CodebookOptions& o, float pruneThreshold) {
    double sw = 0.0, big = 0.0;
    for (int64_t i = 0; i < n; ++i) sw += static_cast<double>(w[i]) * w[i], big = std::max(big, static_cast<double>(std::fabs(w[i])));
    const double step = o.step * std::sqrt(sw / static_cast<double>(std::max<int64_t>(1, n)));
    const int side = step > 0 ? static_cast<int>(std::min(127.0, std::ceil(big / step - 0.5))) : 0;
    std::vector<double> c;
    for (int j = side; j >= 1; --j) c.push_back(-j * step);
    for (int j = 1; j <= side; ++j) c.push_back(j * step);
    int bits = kMinBits;
    while ((size_t{1} << bits) < c.size() + 1) ++bits;
    return codebookOf(c, bits, pruneThreshold);
}

}  // namespace

int SharedWeights::bits() const {
    int b = 0;
    while ((size_t{1} << b) < codebook.size()) ++b;
    return b;
}

bool Codebook::pruned(float w) const { return w == 0.0f || std::fabs(w) <= pruneThreshold; }

uint8_t Codebook::nearest(double w, bool orZero) const {
    const auto s = static_cast<uint8_t>(1 + (std::lower_bound(mid.begin(), mid.end(), w) - mid.begin()));
    if (orZero && std::fabs(w) < std::fabs(w - static_cast<double>(values[s]))) return 0;
    return s;
}

Codebook fitCodebook(const float* w, int64_t n, const CodebookOptions& o) {
    if (o.bits < 1 || o.bits > 8) throw Error("the codebook index width must be 1 to 8 bits, not " + std::to_string(o.bits));
    if (!(o.sparsity >= 0.0 && o.sparsity < 1.0)) throw Error("the sparsity must be in [0, 1)");
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(w[i])) throw Error("the weights hold a NaN or infinite value; such a model cannot be compressed");
    Codebook r;
    // Prune: the `sparsity` fraction of smallest magnitudes (exact zeros always).
    const int64_t prune = static_cast<int64_t>(std::floor(o.sparsity * static_cast<double>(n)));
    if (prune > 0) {
        std::vector<float> mags(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) mags[static_cast<size_t>(i)] = std::fabs(w[i]);
        std::nth_element(mags.begin(), mags.begin() + (prune - 1), mags.end());
        r.pruneThreshold = mags[static_cast<size_t>(prune - 1)];
    }
    if (o.step > 0) return uniformCodebook(w, n, o, r.pruneThreshold);
    std::vector<float> kept;
    kept.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        if (!r.pruned(w[i])) kept.push_back(w[i]);
    std::sort(kept.begin(), kept.end());

    const size_t k = (size_t{1} << o.bits) - 1;
    std::vector<double> c;
    std::vector<float> distinct = kept;
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    if (distinct.size() <= k) {
        c.assign(distinct.begin(), distinct.end());
    } else {
        const double lo = kept.front(), hi = kept.back();
        for (size_t j = 0; j < k; ++j) c.push_back(lo + (hi - lo) * static_cast<double>(j) / static_cast<double>(k - 1));
        lloyd(kept, c);
    }
    return codebookOf(c, o.bits, r.pruneThreshold);
}

SharedWeights sharedWeightsOf(const Codebook& c, const float* w, int64_t n, std::vector<uint8_t> symbols) {
    SharedWeights r;
    r.codebook = c.values;
    r.symbols = std::move(symbols);
    double se = 0.0, sw = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t s = r.symbols[static_cast<size_t>(i)];
        r.pruned += s == 0;
        const double e = static_cast<double>(r.codebook[s]) - w[i];
        se += e * e, sw += static_cast<double>(w[i]) * w[i];
        r.maxAbsError = std::max(r.maxAbsError, std::fabs(e));
    }
    r.rmsError = n ? std::sqrt(se / static_cast<double>(n)) : 0.0;
    r.rmsWeight = n ? std::sqrt(sw / static_cast<double>(n)) : 0.0;
    return r;
}

SharedWeights shareWeights(const float* w, int64_t n, const CodebookOptions& o) {
    const Codebook c = fitCodebook(w, n, o);
    std::vector<uint8_t> symbols(static_cast<size_t>(n), 0);
    if (c.used > 0)
        for (int64_t i = 0; i < n; ++i)
            if (!c.pruned(w[i])) symbols[static_cast<size_t>(i)] = c.nearest(w[i], o.step > 0);
    return sharedWeightsOf(c, w, n, std::move(symbols));
}

}  // namespace percept::compressed
