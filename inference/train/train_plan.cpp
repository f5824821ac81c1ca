// SPDX-License-Identifier: Apache-2.0
#include "train/train_plan.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "percept/error.h"

namespace percept::train {
namespace {

using graph::OpKind;

bool isWeightLayer(const graph::Graph& g, const graph::Node& n) {
    if (n.op != OpKind::Conv && n.op != OpKind::Gemm && n.op != OpKind::MatMul) return false;
    return n.inputs.size() >= 2 && n.inputs[1] >= 0 && g.value(n.inputs[1]).constant && g.value(n.inputs[1]).dtype == graph::DType::Float32;
}

// Ops that keep the class scores on one axis: what may follow the classifier.
bool keepsClassAxis(const graph::Node& n) {
    switch (n.op) {
        case OpKind::GlobalAveragePool:
        case OpKind::Reshape:
        case OpKind::Flatten:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze:
        case OpKind::Relu:
        case OpKind::Clip:
        case OpKind::LeakyRelu:
        case OpKind::Sigmoid:
        case OpKind::HardSigmoid:
        case OpKind::HardSwish: return true;
        default: return false;
    }
}

std::vector<int> producers(const graph::Graph& g) {
    std::vector<int> p(g.values.size(), -1);
    for (size_t k = 0; k < g.nodes.size(); ++k)
        for (int v : g.nodes[k].outputs)
            if (v >= 0) p[static_cast<size_t>(v)] = static_cast<int>(k);
    return p;
}

// Nodes (indices) the value `v` depends on, transitively.
std::vector<bool> ancestorsOf(const graph::Graph& g, const std::vector<int>& producer, int v) {
    std::vector<bool> in(g.nodes.size(), false);
    std::vector<int> stack = {v};
    while (!stack.empty()) {
        const int x = stack.back();
        stack.pop_back();
        const int p = producer[static_cast<size_t>(x)];
        if (p < 0 || in[static_cast<size_t>(p)]) continue;
        in[static_cast<size_t>(p)] = true;
        for (int i : g.nodes[static_cast<size_t>(p)].inputs)
            if (i >= 0 && !g.value(i).constant) stack.push_back(i);
    }
    return in;
}

// The branch for a cut value: the nodes among `needed` that depend on `cut`, when every
// computed value they read is `cut` or made inside the branch (else empty: not a cut).
std::vector<size_t> branchFrom(const graph::Graph& g, const std::vector<bool>& needed, int cut) {
    std::set<int> inside = {cut};
    std::vector<size_t> nodes;
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        if (!needed[k]) continue;
        const graph::Node& n = g.nodes[k];
        bool reads = false;
        for (int i : n.inputs) reads |= i >= 0 && inside.count(i);
        if (!reads) continue;
        for (int i : n.inputs)
            if (i >= 0 && !g.value(i).constant && !inside.count(i)) return {};  // a value from outside the branch
        nodes.push_back(k);
        for (int o : n.outputs) inside.insert(o);
    }
    return nodes;
}

}  // namespace

Shape Plan::branchShape(const graph::Graph& g, int value, int64_t batch) const {
    Shape s = g.shapeOf(value);
    s.at(0) = batch;
    auto it = classAxis.find(value);
    if (it != classAxis.end()) s[it->second] = classes;
    return s;
}

