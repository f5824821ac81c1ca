// SPDX-License-Identifier: Apache-2.0
#pragma once
// The data-movement ops that are pure index mappings (Transpose, Slice, Split, Expand, Tile,
// DepthToSpace, SpaceToDepth, and the dense copies Reshape / Flatten / Squeeze / Unsqueeze /
// Identity) as ONE mechanism: a strided view of the input. The output is walked in row-major
// order over `dims`; each axis steps `st` input elements (0 repeats, negative walks back)
// from `offset`. Each op only builds its view (viewOf, from the node's canonical attributes);
// every backend and the constant folder run the same copy. Size-1 axes are dropped and axes
// that step alike are merged (merged()), so Transpose(0,2,1,3,4) of a channel shuffle becomes
// three axes whose innermost is a contiguous run of H*W values.
#include <cstdint>
#include <optional>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

struct StridedView {
    std::vector<int64_t> dims;  // the output, walked in row-major order
    std::vector<int64_t> st;    // per axis: input elements stepped
    int64_t offset = 0;         // input element read by output element 0

    // The identity view of a dense row-major tensor of shape `s`.
    static StridedView dense(const Shape& s);
    int64_t count() const;

    // Output axes reordered: new axis k is old axis perm[k].
    void permute(const std::vector<int64_t>& perm);
    // Axis `axis` keeps `count` elements from `start` every `step` (step != 0, in range).
    void slice(size_t axis, int64_t start, int64_t step, int64_t count);
    // Axis `axis`, of size product(parts), becomes the axes `parts` (outermost first).
    void split(size_t axis, const std::vector<int64_t>& parts);
    // Every axis d becomes two, (reps[d], dims[d]), the outer one repeating the data (Tile).
    void tile(const std::vector<int64_t>& reps);
    // Numpy broadcast to `out` (right-aligned; size-1 axes and new leading axes repeat).
    void broadcastTo(const Shape& out);
    // Size-1 axes dropped, adjacent axes that continue each other merged; at least one axis.
    StridedView merged() const;
    // A merged view that reads its input as it is: one contiguous run from element 0.
    bool isIdentity() const { return dims.size() == 1 && st[0] == 1 && offset == 0; }
};

// Whether the op is a pure index mapping that viewOf describes.
bool isViewOp(OpKind op);
// The merged view computing output k of a view op from its input 0, read from the node's
// canonical attributes (set by its schema) and shapes.
StridedView viewOf(const Graph& g, const Node& n, size_t k = 0);

// out[i] = in[view(i)] for the output rows [r0, r1): a row is the innermost axis, the rows
// are every other axis in order. A contiguous inner run is one memcpy-able loop.
template <class T>
void copyViewRows(const StridedView& v, const T* in, T* out, int64_t r0, int64_t r1) {
    const size_t outer = v.dims.size() - 1;
    const int64_t inner = v.dims.back(), is = v.st.back();
    // Coordinates of row r0 over the outer axes, then advanced like an odometer.
    std::vector<int64_t> c(outer, 0);
    int64_t off = v.offset, rem = r0;
    for (size_t k = outer; k-- > 0;) {
        c[k] = rem % v.dims[k];
        rem /= v.dims[k];
        off += c[k] * v.st[k];
    }
    for (int64_t r = r0; r < r1; ++r) {
        const T* src = in + off;
        T* dst = out + r * inner;
        if (is == 1) {
            for (int64_t j = 0; j < inner; ++j) dst[j] = src[j];
        } else {
            for (int64_t j = 0; j < inner; ++j) dst[j] = src[j * is];
        }
        for (size_t k = outer; k-- > 0;) {
            off += v.st[k];
            if (++c[k] < v.dims[k]) break;
            off -= c[k] * v.st[k];
            c[k] = 0;
        }
    }
}

// Rows of a view: the product of every axis but the innermost.
inline int64_t viewRows(const StridedView& v) {
    int64_t r = 1;
    for (size_t k = 0; k + 1 < v.dims.size(); ++k) r *= v.dims[k];
    return r;
}

}  // namespace percept::graph
