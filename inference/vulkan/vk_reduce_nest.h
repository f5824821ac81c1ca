// SPDX-License-Identifier: Apache-2.0
#pragma once
// graph::ReduceNest as the reduction shaders read it in their push constants
// (shaders/reduce_nest.glsl): the reductions (vk_reduce.cpp) and normalisations (vk_norm.cpp).
#include <cstdint>

#include "graph/loop_nest.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

struct ReduceNestPush {
    uint32_t outCount, redCount, nKept, nRed;
    uint32_t keptDims[4], keptStrides[4], redDims[4], redStrides[4];
};

// Fails (naming the node) when a count or offset does not fit the shaders' 32-bit indices.
ReduceNestPush reduceNestPush(Builder& b, const graph::ReduceNest& nest);

}  // namespace percept::vk
