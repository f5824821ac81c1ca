// SPDX-License-Identifier: Apache-2.0
#pragma once
// Random-weight ResNet-18 and MobileNetV2 graphs written as ONNX the way PyTorch exports them
// (Conv + BatchNormalization + Relu/Clip, residual Add, GlobalAveragePool, and the
// Shape/Gather/Unsqueeze/Concat/Reshape chain in front of the classifier), so benchmarks and
// tests have the two architectures the peers are usually measured on without shipping weights.
#include <cstdint>
#include <string>

namespace percept::tools {

enum class SyntheticArch { ResNet18, MobileNetV2 };

// Serialized ONNX ModelProto (ResNet-18: opset 11, MobileNetV2: opset 10), input "data" [1,3,size,size], output "logits" [1,1000].
// Weights are He-initialised from `seed`; BatchNorm statistics are random but well conditioned.
std::string makeSyntheticModel(SyntheticArch arch, int size = 224, uint32_t seed = 1);
bool parseSyntheticArch(const std::string& name, SyntheticArch& out);

}  // namespace percept::tools
