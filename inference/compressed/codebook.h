// SPDX-License-Identifier: Apache-2.0
#pragma once
// The lossy half of percept-compress (Deep Compression, Han et al. 2016, without the
// retraining): magnitude pruning, then weight sharing through a per-tensor 1-D k-means
// codebook. Its output is what coded_tensor.h entropy-codes.
#include <cstdint>
#include <vector>

namespace percept::compressed {

struct CodebookOptions {
    int bits = 6;           // index width: 2^bits - 1 shared values plus the pruned 0.0
    double sparsity = 0.0;  // fraction of the tensor's weights, smallest magnitudes first, set to 0
    // When > 0: instead of k-means, the multiples of step x the tensor's RMS weight (0 among
    // them), as many as its largest weight needs up to 255 values (`bits` then follows from
    // their number). With entropy-coded indices this is the better code: k-means spreads the
    // weights evenly over its values, which leaves the entropy coder nothing to gain, while
    // a uniform grid's values near 0 are frequent and cheap (an entropy-constrained scalar
    // quantiser; Gish and Pierce 1968). The zeros come from the grid, not from pruning.
    double step = 0.0;
};

// A tensor's shared values and which of its weights are pruned.
struct Codebook {
    std::vector<float> values;     // 2^bits values, sorted after [0] = 0.0 (pruned)
    float pruneThreshold = -1.0f;  // |w| <= this (and w == 0) is pruned
    bool pruned(float w) const;
    // The index of the shared value nearest to w, among [1, 2^bits) (a kept weight), or
    // among all of them, 0.0 included (`orZero`).
    uint8_t nearest(double w, bool orZero = false) const;

    std::vector<double> mid;       // between neighbouring values of [1, used]: nearest()'s bounds
    int used = 0;                  // the number of distinct shared values after [0]
};

struct SharedWeights {
    std::vector<float> codebook;   // 2^bits values; [0] = 0.0 (pruned)
    std::vector<uint8_t> symbols;  // per weight: its codebook index
    double maxAbsError = 0.0;      // over the tensor, pruned weights included
    double rmsError = 0.0;
    double rmsWeight = 0.0;
    int64_t pruned = 0;            // weights coded as 0 (exact zeros in the input included)
    int bits() const;              // log2 of the codebook's size: the index width
};

// Prunes then clusters w[0, n). The codebook starts evenly spaced between the smallest and
// the largest kept weight (Deep Compression found this "linear" start keeps the rare large
// weights, which matter most, better than density-based starts) and is refined by Lloyd's
// iterations on the sorted weights. A tensor with at most 2^bits - 1 distinct kept values
// (an already quantised model) is represented exactly.
Codebook fitCodebook(const float* w, int64_t n, const CodebookOptions& options);

// The weights coded by their nearest shared value (pruned ones by 0): fitCodebook, then each
// weight on its own.
SharedWeights shareWeights(const float* w, int64_t n, const CodebookOptions& options);

// The shared weights for `symbols` chosen for w[0, n) (by shareWeights or by the compensated
// choice, compensated_sharing.h), with their errors against w.
SharedWeights sharedWeightsOf(const Codebook& c, const float* w, int64_t n, std::vector<uint8_t> symbols);

}  // namespace percept::compressed
