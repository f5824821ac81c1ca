// SPDX-License-Identifier: Apache-2.0
#include "compressed/codebook.h"

#include <algorithm>
#include <cmath>

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

}  // namespace

SharedWeights shareWeights(const float* w, int64_t n, const CodebookOptions& o) {
    if (o.bits < 1 || o.bits > 8) throw Error("the codebook index width must be 1 to 8 bits, not " + std::to_string(o.bits));
    if (!(o.sparsity >= 0.0 && o.sparsity < 1.0)) throw Error("the sparsity must be in [0, 1)");
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(w[i])) throw Error("the weights hold a NaN or infinite value; such a model cannot be compressed");
    SharedWeights r;
    // Prune: the `sparsity` fraction of smallest magnitudes (exact zeros always).
    float threshold = -1.0f;
    const int64_t prune = static_cast<int64_t>(std::floor(o.sparsity * static_cast<double>(n)));
    if (prune > 0) {
        std::vector<float> mags(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) mags[static_cast<size_t>(i)] = std::fabs(w[i]);
        std::nth_element(mags.begin(), mags.begin() + (prune - 1), mags.end());
        threshold = mags[static_cast<size_t>(prune - 1)];
    }
    auto pruned = [&](float x) { return x == 0.0f || std::fabs(x) <= threshold; };
    std::vector<float> kept;
    kept.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        if (!pruned(w[i])) kept.push_back(w[i]);
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
    r.codebook.assign(size_t{1} << o.bits, 0.0f);
    for (size_t j = 0; j < c.size(); ++j) r.codebook[j + 1] = static_cast<float>(c[j]);
    // Unused entries repeat the last value so the codebook stays sorted (and harmless).
    for (size_t j = c.size() + 1; j < r.codebook.size(); ++j) r.codebook[j] = c.empty() ? 0.0f : r.codebook[c.size()];

    // Nearest shared value for every kept weight: the same midpoints as the clustering.
    std::vector<double> mid;  // in double: between two neighbouring floats too
    for (size_t j = 1; j < c.size(); ++j) mid.push_back(0.5 * (c[j - 1] + c[j]));
    r.symbols.resize(static_cast<size_t>(n));
    double se = 0.0, sw = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const float x = w[i];
        uint8_t s = 0;
        if (!pruned(x)) s = static_cast<uint8_t>(1 + (std::lower_bound(mid.begin(), mid.end(), static_cast<double>(x)) - mid.begin()));
        else ++r.pruned;
        r.symbols[static_cast<size_t>(i)] = s;
        const double e = static_cast<double>(r.codebook[s]) - x;
        se += e * e, sw += static_cast<double>(x) * x;
        r.maxAbsError = std::max(r.maxAbsError, std::fabs(e));
    }
    r.rmsError = n ? std::sqrt(se / static_cast<double>(n)) : 0.0;
    r.rmsWeight = n ? std::sqrt(sw / static_cast<double>(n)) : 0.0;
    return r;
}

}  // namespace percept::compressed
