#pragma once
// Strided loop nests planned once from shapes and shared by every backend: numpy broadcasting
// (elementwise ops, MatMul's batch axes). Size-1 axes are dropped and adjacent axes that move
// alike are merged, so a backend walks the shortest nest; each plan keeps at least one axis.
// The data-movement ops' index mappings (Transpose, Slice ...) are graph/strided_view.h.
#include <cstdint>
#include <vector>

#include "percept/tensor.h"

namespace percept::graph {

// Element strides of `s`'s axes right-aligned to `rank` axes, for items of `item` elements
// each (a MatMul batch axis steps over whole matrices); 0 on axes `s` repeats along (size 1
// or missing).
std::vector<int64_t> broadcastStrides(const Shape& s, size_t rank, int64_t item = 1);

// out = op(a, b) with broadcasting: dims[k] iterations, a and b advancing sa[k] / sb[k]
// elements on axis k (0 = repeated). dims.back() is the innermost run.
struct BroadcastNest {
    std::vector<int64_t> dims, sa, sb;
};
BroadcastNest planBroadcast(const Shape& a, const Shape& b, const Shape& out);

}  // namespace percept::graph
