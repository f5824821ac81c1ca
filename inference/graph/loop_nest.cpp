#include "graph/loop_nest.h"

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

TransposeNest planTranspose(const Shape& x, const std::vector<int64_t>& perm) {
    const size_t rank = x.size();
    std::vector<int64_t> stride(rank, 1);
    for (size_t k = rank; k-- > 1;) stride[k - 1] = stride[k] * x[k];
    // Output axes in order, each with its input stride; an axis merged into the previous one
    // when they are also adjacent (in order) in the input.
    TransposeNest nest;
    int64_t prevAxis = -2;
    for (const int64_t p : perm) {
        if (x[p] == 1) continue;
        if (!nest.dims.empty() && p == prevAxis + 1) {
            nest.dims.back() *= x[p];
            nest.st.back() = stride[p];
        } else {
            nest.dims.push_back(x[p]);
            nest.st.push_back(stride[p]);
        }
        prevAxis = p;
    }
    if (nest.dims.empty()) nest = {{1}, {1}};
    return nest;
}

}  // namespace percept::graph
