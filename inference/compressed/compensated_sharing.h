// SPDX-License-Identifier: Apache-2.0
#pragma once
// Data-aware weight sharing (percept-compress --calibrate): the same per-tensor codebook and
// pruning as codebook.h, but each row's weights are coded one after another and the error
// each makes is pushed onto the weights not yet coded, in proportion to how the layer's
// inputs correlate (Optimal Brain Surgeon's update, in GPTQ's form: Frantar et al., "GPTQ:
// Accurate Post-Training Quantization for Generative Pre-trained Transformers", 2023; with a
// fixed pruning mask, SparseGPT's). Rounding each weight to its nearest value minimises the
// weights' error; this minimises the layer's output error on the calibration inputs, which
// is what the classes depend on -- and what lets 4-bit codebooks keep a model's answers.
#include <cstdint>
#include <vector>

#include "compressed/codebook.h"

namespace percept::compressed {

// The second moments of a layer's inputs as its weights see them: per group of output rows,
// the sum over every calibration input column x (im2col'd for a conv: input channel, then
// kernel depth, row, column) of x x^T, cols x cols, row-major.
struct InputMoments {
    int64_t groups = 1;
    int64_t cols = 0;
    int64_t samples = 0;     // columns summed (per group)
    std::vector<double> xx;  // groups x cols x cols
};

// Where weight (row r, column c) of a layer lies in its tensor: r * rowStride + c * colStride
// (a Conv's [M, C/group, k...] is rowStride = C/group * taps, colStride = 1; a MatMul's B
// [K, N] is rowStride = 1, colStride = N). Rows split evenly into `moments.groups` groups.
struct WeightRows {
    int64_t rows = 0, cols = 0, rowStride = 0, colStride = 1;
};

// What the compensation needs from one group's moments, whatever the codebook: GPTQ's column
// order (the largest inputs first) and the upper Cholesky factor U of the damped inverse
// (H + damping)^-1 = U^T U in that order (empty when it would not invert: the weights then take
// their nearest values).
struct CompensationBasis {
    std::vector<int> order;
    std::vector<double> u;  // cols x cols, row-major
};
std::vector<CompensationBasis> compensationBases(const InputMoments& moments);

// Codes w like shareWeights (same codebook, same pruned weights), choosing every kept weight's
// value with the errors of the weights before it in its row compensated. `bases`: one per
// group of rows (compensationBases).
SharedWeights shareWeightsCompensated(const float* w, int64_t n, const WeightRows& layout, const std::vector<CompensationBasis>& bases,
                                      const CodebookOptions& options);

}  // namespace percept::compressed
