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
};

struct SharedWeights {
    std::vector<float> codebook;   // 2^bits values; [0] = 0.0 (pruned)
    std::vector<uint8_t> symbols;  // per weight: its codebook index
    double maxAbsError = 0.0;      // over the tensor, pruned weights included
    double rmsError = 0.0;
    double rmsWeight = 0.0;
    int64_t pruned = 0;            // weights set to 0 (exact zeros in the input included)
};

// Prunes then clusters w[0, n). The codebook starts evenly spaced between the smallest and
// the largest kept weight (Deep Compression found this "linear" start keeps the rare large
// weights, which matter most, better than density-based starts) and is refined by Lloyd's
// iterations on the sorted weights. A tensor with at most 2^bits - 1 distinct kept values
// (an already quantised model) is represented exactly.
SharedWeights shareWeights(const float* w, int64_t n, const CodebookOptions& options);

}  // namespace percept::compressed
