// SPDX-License-Identifier: Apache-2.0
#pragma once
// IEEE half precision and bfloat16 <-> fp32: fp16 initializers are widened at import, the
// Vulkan backend stores weights and activations as fp16 when asked to.
#include <cstdint>

namespace percept::graph {

// fp32 -> fp16 (round to nearest even; overflow to infinity).
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
float bfloat16ToFloat(uint16_t h);

}  // namespace percept::graph
