// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-quantize's graph side: which tensors of a float ONNX model to quantise, and writing
// the model back in the standard QDQ form (ONNX Runtime's quantiser writes the same shape, so
// ONNX Runtime and Percept both run the file):
//   - each chosen activation tensor t: t -> QuantizeLinear -> DequantizeLinear, and the nodes
//     that read t quantised read the DequantizeLinear's output (uint8, asymmetric);
//   - Conv / Gemm / MatMul weights: an int8 initializer, symmetric, one scale per output
//     channel (--per-channel) or one for the tensor, through DequantizeLinear (or their own
//     exact 8-bit grid, when they lie on one);
//   - their biases: int32 with scale input scale x weight scale, through DequantizeLinear.
// The model is first brought to opset 13 (ONNX's version converter) where it is older:
// per-channel DequantizeLinear needs it.
#include <map>
#include <onnx/onnx_pb.h>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace percept::tools {

// The activation tensors to quantise: every tensor a quantisable node (Conv, Gemm, MatMul with
// an initializer for weights, Add, Concat, the pools, the views, unary activations) reads as
// data -- except the output of a Conv/Gemm/MatMul/Add read only by an activation (the engine
// fuses the two, so only the activation's output is quantised) and a tensor whose quantised
// readers are only views whose outputs are not themselves quantised (the classifier's logits
// after GlobalAveragePool and Flatten stay float).
std::vector<std::string> tensorsToQuantize(const onnx::GraphProto& g);

// Ranges that must be equal so the engine moves bytes instead of rescaling: a MaxPool's or a
// view's output takes its input's range, and a Concat's inputs that only it reads take its
// output's (the union of theirs). Applied in graph order to the calibrated ranges.
void tieRanges(const onnx::GraphProto& g, std::map<std::string, std::pair<float, float>>& ranges);

// Rewrites `m` (already at opset >= 13) into QDQ form with the given activation ranges
// ([lo, hi], lo <= 0 <= hi; a tensor without a range stays float). Weights that already lie on
// an 8-bit grid (a model dequantised from a quantised original) keep it exactly, with a zero
// point where the grid needs one; returns how many did.
int writeQdq(onnx::ModelProto& m, const std::map<std::string, std::pair<float, float>>& ranges, bool perChannel);

// BatchNormalization (inference form) right after a Conv that only it reads, all its parameters
// initializers, is folded into the Conv's weights and bias, as PyTorch's exporter does in eval
// mode and ONNX Runtime's quantiser expects done: the int8 weights must be the folded ones.
// Returns how many were folded.
int foldBatchNorms(onnx::GraphProto& g);

// The model at `opset` or later (ONNX's version converter); unchanged when already there.
onnx::ModelProto atLeastOpset(const onnx::ModelProto& m, int opset);

}  // namespace percept::tools
