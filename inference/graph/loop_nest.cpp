// SPDX-License-Identifier: Apache-2.0
#include "graph/loop_nest.h"

#include <algorithm>

namespace percept::graph {

std::vector<int64_t> broadcastStrides(const Shape& s, size_t rank, int64_t item) {
    std::vector<int64_t> st(rank, 0);
    int64_t step = item;
    for (size_t k = 0; k < s.size(); ++k) {
        const size_t axis = s.size() - 1 - k, out = rank - 1 - k;
        st[out] = s[axis] == 1 ? 0 : step;
        step *= s[axis];
    }
    return st;
}

BroadcastNestN planBroadcastN(const std::vector<Shape>& operands, const Shape& out) {
    const size_t rank = out.size(), n = operands.size();
    std::vector<std::vector<int64_t>> full(n);
    for (size_t i = 0; i < n; ++i) full[i] = broadcastStrides(operands[i], rank);
    BroadcastNestN nest;
    nest.st.resize(n);
    for (size_t k = 0; k < rank; ++k) {
        if (out[k] == 1) continue;  // size-1 axes move nothing
        // Axis k continues the previous one in every operand: merge.
        bool merge = !nest.dims.empty();
        for (size_t i = 0; i < n && merge; ++i) merge = nest.st[i].back() == full[i][k] * out[k];
        if (merge) {
            nest.dims.back() *= out[k];
            for (size_t i = 0; i < n; ++i) nest.st[i].back() = full[i][k];
        } else {
            nest.dims.push_back(out[k]);
            for (size_t i = 0; i < n; ++i) nest.st[i].push_back(full[i][k]);
        }
    }
    if (nest.dims.empty()) {  // a single element
        nest.dims = {1};
        for (auto& s : nest.st) s = {0};
    }
    return nest;
}

BroadcastNest planBroadcast(const Shape& a, const Shape& b, const Shape& out) {
    BroadcastNestN nest = planBroadcastN({a, b}, out);
    return {std::move(nest.dims), std::move(nest.st[0]), std::move(nest.st[1])};
}

// ---- Ops along axes (reduce family) ----

AxisSplit splitAtAxis(const Shape& x, int64_t axis, bool toEnd) {
    AxisSplit s;
    for (size_t k = 0; k < x.size(); ++k) {
        const int64_t a = static_cast<int64_t>(k);
        if (a < axis) s.outer *= x[k];
        else if (a == axis || toEnd) s.len *= x[k];
        else s.inner *= x[k];
    }
    return s;
}

int64_t ReduceNest::outputs() const {
    int64_t p = 1;
    for (int64_t d : keptDims) p *= d;
    return p;
}

int64_t ReduceNest::reduced() const {
    int64_t p = 1;
    for (int64_t d : redDims) p *= d;
    return p;
}

int64_t ReduceNest::inner() const { return !keptStrides.empty() && keptStrides.back() == 1 ? keptDims.back() : 1; }

ReduceNest planReduce(const Shape& x, const std::vector<int64_t>& axes) {
    ReduceNest nest;
    int64_t stride = 1;
    int lastKind = -1;  // 0 kept, 1 reduced: the kind of the block the previous (outer-side) axis joined
    // Walk from the innermost axis out, so each block's stride is its innermost axis's.
    std::vector<int64_t> kd, ks, rd, rs;
    for (size_t k = x.size(); k-- > 0;) {
        const int64_t d = x[k];
        if (d == 1) continue;  // moves nothing
        const int kind = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(k)) ? 1 : 0;
        auto& dims = kind ? rd : kd;
        auto& strides = kind ? rs : ks;
        if (kind == lastKind) {
            dims.back() *= d;  // continues the block one axis in: same stride
        } else {
            dims.push_back(d);
            strides.push_back(stride);
        }
        lastKind = kind;
        stride *= d;
    }
    nest.keptDims.assign(kd.rbegin(), kd.rend());
    nest.keptStrides.assign(ks.rbegin(), ks.rend());
    nest.redDims.assign(rd.rbegin(), rd.rend());
    nest.redStrides.assign(rs.rbegin(), rs.rend());
    if (nest.redDims.empty()) nest.redDims = {1}, nest.redStrides = {1};
    return nest;
}

}  // namespace percept::graph
