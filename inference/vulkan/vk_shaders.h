// SPDX-License-Identifier: Apache-2.0
#pragma once
// The SPIR-V of inference/vulkan/shaders/*.comp, compiled by glslc at build time and embedded
// by embed_spirv.cmake into a generated source file. Each shader exists twice: "<name>_fp32"
// and "<name>_fp16" (tensors stored as float16_t, arithmetic in fp32); those that mention
// FP16_ARITH a third time, "<name>_fp16a" (fp16 storage and arithmetic).
#include <cstddef>
#include <cstdint>

namespace percept::vk {

struct EmbeddedShader {
    const char* name;
    const uint32_t* words;
    size_t wordCount;
};

// nullptr when no shader has that name.
const EmbeddedShader* findEmbeddedShader(const char* name);

}  // namespace percept::vk
