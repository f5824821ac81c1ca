// SPDX-License-Identifier: Apache-2.0
#pragma once
// The indexed copies as two plans shared by both backends and the constant folder.
//
// Gather, GatherElements and GatherND are one loop: the output is walked over `dims`; each
// axis steps `dataSt` data elements and `idxSt` index elements (the start of an index tuple);
// the tuple's entries j (one for Gather / GatherElements, k for GatherND) are read, counted
// from the end when negative, and step `compSt[j]` data elements each.
//
// ScatterElements and ScatterND (constant indices) are grouped at load time: every output
// element written gets one group listing the updates that land on it, in the model's order,
// so the groups run in parallel without atomics and the result does not depend on timing.
#include <cstdint>
#include <vector>

#include "graph/ir.h"

namespace percept::graph {

struct GatherPlan {
    std::vector<int64_t> dims, dataSt, idxSt;  // the output's axes (merged) and their strides
    std::vector<int64_t> limit, compSt;        // per tuple entry: the axis length and data stride
    // Output rows (all axes but the innermost): gatherRows' range.
    int64_t rows() const {
        int64_t r = 1;
        for (size_t k = 0; k + 1 < dims.size(); ++k) r *= dims[k];
        return r;
    }
};
GatherPlan planGather(const Graph& g, const Node& n);  // Gather, GatherElements, GatherND, Compress
// The constant indices of a gather (Compress: its kept positions); empty when computed.
std::vector<int64_t> constantIndices(const Graph& g, const Node& n);

// Output rows [r0, r1) of a gather (a row: the innermost axis). `Index` is float (indices
// computed at run time: exact integers) or an integer type (constants). An index out of range
// gives 0 and makes the call return false (the folder reports it; kernels cannot).
template <class T, class Index>
bool gatherRows(const GatherPlan& p, const T* data, const Index* idx, T* out, int64_t r0, int64_t r1) {
    const size_t outer = p.dims.size() - 1, comps = p.limit.size();
    const int64_t inner = p.dims.back(), ds = p.dataSt.back(), is = p.idxSt.back();
    std::vector<int64_t> c(outer, 0);
    int64_t dOff = 0, iOff = 0, rem = r0;
    for (size_t k = outer; k-- > 0;) {
        c[k] = rem % p.dims[k];
        rem /= p.dims[k];
        dOff += c[k] * p.dataSt[k];
        iOff += c[k] * p.idxSt[k];
    }
    bool ok = true;
    // Data offset contributed by the tuple at index element e; -1 when out of range.
    auto tuple = [&](int64_t e) -> int64_t {
        int64_t off = 0;
        for (size_t j = 0; j < comps; ++j) {
            const Index raw = idx[e + static_cast<int64_t>(j)];
            const int64_t lim = p.limit[j];
            // The range check comes first: a float outside int64's range must not be converted.
            if (!(raw >= static_cast<Index>(-lim) && raw < static_cast<Index>(lim))) return -1;
            int64_t v = static_cast<int64_t>(raw);
            if (v < 0) v += lim;
            off += v * p.compSt[j];
        }
        return off;
    };
    for (int64_t r = r0; r < r1; ++r) {
        T* dst = out + r * inner;
        const int64_t rowTuple = is == 0 ? tuple(iOff) : 0;
        for (int64_t j = 0; j < inner; ++j) {
            const int64_t t = is == 0 ? rowTuple : tuple(iOff + j * is);
            if (t < 0) {
                dst[j] = T{};
                ok = false;
            } else {
                dst[j] = data[dOff + j * ds + t];
            }
        }
        for (size_t k = outer; k-- > 0;) {
            dOff += p.dataSt[k];
            iOff += p.idxSt[k];
            if (++c[k] < p.dims[k]) break;
            dOff -= c[k] * p.dataSt[k];
            iOff -= c[k] * p.idxSt[k];
            c[k] = 0;
        }
    }
    return ok;
}

enum class ScatterReduce : uint8_t { None, Add, Mul, Max, Min };

struct ScatterPlan {
    int64_t slice = 1;            // elements per update: ScatterND's trailing data axes, else 1
    std::vector<int64_t> target;  // per group: the output offset of its first element
    std::vector<int64_t> first;   // group k's updates are update[first[k] .. first[k + 1])
    std::vector<int64_t> update;  // offsets into the updates tensor, in the model's order
    ScatterReduce reduce = ScatterReduce::None;
};
ScatterPlan planScatter(const Graph& g, const Node& n);  // ScatterElements, ScatterND

// Applies groups [k0, k1) to `out` (already holding the data): each group's elements take
// their updates in order (None: the last one wins).
template <class T>
void scatterGroups(const ScatterPlan& p, const T* upd, T* out, int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
        for (int64_t e = 0; e < p.slice; ++e) {
            T acc = out[p.target[static_cast<size_t>(k)] + e];
            for (int64_t u = p.first[static_cast<size_t>(k)]; u < p.first[static_cast<size_t>(k) + 1]; ++u) {
                const T v = upd[p.update[static_cast<size_t>(u)] + e];
                switch (p.reduce) {
                    case ScatterReduce::None: acc = v; break;
                    case ScatterReduce::Add: acc = acc + v; break;
                    case ScatterReduce::Mul: acc = acc * v; break;
                    case ScatterReduce::Max: acc = v > acc ? v : acc; break;
                    case ScatterReduce::Min: acc = v < acc ? v : acc; break;
                }
            }
            out[p.target[static_cast<size_t>(k)] + e] = acc;
        }
    }
}

}  // namespace percept::graph