Plan planTraining(const graph::Graph& g, int layers, int64_t classes, uint32_t seed) {
    if (g.outputs.size() != 1) throw Error("teaching needs a model with one output (this one has " + std::to_string(g.outputs.size()) + ")");
    if (layers < 1) throw Error("teaching trains at least one layer");
    if (classes < 1) throw Error("teaching needs at least one new class");
    Plan plan;
    plan.classes = classes;
    const std::vector<int> producer = producers(g);
    plan.logits = g.outputs[0];
    if (g.value(plan.logits).constant) throw Error("the model's output is a constant");
    // A model that ends in Softmax: its input holds the scores the new classes join.
    const int last = producer[static_cast<size_t>(plan.logits)];
    if (last >= 0 && (g.nodes[static_cast<size_t>(last)].op == OpKind::Softmax || g.nodes[static_cast<size_t>(last)].op == OpKind::LogSoftmax)) {
        plan.endsIn = g.nodes[static_cast<size_t>(last)].op;
        plan.logits = g.nodes[static_cast<size_t>(last)].inputs.at(0);
    }
    const Shape& ls = g.shapeOf(plan.logits);
    plan.baseClasses = elementCount(ls);
    if (ls.empty() || ls[0] != 1) throw Error("the model's class scores " + shapeToString(ls) + " do not have a batch axis of 1");

    const std::vector<bool> needed = ancestorsOf(g, producer, plan.logits);
    int weightLayers = 0;
    for (size_t k = 0; k < g.nodes.size(); ++k) weightLayers += needed[k] && isWeightLayer(g, g.nodes[k]);
    if (weightLayers < layers)
        throw Error("the model has " + std::to_string(weightLayers) + " weight layer(s) before its output; " + std::to_string(layers) + " cannot be trained");
    // Candidates, latest first: each node's outputs, then the graph inputs.
    std::vector<int> candidates;
    for (size_t k = g.nodes.size(); k-- > 0;)
        if (needed[k])
            for (int o : g.nodes[k].outputs)
                if (o >= 0) candidates.push_back(o);
    for (int in : g.inputs) candidates.push_back(in);
    for (int cut : candidates) {
        std::vector<size_t> nodes = branchFrom(g, needed, cut);
        int count = 0;
        for (size_t k : nodes) count += isWeightLayer(g, g.nodes[k]);
        if (count >= layers && !nodes.empty()) {
            plan.cut = cut;
            plan.nodes = std::move(nodes);
            break;
        }
    }
    if (plan.cut < 0)
        throw Error("no single value of the model separates the last " + std::to_string(layers) + " weight layer(s) from the rest (a skip connection crosses every cut)");
    if (g.shapeOf(plan.cut).empty() || g.shapeOf(plan.cut)[0] != 1) throw Error("the value at the cut has no batch axis of 1");

    // The classifier: the branch's last weight layer; after it only ops that keep the classes
    // on one axis, in a chain ending at the class scores.
    for (size_t k : plan.nodes)
        if (isWeightLayer(g, g.nodes[k])) plan.classifier = k;
    const graph::Node& cls = g.nodes[plan.classifier];
    const Shape& w = g.shapeOf(cls.inputs[1]);
    const bool transB = cls.op == OpKind::Gemm && cls.attrInt("transB", 0) != 0;
    const int64_t outputs = cls.op == OpKind::Conv ? w[0] : transB ? w[0] : w.back();
    if (outputs != plan.baseClasses)
        throw Error(cls.describe() + ", the last weight layer, has " + std::to_string(outputs) + " outputs but the model gives " +
                    std::to_string(plan.baseClasses) + " class scores");
    int current = cls.outputs.at(0);
    auto axisOf = [&](int value, const graph::Node& who) {
        // The channel axis (a conv's, a Gemm's columns) when it has the classes' extent, else
        // the one axis that does (after reshapes); spatial axes may remain until a pool.
        const Shape& s = g.shapeOf(value);
        int found = s.size() > 1 && s[1] == outputs ? 1 : -1;
        for (size_t a = 2; a < s.size() && found != 1; ++a)
            if (s[a] == outputs) {
                if (found >= 0) throw Error(who.describe() + ": more than one axis of " + shapeToString(s) + " could hold the class scores");
                found = static_cast<int>(a);
            }
        if (found < 0) throw Error(who.describe() + ": no axis of its output " + shapeToString(s) + " holds the class scores");
        plan.classAxis[value] = static_cast<size_t>(found);
    };
    axisOf(current, cls);
    for (size_t k : plan.nodes) {
        if (k <= plan.classifier) continue;
        const graph::Node& n = g.nodes[k];
        if (!keepsClassAxis(n) || n.inputs.empty() || n.inputs[0] != current || n.outputs.size() != 1)
            throw Error(n.describe() + " follows the last weight layer in a way teaching does not handle (only activations, pooling and reshapes may)");
        current = n.outputs[0];
        axisOf(current, n);
    }
    if (current != plan.logits) throw Error("the class scores are not computed from the last weight layer alone");

    // Parameters: the base weights, the classifier's replaced by new small random ones.
    std::mt19937 rng(seed);
    for (size_t k : plan.nodes) {
        const graph::Node& n = g.nodes[k];
        if (!isWeightLayer(g, n)) continue;
        Layer layer;
        layer.node = k;
        const graph::Value& wv = g.value(n.inputs[1]);
        Tensor weight(wv.shape, wv.constant->asFloats());
        Tensor bias;
        bool hasBias = false;
        if (n.op == OpKind::Gemm) {
            if (n.attrInt("transA", 0) != 0) throw Error(n.describe() + ": transA=1 is not supported for teaching");
            if (weight.shape.size() != 2) throw Error(n.describe() + ": weights must be 2-D");
            layer.transB = n.attrInt("transB", 0) != 0;
            const float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
            for (float& v : weight.data) v *= alpha;
            const int64_t N = layer.transB ? weight.shape[0] : weight.shape[1];
            if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
                const graph::Value& c = g.value(n.inputs[2]);
                if (!c.constant || (c.constant->count() != N && c.constant->count() != 1)) throw Error(n.describe() + ": C must be a constant bias of N values");
                std::vector<float> cv = c.constant->asFloats();
                bias = Tensor({N}, std::vector<float>(static_cast<size_t>(N), 0.0f));
                for (int64_t j = 0; j < N; ++j) bias.data[static_cast<size_t>(j)] = beta * cv[cv.size() == 1 ? 0 : static_cast<size_t>(j)];
                hasBias = true;
            }
        } else if (n.op == OpKind::MatMul) {
            if (weight.shape.size() != 2) throw Error(n.describe() + ": only 2-D weights can be trained");
        } else if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
            const graph::Value& b = g.value(n.inputs[2]);
            bias = Tensor({weight.shape[0]}, b.constant->asFloats());
            hasBias = true;
        }
        if (k == plan.classifier) {
            // New classes: rows (or columns) of a new layer, normal(0, 0.01) as torchvision
            // initialises its classifiers; a zero bias.
            Shape ws = weight.shape;
            const size_t axis = n.op == OpKind::Conv || layer.transB ? 0 : 1;
            ws[axis] = classes;
            weight = Tensor(ws);
            std::normal_distribution<float> dist(0.0f, 0.01f);
            for (float& v : weight.data) v = dist(rng);
            const bool conv = n.op == OpKind::Conv;
            if (hasBias || conv || n.op == OpKind::Gemm) {
                bias = Tensor({classes});
                hasBias = true;
            }
        }
        layer.weight = static_cast<int>(plan.params.size());
        plan.params.push_back({wv.name, std::move(weight), true});
        if (hasBias) {
            layer.bias = static_cast<int>(plan.params.size());
            plan.params.push_back({wv.name + "_bias", std::move(bias), false});
        }
        plan.layers.push_back(layer);
    }
    return plan;
}

}  // namespace percept::train
