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
        graph::fuseActivations(g);
        graph::removeDeadNodes(g);
        for (int out : g.outputs)
            if (g.value(out).isConstant()) throw Error("output '" + g.value(out).name + "' is a constant; the graph computes nothing");
        if (g.nodes.empty()) throw Error("the graph has no nodes left to run");
    } catch (const Error& e) {
        const std::string msg = e.what();
        if (msg.rfind(source + ":", 0) == 0) throw;
        throw Error(source + ": " + msg);
    }
    return Model(std::make_shared<const graph::Graph>(std::move(g)), source);
}

}  // namespace detail

Model::Model(std::shared_ptr<const graph::Graph> g, std::string source) : graph_(std::move(g)), source_(std::move(source)) {
    for (int id : graph_->inputs) inputs_.push_back({graph_->value(id).name, graph_->value(id).shape});
    for (int id : graph_->outputs) outputs_.push_back({graph_->value(id).name, graph_->value(id).shape});
}

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
