#pragma once
// Strided loop nests for the data-movement ops, planned once from shapes and shared by every
// backend: numpy broadcasting (elementwise ops, MatMul's batch axes) and Transpose. Size-1
// axes are dropped and adjacent axes that move alike are merged, so a backend walks the
// shortest nest; each plan keeps at least one axis.
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

// The same for any number of operands (Where's three, the variadic Sum/Min/Max): st[i][k] is
// operand i's stride on axis k. planBroadcast is this with two operands.
struct BroadcastNestN {
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> st;
};
BroadcastNestN planBroadcastN(const std::vector<Shape>& operands, const Shape& out);

// y = transpose(x, perm): the output walked in order, dims[k] iterations stepping st[k]
// elements through x. `perm` must be a permutation of x's axes (checked by the caller).
struct TransposeNest {
    std::vector<int64_t> dims, st;
};
TransposeNest planTranspose(const Shape& x, const std::vector<int64_t>& perm);

}  // namespace percept::graph
