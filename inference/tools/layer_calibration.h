// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-compress --calibrate: the calibration photos run through the model to code each
// layer against its inputs (compressed/compensated_sharing.h), and --target-ratio's choice of
// each layer's bits and pruning.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "compressed/input_moments.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

namespace percept::tools {

// The photos of `dir` (photosIn: at most `maxImages`, 0 for all) through the model's
// preprocessing, each followed by its mirror image: twice the inputs for the moments, from
// photos whose classes do not change under it.
std::vector<Tensor> calibrationInputs(const std::string& dir, int maxImages, const models::InputSpec& input);

// GPTQ's order: layer by layer in the graph's order, each layer coded (with its own `codebook`)
// against its input moments taken from the model with the layers before it already coded, so
// each compensates what the ones before it lost. Returns the coded weights by value name
// (CompressOptions::precoded); a layer whose input the optimised graph does not keep is left
// out (coded without calibration).
std::map<std::string, compressed::SharedWeights> calibrateInOrder(const Model& model, const std::vector<Tensor>& photos,
                                                                  std::vector<compressed::LayerCalibration> layers);

// Chooses every layer's codebook options among `candidates` so that the layers' coded bytes
// fit `budget` with the least damage: each candidate is tried on each layer alone (coded
// against the float model's inputs, every other layer float) and scored by the mean
// Kullback-Leibler divergence of the model's class probabilities on the photos from the
// float model's; the sum over layers is minimised under the budget by a Lagrange multiplier
// (Shoham and Gersho's allocation). Throws percept::Error when even the smallest candidates
// do not fit. `verbose` prints every layer's choice.
void allocateBits(const Model& model, const std::vector<Tensor>& photos, std::vector<compressed::LayerCalibration>& layers,
                  const std::vector<compressed::CodebookOptions>& candidates, size_t budget, bool verbose);

}  // namespace percept::tools
