// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-compress --calibrate: which layers' weights it codes, how each weight tensor lies as
// rows x columns of a matrix product, and the moments of the layer's inputs summed over the
// calibration photos (what compensated_sharing.h needs).
#include <map>
#include <string>
#include <vector>

#include "compressed/compensated_sharing.h"
#include "graph/ir.h"

namespace percept::compressed {

struct LayerCalibration {
    std::string weights;  // the weight value's name
    int node = -1;        // the Conv, Gemm or MatMul that reads them
    CodebookOptions codebook;  // how this layer is coded (percept-compress --target-ratio picks it per layer)
    WeightRows layout;
    InputMoments moments;
};

// Every weight tensor writeCompressedModel codes (codableWeights) that is read by a Conv with 1
// to 3 spatial axes, a Gemm (transA = 0) or a MatMul with a 2-D B, with its moments empty.
// Weights of any other layer (ConvTranspose) are coded without calibration.
std::vector<LayerCalibration> layersToCalibrate(const graph::Graph& g, int64_t minElements);

// Adds one run's input of the layer (the value its node reads as data, as a session computed
// it: one image, or a batch) to its moments.
void addLayerInput(LayerCalibration& layer, const graph::Graph& g, const float* x);

}  // namespace percept::compressed
