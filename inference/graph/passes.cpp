#include "graph/passes.h"

#include <cmath>
#include <queue>

#include "percept/error.h"

namespace percept::graph {
namespace {

// Producer node of every value (-1 for inputs/constants).
std::vector<int> producers(const Graph& g) {
    std::vector<int> p(g.values.size(), -1);
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int v : g.nodes[k].outputs)
            if (v >= 0) p[static_cast<size_t>(v)] = static_cast<int>(k);
    return p;
}

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

bool isGraphOutput(const Graph& g, int v) {
    for (int o : g.outputs)
        if (o == v) return true;
    return false;
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
        if (n.op != "Identity" && n.op != "Dropout") {
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

void foldBatchNormIntoConv(Graph& g) {
    auto prod = producers(g);
    auto readers = g.readerCounts();
    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& bn = g.nodes[k];
        if (bn.op != "BatchNormalization") continue;
        const int x = bn.inputs.at(0);
        const int p = prod[static_cast<size_t>(x)];
        if (p < 0 || readers[static_cast<size_t>(x)] != 1 || isGraphOutput(g, x)) continue;
        Node& conv = g.nodes[static_cast<size_t>(p)];
        if (conv.op != "Conv" || conv.act.any()) continue;
        const TensorData& w = *g.value(conv.inputs.at(1)).constant;
        const int64_t m = w.shape[0], per = w.count() / m;
        const float eps = bn.attrFloat("epsilon", 1e-5f);
        const auto scale = g.value(bn.inputs[1]).constant->asFloats();
        const auto bias = g.value(bn.inputs[2]).constant->asFloats();
        const auto mean = g.value(bn.inputs[3]).constant->asFloats();
        const auto var = g.value(bn.inputs[4]).constant->asFloats();
        auto nw = std::make_shared<TensorData>(w);
        auto nb = std::make_shared<TensorData>();
        nb->shape = {m};
        nb->f.assign(static_cast<size_t>(m), 0.0f);
        const bool hasBias = conv.inputs.size() > 2 && conv.inputs[2] >= 0;
        const float* ob = hasBias ? g.constFloats(conv.inputs[2]) : nullptr;
        for (int64_t o = 0; o < m; ++o) {
            // y = s * (conv(x) + b - mean) / sqrt(var + eps) + beta, computed in double.
            const double f = scale[o] / std::sqrt(static_cast<double>(var[o]) + eps);
            for (int64_t j = 0; j < per; ++j) nw->f[static_cast<size_t>(o * per + j)] = static_cast<float>(w.f[static_cast<size_t>(o * per + j)] * f);
            nb->f[static_cast<size_t>(o)] = static_cast<float>(((ob ? ob[o] : 0.0) - mean[o]) * f + bias[o]);
        }
        conv.inputs.resize(3);
        conv.inputs[1] = g.addConstant(g.value(conv.inputs[1]).name + "_bnfolded", nw);
        conv.inputs[2] = g.addConstant(bn.name + "_bias", nb);
        // The conv now writes the BN's output value.
        const int y = bn.outputs[0];
        conv.outputs[0] = y;
        drop[k] = 1;
    }
    std::vector<Node> kept;
    for (size_t k = 0; k < g.nodes.size(); ++k)
        if (!drop[k]) kept.push_back(std::move(g.nodes[k]));
    g.nodes = std::move(kept);
}

void fuseActivations(Graph& g) {
    auto prod = producers(g);
    auto readers = g.readerCounts();
    std::vector<char> drop(g.nodes.size(), 0);
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        Node& a = g.nodes[k];
        FusedActivation act;
        if (a.op == "Relu") act.kind = Activation::Relu;
        else if (a.op == "LeakyRelu") { act.kind = Activation::LeakyRelu; act.alpha = a.attrFloat("alpha", 0.01f); }
        else if (a.op == "Sigmoid") act.kind = Activation::Sigmoid;
        else if (a.op == "Clip") {
            act.kind = Activation::Clip;
            if (g.opset < 11) {
                act.min = a.attrFloat("min", act.min);
                act.max = a.attrFloat("max", act.max);
            } else {
                if (a.inputs.size() > 1 && a.inputs[1] >= 0) act.min = g.value(a.inputs[1]).constant->asFloats().at(0);
                if (a.inputs.size() > 2 && a.inputs[2] >= 0) act.max = g.value(a.inputs[2]).constant->asFloats().at(0);
            }
        } else continue;
        const int x = a.inputs.at(0);
        const int p = prod[static_cast<size_t>(x)];
        if (p < 0 || readers[static_cast<size_t>(x)] != 1 || isGraphOutput(g, x)) continue;
        Node& src = g.nodes[static_cast<size_t>(p)];
        if (src.act.any() || src.outputs.size() != 1) continue;
        if (src.op != "Conv" && src.op != "Gemm" && src.op != "MatMul" && src.op != "Add") continue;
        src.act = act;
        src.outputs[0] = a.outputs[0];
        drop[k] = 1;
    }
    std::vector<Node> kept;
    for (size_t k = 0; k < g.nodes.size(); ++k)
        if (!drop[k]) kept.push_back(std::move(g.nodes[k]));
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
