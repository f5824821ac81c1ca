// SPDX-License-Identifier: Apache-2.0
#include "graph/strided_view.h"

#include "percept/error.h"

namespace percept::graph {

StridedView StridedView::dense(const Shape& s) {
    StridedView v;
    v.dims = s;
    v.st.assign(s.size(), 1);
    for (size_t k = s.size(); k-- > 1;) v.st[k - 1] = v.st[k] * s[k];
    return v;
}

int64_t StridedView::count() const {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

void StridedView::permute(const std::vector<int64_t>& perm) {
    std::vector<int64_t> d(perm.size()), s(perm.size());
    for (size_t k = 0; k < perm.size(); ++k) {
        d[k] = dims.at(static_cast<size_t>(perm[k]));
        s[k] = st.at(static_cast<size_t>(perm[k]));
    }
    dims = std::move(d);
    st = std::move(s);
}

void StridedView::slice(size_t axis, int64_t start, int64_t step, int64_t count) {
    if (count > 0) offset += start * st[axis];
    st[axis] *= step;
    dims[axis] = count;
}

void StridedView::split(size_t axis, const std::vector<int64_t>& parts) {
    std::vector<int64_t> d, s;
    int64_t inner = st[axis];
    for (size_t k = parts.size(); k-- > 0;) {
        d.insert(d.begin(), parts[k]);
        s.insert(s.begin(), inner);
        inner *= parts[k];
    }
    dims.erase(dims.begin() + static_cast<std::ptrdiff_t>(axis));
    st.erase(st.begin() + static_cast<std::ptrdiff_t>(axis));
    dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), d.begin(), d.end());
    st.insert(st.begin() + static_cast<std::ptrdiff_t>(axis), s.begin(), s.end());
}

void StridedView::tile(const std::vector<int64_t>& reps) {
    std::vector<int64_t> d, s;
    for (size_t k = 0; k < dims.size(); ++k) {
        d.push_back(reps.at(k));
        s.push_back(0);
        d.push_back(dims[k]);
        s.push_back(st[k]);
    }
    dims = std::move(d);
    st = std::move(s);
}

void StridedView::broadcastTo(const Shape& out) {
    const size_t lead = out.size() - dims.size();
    std::vector<int64_t> d(out.begin(), out.end()), s(out.size(), 0);
    for (size_t k = 0; k < dims.size(); ++k)
        if (dims[k] != 1) s[lead + k] = st[k];  // else repeated: stride 0
    dims = std::move(d);
    st = std::move(s);
}

StridedView StridedView::merged() const {
    StridedView m;
    m.offset = offset;
    for (size_t k = 0; k < dims.size(); ++k) {
        if (dims[k] == 0) return {{0}, {1}, 0};  // nothing to copy
        if (dims[k] == 1) continue;
        if (!m.dims.empty() && m.st.back() == st[k] * dims[k]) {
            // Axis k continues the previous one: one axis of both extents.
            m.dims.back() *= dims[k];
            m.st.back() = st[k];
        } else {
            m.dims.push_back(dims[k]);
            m.st.push_back(st[k]);
        }
    }
    if (m.dims.empty()) {
        m.dims = {1};
        m.st = {1};
    }
    return m;
}

bool isViewOp(OpKind op) {
    switch (op) {
        case OpKind::Identity:
        case OpKind::Dropout:
        case OpKind::Flatten:
        case OpKind::Reshape:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze:
        case OpKind::Transpose:
        case OpKind::Slice:
        case OpKind::Split:
        case OpKind::Expand:
        case OpKind::Tile:
        case OpKind::DepthToSpace:
        case OpKind::SpaceToDepth: return true;
        default: return false;
    }
}

StridedView viewOf(const Graph& g, const Node& n, size_t k) {
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(k));
    StridedView v = StridedView::dense(x);
    auto bad = [&](const char* what) -> StridedView { throw Error(n.describe() + ": internal error: " + what + " (shape inference has not run?)"); };
    switch (n.op) {
        case OpKind::Transpose: {
            const auto perm = n.attrInts("perm");
            if (perm.size() != x.size()) return bad("perm has the wrong length");
            v.permute(perm);
            break;
        }
        case OpKind::Slice: {
            const auto starts = n.attrInts("starts"), steps = n.attrInts("steps");
            if (starts.size() != x.size() || steps.size() != x.size() || y.size() != x.size()) return bad("slice attributes are not canonical");
            for (size_t d = 0; d < x.size(); ++d) v.slice(d, starts[d], steps[d], y[d]);
            break;
        }
        case OpKind::Split: {
            const auto sizes = n.attrInts("split");
            const int64_t axis = n.attrInt("axis", 0);
            if (axis < 0 || axis >= static_cast<int64_t>(x.size()) || sizes.size() != n.outputs.size()) return bad("split attributes are not canonical");
            int64_t start = 0;
            for (size_t j = 0; j < k; ++j) start += sizes[j];
            v.slice(static_cast<size_t>(axis), start, 1, sizes[k]);
            break;
        }
        case OpKind::Expand: v.broadcastTo(y); break;
        case OpKind::Tile: {
            const auto reps = n.attrInts("repeats");
            if (reps.size() != x.size()) return bad("repeats has the wrong length");
            v.tile(reps);
            break;
        }
        case OpKind::DepthToSpace:
        case OpKind::SpaceToDepth: {
            const int64_t b = n.attrInt("blocksize", 0);
            if (x.size() != 4 || b <= 0) return bad("blocksize is not canonical");
            const int64_t c = x[1], h = x[2], w = x[3];
            if (n.op == OpKind::SpaceToDepth) {
                // [N, C, H/b, b, W/b, b] -> [N, b, b, C, H/b, W/b]
                v.split(3, {w / b, b});
                v.split(2, {h / b, b});
                v.permute({0, 3, 5, 1, 2, 4});
            } else if (n.attrString("mode", "DCR") == "DCR") {
                // [N, b, b, C/b^2, H, W] -> [N, C/b^2, H, b, W, b]
                v.split(1, {b, b, c / (b * b)});
                v.permute({0, 3, 4, 1, 5, 2});
            } else {
                // CRD: [N, C/b^2, b, b, H, W] -> [N, C/b^2, H, b, W, b]
                v.split(1, {c / (b * b), b, b});
                v.permute({0, 1, 4, 2, 5, 3});
            }
            break;
        }
        case OpKind::Identity:
        case OpKind::Dropout:
        case OpKind::Flatten:
        case OpKind::Reshape:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze: break;  // the same elements in the same order
        default: return bad("not a data-movement op");
    }
    const StridedView m = v.merged();
    if (m.count() != elementCount(y)) return bad("the view does not cover the output");
    return m;
}

}  // namespace percept::graph
