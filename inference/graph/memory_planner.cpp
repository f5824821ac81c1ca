// SPDX-License-Identifier: Apache-2.0
#include "graph/memory_planner.h"

#include <algorithm>
#include <numeric>

#include "graph/strided_view.h"

namespace percept::graph {

namespace {

// For ConcatPlacement::InPlace: per value, the Concat output it becomes a slice of (or -1),
// and its element offset inside that output; only byte offsets that are a multiple of
// `alignBytes` (a float element is `elementBytes`, an 8-bit one 1 byte).
void findConcatSlices(const Graph& g, std::vector<int>& sliceOf, std::vector<int64_t>& sliceElem, size_t elementBytes, int64_t alignBytes) {
    const size_t nv = g.values.size();
    std::vector<int> readers(nv, 0), producer(nv, -1);
    std::vector<bool> boundary(nv, false);
    for (size_t s = 0; s < g.nodes.size(); ++s) {
        for (int v : g.nodes[s].inputs)
            if (v >= 0) ++readers[static_cast<size_t>(v)];
        for (int v : g.nodes[s].outputs)
            if (v >= 0 && producer[static_cast<size_t>(v)] < 0) producer[static_cast<size_t>(v)] = static_cast<int>(s);
    }
    for (int id : g.inputs) boundary[static_cast<size_t>(id)] = true;
    for (int id : g.outputs) boundary[static_cast<size_t>(id)] = true;
    for (const Node& n : g.nodes) {
        if (n.op != OpKind::Concat || n.outputs.size() != 1 || n.outputs[0] < 0) continue;
        const Shape& y = g.value(n.outputs[0]).shape;
        const int64_t rank = static_cast<int64_t>(y.size());
        int64_t axis = n.attrInt("axis", 0);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) continue;
        int64_t outer = 1;
        for (int64_t d = 0; d < axis; ++d) outer *= y[static_cast<size_t>(d)];
        if (outer != 1) continue;  // the parts interleave: no contiguous slice
        int64_t at = 0;
        for (int v : n.inputs) {
            if (v < 0) continue;
            const Value& x = g.value(v);
            const size_t u = static_cast<size_t>(v);
            const int p = producer[u];
            // int8: a part is a slice only when its bytes are the output's (same type and quantisation).
            const Value& yv = g.value(n.outputs[0]);
            if (!x.isConstant() && !boundary[u] && readers[u] == 1 && p >= 0 && g.nodes[static_cast<size_t>(p)].op != OpKind::Concat &&
                (at * static_cast<int64_t>(elementBytesOf(yv.dtype, elementBytes))) % alignBytes == 0 && x.dtype == yv.dtype &&
                x.quant == yv.quant) {
                sliceOf[u] = n.outputs[0];
                sliceElem[u] = at;
            }
            at += elementCount(x.shape);
        }
    }
}

// A node whose output is its input's values in the same order: the dense reshapes, and any
// other index mapping (graph::viewOf) that turns out to be the identity on float data -- a
// Transpose that only moves axes of extent 1 (ViT's batch-first [1,197,768] <-> [197,1,768]).
bool isView(const Graph& g, const Node& n) {
    if (n.act.any() || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.size() != 1 || n.outputs[0] < 0) return false;
    if (n.op == OpKind::Reshape || n.op == OpKind::Flatten || n.op == OpKind::Squeeze || n.op == OpKind::Unsqueeze) return true;
    if (!isViewOp(n.op) || g.value(n.inputs[0]).dtype != DType::Float32) return false;
    return viewOf(g, n).isIdentity();
}

// Per value, the value whose bytes it shares (resolved to the first of a chain of views), or
// -1. `last` holds each value's last reading step.
std::vector<int> findViews(const Graph& g, const std::vector<int>& last, const std::vector<int>& sliceOf, const PlanHints& hints) {
    std::vector<int> alias(g.values.size(), -1);
    for (size_t s = 0; s < g.nodes.size(); ++s) {
        const Node& n = g.nodes[s];
        if (!isView(g, n)) continue;
        const size_t x = static_cast<size_t>(n.inputs[0]), y = static_cast<size_t>(n.outputs[0]);
        if (g.values[x].isConstant() || last[x] != static_cast<int>(s) || sliceOf[y] >= 0) continue;
        if ((x < hints.elided.size() && hints.elided[x]) || (y < hints.elided.size() && hints.elided[y])) continue;
        if (elementCount(g.values[x].shape) != elementCount(g.values[y].shape)) continue;
        if (g.values[x].dtype != g.values[y].dtype || g.values[x].quant != g.values[y].quant) continue;  // int8: same bytes only
        alias[y] = alias[x] >= 0 ? alias[x] : static_cast<int>(x);
    }
    return alias;
}

// PlanHints::inPlaceOf into plan.aliasOf, where its rules allow. A value that itself took over
// another's bytes may be taken over in turn (ResNet's residual blocks: each block's output
// written over the last's): the chain's values all share its first value's bytes.
void takeOverInPlace(const Graph& g, const PlanHints& hints, MemoryPlan& plan, size_t elementBytes) {
    const size_t nv = g.values.size();
    std::vector<bool> boundary(nv, false), viewed(nv, false), tookOver(nv, false);
    for (int id : g.inputs) boundary[static_cast<size_t>(id)] = true;
    for (int id : g.outputs) boundary[static_cast<size_t>(id)] = true;
    for (size_t v = 0; v < nv; ++v)
        if (plan.aliasOf[v] >= 0) viewed[static_cast<size_t>(plan.aliasOf[v])] = true;
    auto plain = [&](size_t v) {
        return !g.values[v].isConstant() && !boundary[v] && plan.sliceOf[v] < 0 && (plan.aliasOf[v] < 0 || tookOver[v]) && !viewed[v] &&
               !(v < hints.elided.size() && hints.elided[v]);
    };
    for (size_t y = 0; y < nv && y < hints.inPlaceOf.size(); ++y) {
        const int xi = hints.inPlaceOf[y];
        if (xi < 0) continue;
        const size_t x = static_cast<size_t>(xi);
        const Value &xv = g.values[x], &yv = g.values[y];
        if (x == y || !plain(x) || !plain(y) || xv.dtype != yv.dtype || xv.quant != yv.quant ||
            elementCount(xv.shape) * elementBytesOf(xv.dtype, elementBytes) != elementCount(yv.shape) * elementBytesOf(yv.dtype, elementBytes))
            continue;
        plan.aliasOf[y] = xi;
        tookOver[y] = true;
        viewed[x] = true;  // one taker per value
    }
    // Each chain's values alias its first value directly (the planner resolves one level).
    for (size_t y = 0; y < nv; ++y) {
        if (!tookOver[y]) continue;
        int r = plan.aliasOf[y];
        while (tookOver[static_cast<size_t>(r)]) r = plan.aliasOf[static_cast<size_t>(r)];
        plan.aliasOf[y] = r;
    }
}

}  // namespace

