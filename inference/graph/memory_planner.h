#pragma once
// Liveness-based activation memory plan, shared by every backend. Each non-constant value
// (graph input, intermediate, output) gets an offset in one arena; two values share bytes
// only when their lifetimes [producer, last reader] do not overlap, so a tensor's memory is
// reused as soon as its last reader has run.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

struct MemoryPlan {
    std::vector<int64_t> offsets;  // bytes, per value; -1 for constants and unused values
    size_t arenaBytes = 0;          // peak: what the arena needs
    size_t naiveBytes = 0;          // sum of all activation tensors (no reuse), for comparison
};

// elementBytes: 4 for fp32, 2 for fp16 storage. alignment: offset alignment in bytes.
MemoryPlan planMemory(const Graph& g, size_t elementBytes = 4, size_t alignment = 64);

}  // namespace percept::graph
