#pragma once
// Caps that stop a hostile or broken model from exhausting memory or time. Real ImageNet
// classifiers are far inside all of them.
#include <cstdint>

namespace percept::graph {

inline constexpr int kMaxRank = 8;
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 30;  // 4 GiB of fp32
inline constexpr int kMaxNodes = 100000;
inline constexpr int64_t kMinOpset = 6;
inline constexpr int64_t kMaxOpset = 18;

}  // namespace percept::graph
