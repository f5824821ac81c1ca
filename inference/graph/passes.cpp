// SPDX-License-Identifier: Apache-2.0
#include "graph/passes.h"

#include <cmath>
#include <queue>

#include "percept/error.h"

namespace percept::graph {
namespace {

// Makes every reader of `from` read `to` instead (graph outputs included).
void replaceUses(Graph& g, int from, int to) {
    for (Node& n : g.nodes)
        for (int& v : n.inputs)
            if (v == from) v = to;
    for (int& v : g.outputs)
        if (v == from) {
            v = to;
            // Keep the output's name for callers that look outputs up by name.
            if (!g.value(to).isConstant()) g.value(to).name = g.value(from).name;
        }
}

}  // namespace

void sortTopologically(Graph& g) {
    const size_t n = g.nodes.size();
    std::vector<int> producer(g.values.size(), -1);
    for (size_t k = 0; k < n; ++k)
        for (int v : g.nodes[k].outputs) {
            if (v < 0) continue;
            if (producer[static_cast<size_t>(v)] >= 0 || g.value(v).isConstant())
                throw Error(g.nodes[k].describe() + ": output '" + g.value(v).name + "' is defined twice");
            producer[static_cast<size_t>(v)] = static_cast<int>(k);
        }
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> readers(n);
    for (size_t k = 0; k < n; ++k)
        for (int v : g.nodes[k].inputs) {
            if (v < 0) continue;
            int p = producer[static_cast<size_t>(v)];
            if (p >= 0) {
                ++pending[k];
                readers[static_cast<size_t>(p)].push_back(static_cast<int>(k));
            }
        }
    std::queue<int> ready;
    for (size_t k = 0; k < n; ++k)
        if (pending[k] == 0) ready.push(static_cast<int>(k));
    std::vector<Node> sorted;
    sorted.reserve(n);
    while (!ready.empty()) {
        int k = ready.front();
        ready.pop();
        sorted.push_back(g.nodes[static_cast<size_t>(k)]);
        for (int r : readers[static_cast<size_t>(k)])
            if (--pending[static_cast<size_t>(r)] == 0) ready.push(r);
    }
    if (sorted.size() != n) throw Error("the graph has a cycle; ONNX graphs must be acyclic");
    g.nodes = std::move(sorted);
}

void removeIdentityOps(Graph& g) {
    std::vector<Node> kept;
    for (Node& n : g.nodes) {
        if (n.op != OpKind::Identity && n.op != OpKind::Dropout) {
            kept.push_back(std::move(n));
            continue;
        }
        for (size_t k = 1; k < n.outputs.size(); ++k) {
            // Dropout's mask output: all ones in inference; nothing we support reads it.
            const int mask = n.outputs[k];
            for (const Node& other : g.nodes)
                for (int v : other.inputs)
                    if (v == mask && mask >= 0) throw Error(n.describe() + ": its mask output is read, which is not supported");
        }
        replaceUses(g, n.outputs[0], n.inputs.at(0));
    }
    g.nodes = std::move(kept);
}

void removeDeadNodes(Graph& g) {
    for (bool changed = true; changed;) {
        changed = false;
        auto readers = g.readerCounts();
        std::vector<Node> kept;
        for (Node& n : g.nodes) {
            bool used = false;
            for (int v : n.outputs)
                if (v >= 0 && readers[static_cast<size_t>(v)] > 0) used = true;
            if (used) kept.push_back(std::move(n));
            else changed = true;
        }
        g.nodes = std::move(kept);
    }
    g.compact();
}

}  // namespace percept::graph