MemoryPlan planMemory(const Graph& g, size_t elementBytes, size_t alignment, ConcatPlacement concat, const PlanHints& hints) {
    MemoryPlan plan;
    const size_t nv = g.values.size();
    const int steps = static_cast<int>(g.nodes.size());
    plan.offsets.assign(nv, -1);
    plan.sliceOf.assign(nv, -1);
    std::vector<int64_t> sliceElem(nv, 0);
    if (concat == ConcatPlacement::InPlace) findConcatSlices(g, plan.sliceOf, sliceElem, elementBytes, 1);
    if (concat == ConcatPlacement::InPlaceAligned && alignment % elementBytes == 0)
        findConcatSlices(g, plan.sliceOf, sliceElem, elementBytes, static_cast<int64_t>(std::max<size_t>(alignment, 1)));
    // Lifetime of each activation in node steps: graph inputs are born before step 0, graph
    // outputs live past the last step.
    std::vector<int> first(nv, -2), last(nv, -2);
    for (int id : g.inputs) first[static_cast<size_t>(id)] = last[static_cast<size_t>(id)] = -1;
    for (int s = 0; s < steps; ++s) {
        const Node& n = g.nodes[static_cast<size_t>(s)];
        for (int v : n.outputs)
            if (v >= 0 && first[static_cast<size_t>(v)] == -2) first[static_cast<size_t>(v)] = last[static_cast<size_t>(v)] = s;
        for (int v : n.inputs)
            if (v >= 0 && !g.value(v).isConstant()) last[static_cast<size_t>(v)] = std::max(last[static_cast<size_t>(v)], s);
    }
    for (int id : g.outputs)
        if (!g.value(id).isConstant()) last[static_cast<size_t>(id)] = steps;
    for (size_t v = 0; v < nv && v < hints.readUntil.size(); ++v)
        if (hints.readUntil[v] >= 0 && first[v] != -2) last[v] = std::max(last[v], hints.readUntil[v]);
    for (size_t v = 0; v < nv && v < hints.bornAt.size(); ++v)
        if (hints.bornAt[v] >= 0 && first[v] != -2) first[v] = std::min(first[v], hints.bornAt[v]);
    // A Concat output holding slices is live from its first slice's producer on.
    for (size_t v = 0; v < nv; ++v)
        if (plan.sliceOf[v] >= 0 && first[v] >= 0) {
            int& f = first[static_cast<size_t>(plan.sliceOf[v])];
            f = std::min(f, first[v]);
        }
    // A view and the value it shows share bytes for as long as either is live.
    plan.aliasOf = findViews(g, last, plan.sliceOf, hints);
    takeOverInPlace(g, hints, plan, elementBytes);
    for (size_t v = 0; v < nv; ++v)
        if (plan.aliasOf[v] >= 0 && first[v] != -2) {
            const size_t r = static_cast<size_t>(plan.aliasOf[v]);
            first[r] = std::min(first[r], first[v]);
            last[r] = std::max(last[r], last[v]);
        }

    struct Item {
        int value;
        size_t bytes;
    };
    std::vector<Item> items;
    for (size_t v = 0; v < nv; ++v) {
        if (first[v] == -2 || g.values[v].isConstant()) continue;
        if (v < hints.elided.size() && hints.elided[v]) continue;
        size_t bytes = static_cast<size_t>(elementCount(g.values[v].shape)) * elementBytesOf(g.values[v].dtype, elementBytes);
        bytes = (bytes + alignment - 1) / alignment * alignment;
        if (bytes == 0) bytes = alignment;
        plan.naiveBytes += bytes;
        if (plan.sliceOf[v] < 0 && plan.aliasOf[v] < 0) items.push_back({static_cast<int>(v), bytes});
    }
    // Greedy by size (largest first), each placed at the lowest offset that does not collide
    // with an already placed value whose lifetime overlaps. Near-optimal for CNN chains.
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.bytes > b.bytes; });
    struct Placed {
        size_t offset, bytes;
        int first, last;
    };
    std::vector<Placed> placed;
    for (const Item& it : items) {
        const int f = first[static_cast<size_t>(it.value)], l = last[static_cast<size_t>(it.value)];
        std::vector<std::pair<size_t, size_t>> busy;
        for (const Placed& p : placed)
            if (!(p.last < f || l < p.first)) busy.emplace_back(p.offset, p.offset + p.bytes);
        std::sort(busy.begin(), busy.end());
        size_t offset = 0;
        for (auto [b, e] : busy) {
            if (offset + it.bytes <= b) break;
            offset = std::max(offset, e);
        }
        placed.push_back({offset, it.bytes, f, l});
        plan.offsets[static_cast<size_t>(it.value)] = static_cast<int64_t>(offset);
        plan.arenaBytes = std::max(plan.arenaBytes, offset + it.bytes);
    }
    for (size_t v = 0; v < nv; ++v)
        if (plan.sliceOf[v] >= 0)
            plan.offsets[v] = plan.offsets[static_cast<size_t>(plan.sliceOf[v])] +
                              sliceElem[v] * static_cast<int64_t>(elementBytesOf(g.values[v].dtype, elementBytes));
    // Views last: the value they show may itself be a Concat slice.
    for (size_t v = 0; v < nv; ++v)
        if (plan.aliasOf[v] >= 0) plan.offsets[v] = plan.offsets[static_cast<size_t>(plan.aliasOf[v])];
    return plan;
}

}  // namespace percept::graph
