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

BroadcastNest planBroadcast(const Shape& a, const Shape& b, const Shape& out) {
    const size_t rank = out.size();
    const auto sa = broadcastStrides(a, rank), sb = broadcastStrides(b, rank);
    BroadcastNest nest;
    for (size_t k = 0; k < rank; ++k) {
        if (out[k] == 1) continue;  // size-1 axes move nothing
        if (!nest.dims.empty() && nest.sa.back() == sa[k] * out[k] && nest.sb.back() == sb[k] * out[k]) {
            // Axis k continues the previous one in both operands: merge.
            nest.dims.back() *= out[k];
            nest.sa.back() = sa[k];
            nest.sb.back() = sb[k];
        } else {
            nest.dims.push_back(out[k]);
            nest.sa.push_back(sa[k]);
            nest.sb.push_back(sb[k]);
        }
    }
    if (nest.dims.empty()) nest = {{1}, {0}, {0}};  // a single element
    return nest;
}

}  // namespace percept::graph
