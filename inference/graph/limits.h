// SPDX-License-Identifier: Apache-2.0
#pragma once
// Caps that stop a hostile or broken model from exhausting memory or time. Real ImageNet
// classifiers are far inside all of them.
#include <cstddef>
#include <cstdint>

namespace percept::graph {

inline constexpr int kMaxRank = 8;
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;  // 1 GiB of fp32
// A session's planned activation arena may not exceed this.
inline constexpr size_t kMaxArenaBytes = size_t{2} << 30;
inline constexpr int kMaxNodes = 100000;
inline constexpr int64_t kMinOpset = 6;
inline constexpr int64_t kMaxOpset = 21;

}  // namespace percept::graph
