// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <iterator>

#include "core/backend_registry.h"
#include "core/fold_with_kernels.h"
#include "compressed/model_file.h"
#include "core/model_internal.h"
#include "graph/flops.h"
#include "graph/fusion.h"
#include "graph/passes.h"
#include "graph/quant_expand.h"
#include "graph/shape_inference.h"
#include "onnx/onnx_importer.h"
#include "percept/error.h"

namespace percept {

namespace detail {

Model modelFromGraph(graph::Graph g, const std::string& source) {
    // Kept for Model::withBatch (constants are shared, not copied).
    auto imported = std::make_shared<const graph::Graph>(g);
    try {
        graph::sortTopologically(g);
        graph::expandQLinearOps(g);  // int8 (INT8.md)
        graph::inferShapesAndFold(g);
        foldWithKernels(g);
        graph::removeIdentityOps(g);
        graph::foldBatchNormIntoConv(g);
        graph::foldChannelScaleIntoLinear(g);
        graph::foldScalarsIntoMatMul(g);
        graph::fuseLayerNorm(g);
        graph::fusePointwisePatterns(g);
        graph::sinkChannelsLastTransposes(g);
        graph::fuseActivations(g);
        graph::fuseQuantized(g);  // int8: last, on the float fusions' result (INT8.md)
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
    Model m(std::make_shared<const graph::Graph>(std::move(g)), source);
    m.imported_ = std::move(imported);
    return m;
}

Model modelWithOutputs(const Model& m, const std::vector<std::string>& names) {
    auto g = std::make_shared<graph::Graph>(m.graph());
    for (const std::string& name : names) {
        int found = -1;
        for (const auto& n : g->nodes)
            for (int o : n.outputs)
                if (o >= 0 && g->value(o).name == name) found = o;
        if (found < 0)
            throw Error(m.source() + ": no value named '" + name + "' is computed by the optimised model (Model::intermediates() lists them)");
        g->outputs.push_back(found);
    }
    Model r(std::move(g), m.source());
    r.batch_ = m.batch_;  // its batch, if any, stays (Session::create applies the batch first)
    r.imported_ = m.imported_;
    return r;
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
    // A percept-compress file (compressed/FORMAT.md) is told apart by its first bytes.
    if (compressed::looksCompressed(data, size))
        return detail::modelFromGraph(compressed::readCompressedModel(data, size, sourceName), sourceName);
    return detail::modelFromGraph(onnx_import::importOnnx(data, size, sourceName), sourceName);
}

Model Model::withBatch(int64_t batch) const {
    if (batch < 1) throw Error(source_ + ": a batch must be at least 1, not " + std::to_string(batch));
    if (batch == batch_) return *this;
    graph::Graph g = *imported_;
    for (int id : g.inputs) {
        Shape& s = g.value(id).shape;
        if (s.empty() || s[0] != 1)
            throw Error(source_ + ": cannot run a batch of " + std::to_string(batch) + ": input '" + g.value(id).name + "' has shape " +
                        shapeToString(s) + ", not a first axis of 1");
        s[0] = batch;
    }
    Model m = [&] {
        try {
            return detail::modelFromGraph(std::move(g), source_);
        } catch (const Error& e) {
            std::string why = e.what();
            if (why.rfind(source_ + ": ", 0) == 0) why.erase(0, source_.size() + 2);
            throw Error(source_ + ": cannot run a batch of " + std::to_string(batch) + " (a shape inside the graph is fixed at batch 1?): " + why);
        }
    }();
    for (const TensorInfo& o : m.outputs())
        if (o.shape.empty() || o.shape[0] != batch)
            throw Error(source_ + ": cannot run a batch of " + std::to_string(batch) + ": output '" + o.name + "' has shape " +
                        shapeToString(o.shape) + ", without the batch on its first axis");
    m.batch_ = batch;
    m.imported_ = imported_;  // batch 1, as loaded: any batch starts from it
    return m;
}

const std::vector<TensorInfo>& Model::inputs() const { return inputs_; }
const std::vector<TensorInfo>& Model::outputs() const { return outputs_; }
size_t Model::weightBytes() const { return graph_->weightBytes(); }
size_t Model::nodeCount() const { return graph_->nodes.size(); }
const std::string& Model::source() const { return source_; }

std::vector<TensorInfo> Model::intermediates() const {
    std::vector<TensorInfo> out;
    for (const auto& n : graph_->nodes)
        for (int o : n.outputs)
            if (o >= 0 && !graph_->value(o).name.empty()) out.push_back({graph_->value(o).name, graph_->value(o).shape});
    return out;
}

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
