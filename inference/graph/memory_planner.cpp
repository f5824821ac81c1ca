#include "graph/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace percept::graph {

MemoryPlan planMemory(const Graph& g, size_t elementBytes, size_t alignment) {
    MemoryPlan plan;
    const size_t nv = g.values.size();
    const int steps = static_cast<int>(g.nodes.size());
    plan.offsets.assign(nv, -1);
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

    struct Item {
        int value;
        size_t bytes;
    };
    std::vector<Item> items;
    for (size_t v = 0; v < nv; ++v) {
        if (first[v] == -2 || g.values[v].isConstant()) continue;
        size_t bytes = static_cast<size_t>(elementCount(g.values[v].shape)) * elementBytes;
        bytes = (bytes + alignment - 1) / alignment * alignment;
        if (bytes == 0) bytes = alignment;
        plan.naiveBytes += bytes;
        items.push_back({static_cast<int>(v), bytes});
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
    return plan;
}

}  // namespace percept::graph
