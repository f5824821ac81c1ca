// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <iterator>

#include "core/backend_registry.h"
#include "core/fold_with_kernels.h"
#include "core/model_internal.h"
#include "graph/flops.h"
#include "graph/fusion.h"
#include "graph/passes.h"
#include "graph/shape_inference.h"
#include "onnx/onnx_importer.h"
#include "percept/error.h"

namespace percept {

namespace detail {

Model modelFromGraph(graph::Graph g, const std::string& source) {
    try {
        graph::sortTopologically(g);
        graph::inferShapesAndFold(g);
        foldWithKernels(g);
        graph::removeIdentityOps(g);
        graph::foldBatchNormIntoConv(g);
        graph::fuseLayerNorm(g);
        graph::fusePointwisePatterns(g);
        graph::fuseActivations(g);
        graph::removeDeadNodes(g);
        // An output folded to a constant is returned as it is (the sessions copy it out); a graph
        // whose every output is one computes nothing from its input.
        bool computes = false;
        for (int out : g.outputs) computes |= !g.value(out).isConstant();
        if (!computes) throw Error("every output is a constant; the graph computes nothing from its input");
        // No node left (an Identity or an inference-mode Dropout alone): the outputs are the
        // inputs, which the sessions copy through.
    } catch (const Error& e) {
        const std::string msg = e.what();
        if (msg.rfind(source + ":", 0) == 0) throw;
        throw Error(source + ": " + msg);
    }
    return Model(std::make_shared<const graph::Graph>(std::move(g)), source);
}

}  // namespace detail

namespace {

// What an output holds: the op that produces it, looked through pure reshapes, is a Softmax
// (probabilities) or LogSoftmax over the axis that remains the class axis.
OutputKind outputKind(const graph::Graph& g, int value) {
    for (int steps = 0; steps < 8; ++steps) {
        const graph::Node* producer = nullptr;
        for (const auto& n : g.nodes)
            for (int o : n.outputs)
                if (o == value) producer = &n;
        if (!producer) return OutputKind::Values;
        switch (producer->op) {
            case graph::OpKind::Softmax:
            case graph::OpKind::LogSoftmax: {
                // Only a softmax over the last axis (with everything before it of size 1
                // after the reshapes) normalises the class scores the app reads.
                const Shape& s = g.shapeOf(producer->outputs[0]);
                const int64_t axis = producer->attrInt("axis", static_cast<int64_t>(s.size()) - 1);
                const bool lastAxis = axis == static_cast<int64_t>(s.size()) - 1 || elementCount(s) == s[static_cast<size_t>(axis)];
                if (!lastAxis) return OutputKind::Values;
                return producer->op == graph::OpKind::Softmax ? OutputKind::Probabilities : OutputKind::LogProbabilities;
            }
            case graph::OpKind::Reshape:
            case graph::OpKind::Flatten:
            case graph::OpKind::Squeeze:
            case graph::OpKind::Unsqueeze:
            case graph::OpKind::Identity:
                if (producer->inputs.empty() || producer->inputs[0] < 0) return OutputKind::Values;
                value = producer->inputs[0];
                continue;
            default: return OutputKind::Values;
        }
    }
    return OutputKind::Values;
}

}  // namespace

Model::Model(std::shared_ptr<const graph::Graph> g, std::string source) : graph_(std::move(g)), source_(std::move(source)) {
    for (int id : graph_->inputs) inputs_.push_back({graph_->value(id).name, graph_->value(id).shape});
    for (int id : graph_->outputs) outputs_.push_back({graph_->value(id).name, graph_->value(id).shape, outputKind(*graph_, id)});
}

const std::map<std::string, std::string>& Model::metadata() const { return graph_->metadata; }

Model Model::load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open the model file (missing or unreadable)");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) throw Error(path + ": error while reading the model file");
    return fromBytes(bytes.data(), bytes.size(), path);
}

Model Model::fromBytes(const void* data, size_t size, const std::string& sourceName) {
    return detail::modelFromGraph(onnx_import::importOnnx(data, size, sourceName), sourceName);
}

const std::vector<TensorInfo>& Model::inputs() const { return inputs_; }
const std::vector<TensorInfo>& Model::outputs() const { return outputs_; }
size_t Model::weightBytes() const { return graph_->weightBytes(); }
size_t Model::nodeCount() const { return graph_->nodes.size(); }
const std::string& Model::source() const { return source_; }

std::vector<std::string> Model::unsupportedOps(Backend backend) const {
    std::vector<std::string> out;
    for (const auto& n : graph_->nodes) {
        std::string why;
        if (!detail::supportsOp(backend, *graph_, n, &why)) out.push_back(n.describe() + ": " + why);
    }
    return out;
}

int64_t Model::flops() const {
    int64_t total = 0;
    for (const auto& n : graph_->nodes) total += graph::nodeFlops(*graph_, n);
    return total;
}

}  // namespace percept
