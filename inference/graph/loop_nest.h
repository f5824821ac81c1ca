// SPDX-License-Identifier: Apache-2.0
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

// The same for any number of operands (Where's three, the variadic Sum/Min/Max): st[i][k] is
// operand i's stride on axis k. planBroadcast is this with two operands.
struct BroadcastNestN {
    std::vector<int64_t> dims;
    std::vector<std::vector<int64_t>> st;
};
BroadcastNestN planBroadcastN(const std::vector<Shape>& operands, const Shape& out);

// ---- Ops along axes (reduce family: Softmax/LogSoftmax/Hardmax, Reduce*, ArgMax, CumSum,
// the normalisations) ---------------------------------------------------------------------

// x viewed as [outer, len, inner] around `axis` (in [0, rank)); with toEnd, len spans every
// axis from `axis` on and inner is 1 (Softmax at opset < 13, LayerNormalization).
struct AxisSplit {
    int64_t outer = 1, len = 1, inner = 1;
};
AxisSplit splitAtAxis(const Shape& x, int64_t axis, bool toEnd = false);

// y = reduce(x over `axes`) (sorted, distinct, in [0, rank)): the outputs walked in order over
// the kept axes (keptDims, stepping keptStrides elements through x), each reducing over the
// reduced axes (redDims / redStrides, walked row-major). Size-1 axes are dropped and adjacent
// axes of the same kind merged, so at most ceil(rank / 2) blocks of each kind remain. keptDims
// may be empty (one output); redDims never is: a reduction over no axis (noop_with_empty_axes,
// or only size-1 axes) is one over a single element, {1} with stride 1.
struct ReduceNest {
    std::vector<int64_t> keptDims, keptStrides, redDims, redStrides;
    int64_t outputs() const;  // product of keptDims
    int64_t reduced() const;  // product of redDims: the elements behind each output
    // The trailing kept block when it is the input's last axis (stride 1): outputs that many
    // apart in x are neighbours in y, so a kernel can reduce whole rows of them at once. 1 when
    // the input's last axis is reduced (each output then reduces contiguous runs).
    int64_t inner() const;
};
ReduceNest planReduce(const Shape& x, const std::vector<int64_t>& axes);

// Offset in x of the i-th element (row-major) of the first `count` axes of a nest of dims /
// strides; i must be below their product (so the outermost axis needs no remainder).
inline int64_t nestOffset(int64_t i, const std::vector<int64_t>& dims, const std::vector<int64_t>& strides, size_t count) {
    if (count == 0) return 0;
    int64_t off = 0;
    for (size_t k = count - 1; k > 0; --k) {
        const int64_t q = i / dims[k];
        off += (i - q * dims[k]) * strides[k];
        i = q;
    }
    return off + i * strides[0];
}

}  // namespace percept::graph
