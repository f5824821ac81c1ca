// SPDX-License-Identifier: Apache-2.0
#include "graph/gather_plan.h"

#include <algorithm>
#include <numeric>

#include "percept/error.h"

namespace percept::graph {

namespace {

std::vector<int64_t> rowMajor(const Shape& s) {
    std::vector<int64_t> st(s.size(), 1);
    for (size_t k = s.size(); k-- > 1;) st[k - 1] = st[k] * s[k];
    return st;
}

[[noreturn]] void notCanonical(const Node& n) { throw Error(n.describe() + ": internal error: attributes are not canonical (shape inference has not run?)"); }

}  // namespace

std::vector<int64_t> constantIndices(const Graph& g, const Node& n) {
    if (n.op == OpKind::Compress) return n.attrInts("indices");
    const Value& v = g.value(n.inputs.at(1));
    return v.constant ? v.constant->asInts() : std::vector<int64_t>{};
}

GatherPlan planGather(const Graph& g, const Node& n) {
    const bool compress = n.op == OpKind::Compress;
    // Compress gathers its kept positions along its axis (of the flattened data without one).
    const Shape D = compress && n.attrInt("flatten", 0) ? Shape{elementCount(g.shapeOf(n.inputs.at(0)))} : g.shapeOf(n.inputs.at(0));
    const Shape I = compress ? Shape{static_cast<int64_t>(n.attrInts("indices").size())} : g.shapeOf(n.inputs.at(1));
    const auto sD = rowMajor(D), sI = rowMajor(I);
    GatherPlan full;
    auto axis = [&](int64_t dim, int64_t ds, int64_t is) {
        full.dims.push_back(dim);
        full.dataSt.push_back(ds);
        full.idxSt.push_back(is);
    };
    if (n.op == OpKind::Gather || compress) {
        const int64_t a = n.attrInt("axis", -1);
        if (a < 0 || a >= static_cast<int64_t>(D.size())) notCanonical(n);
        for (int64_t d = 0; d < a; ++d) axis(D[d], sD[d], 0);
        for (size_t j = 0; j < I.size(); ++j) axis(I[j], 0, sI[j]);
        for (size_t d = static_cast<size_t>(a) + 1; d < D.size(); ++d) axis(D[d], sD[d], 0);
        full.limit = {D[a]};
        full.compSt = {sD[a]};
    } else if (n.op == OpKind::GatherElements) {
        const int64_t a = n.attrInt("axis", -1);
        if (a < 0 || a >= static_cast<int64_t>(D.size()) || I.size() != D.size()) notCanonical(n);
        for (size_t d = 0; d < I.size(); ++d) axis(I[d], static_cast<int64_t>(d) == a ? 0 : sD[d], sI[d]);
        full.limit = {D[a]};
        full.compSt = {sD[a]};
    } else if (n.op == OpKind::GatherND) {
        const int64_t b = n.attrInt("batch_dims", 0), k = I.empty() ? 0 : I.back();
        if (b < 0 || k < 1 || b + k > static_cast<int64_t>(D.size())) notCanonical(n);
        for (size_t j = 0; j + 1 < I.size(); ++j) axis(I[j], static_cast<int64_t>(j) < b ? sD[j] : 0, sI[j]);
        for (size_t d = static_cast<size_t>(b + k); d < D.size(); ++d) axis(D[d], sD[d], 0);
        for (int64_t j = 0; j < k; ++j) {
            full.limit.push_back(D[static_cast<size_t>(b + j)]);
            full.compSt.push_back(sD[static_cast<size_t>(b + j)]);
        }
    } else {
        throw Error(n.describe() + ": internal error: not a gather");
    }
    // Size-1 axes dropped, axes that step alike in both tensors merged.
    GatherPlan p;
    p.limit = full.limit;
    p.compSt = full.compSt;
    for (size_t k = 0; k < full.dims.size(); ++k) {
        if (full.dims[k] == 0) return GatherPlan{{0}, {0}, {0}, p.limit, p.compSt};
        if (full.dims[k] == 1) continue;
        if (!p.dims.empty() && p.dataSt.back() == full.dataSt[k] * full.dims[k] && p.idxSt.back() == full.idxSt[k] * full.dims[k]) {
            p.dims.back() *= full.dims[k];
            p.dataSt.back() = full.dataSt[k];
            p.idxSt.back() = full.idxSt[k];
        } else {
            p.dims.push_back(full.dims[k]);
            p.dataSt.push_back(full.dataSt[k]);
            p.idxSt.push_back(full.idxSt[k]);
        }
    }
    if (p.dims.empty()) {
        p.dims = {1};
        p.dataSt = {0};
        p.idxSt = {0};
    }
    return p;
}

ScatterPlan planScatter(const Graph& g, const Node& n) {
    const Shape& D = g.shapeOf(n.inputs.at(0));
    const Value& iv = g.value(n.inputs.at(1));
    if (!iv.constant) throw Error(n.describe() + ": internal error: scatter indices must be constant");
    const std::vector<int64_t> idx = iv.constant->asInts();
    const Shape& I = iv.shape;
    const auto sD = rowMajor(D);
    ScatterPlan p;
    const std::string r = n.attrString("reduction", "none");
    p.reduce = r == "add" ? ScatterReduce::Add : r == "mul" ? ScatterReduce::Mul : r == "max" ? ScatterReduce::Max
             : r == "min" ? ScatterReduce::Min : ScatterReduce::None;
    auto norm = [&](int64_t v, int64_t lim) {
        if (v < -lim || v >= lim) throw Error(n.describe() + ": index " + std::to_string(v) + " is out of range");
        return v < 0 ? v + lim : v;
    };
    // (target, update) pairs in the model's order.
    std::vector<std::pair<int64_t, int64_t>> pairs;
    if (n.op == OpKind::ScatterElements) {
        const int64_t a = n.attrInt("axis", -1);
        if (a < 0 || a >= static_cast<int64_t>(D.size()) || I.size() != D.size()) notCanonical(n);
        const int64_t count = elementCount(I);
        std::vector<int64_t> c(I.size(), 0);
        for (int64_t u = 0; u < count; ++u) {
            int64_t t = 0;
            for (size_t d = 0; d < I.size(); ++d) t += (static_cast<int64_t>(d) == a ? norm(idx[static_cast<size_t>(u)], D[d]) : c[d]) * sD[d];
            pairs.emplace_back(t, u);
            for (size_t d = I.size(); d-- > 0;) {
                if (++c[d] < I[d]) break;
                c[d] = 0;
            }
        }
    } else {
        const int64_t k = I.empty() ? 0 : I.back();
        if (k < 1 || k > static_cast<int64_t>(D.size())) notCanonical(n);
        for (size_t d = static_cast<size_t>(k); d < D.size(); ++d) p.slice *= D[d];
        const int64_t tuples = k ? elementCount(I) / k : 0;
        for (int64_t m = 0; m < tuples; ++m) {
            int64_t t = 0;
            for (int64_t j = 0; j < k; ++j) t += norm(idx[static_cast<size_t>(m * k + j)], D[static_cast<size_t>(j)]) * sD[static_cast<size_t>(j)];
            pairs.emplace_back(t, m * p.slice);
        }
    }
    // Group by target, keeping each target's updates in the model's order.
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < pairs.size(); ++k) {
        if (k == 0 || pairs[k].first != pairs[k - 1].first) {
            p.target.push_back(pairs[k].first);
            p.first.push_back(static_cast<int64_t>(k));
        }
        p.update.push_back(pairs[k].second);
    }
    p.first.push_back(static_cast<int64_t>(pairs.size()));
    return p;
}

}  // namespace percept::graph
