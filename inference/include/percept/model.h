// SPDX-License-Identifier: Apache-2.0
#pragma once
// A loaded, validated and optimised model. Loading parses the ONNX file, folds constant
// sub-graphs, infers every shape, applies the graph passes and checks that every op is
// supported: a Model that exists can be run on the CPU backend.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "percept/backend.h"
#include "percept/tensor.h"

namespace percept {

namespace graph { struct Graph; }
class Model;
namespace detail {
Model modelFromGraph(graph::Graph g, const std::string& source);
// The same model with the named values returned after its outputs (SessionOptions::extraOutputs).
Model modelWithOutputs(const Model& m, const std::vector<std::string>& names);
}

// What a graph output holds, from the op that produces it (through reshapes): a model that
// ends in Softmax already gives probabilities, and a second softmax would flatten them.
enum class OutputKind { Values, Probabilities, LogProbabilities };

struct TensorInfo {
    std::string name;
    Shape shape;
    OutputKind kind = OutputKind::Values;  // outputs only
};

class Model {
public:
    // Throws percept::Error with a message naming the file and, where it applies, the node.
    static Model load(const std::string& path);
    static Model fromBytes(const void* data, size_t size, const std::string& sourceName = "<memory>");

    const std::vector<TensorInfo>& inputs() const;
    const std::vector<TensorInfo>& outputs() const;
    size_t weightBytes() const;
    int64_t flops() const;
    size_t nodeCount() const;
    const std::string& source() const;
    // The file's metadata_props, as written by the exporter (empty when none).
    const std::map<std::string, std::string>& metadata() const;

    // The values the optimised graph computes (not its inputs or constants), in the order they
    // are computed: what SessionOptions::extraOutputs may ask for. Values fused away (a conv's
    // output before its fused Relu, say) are not among them.
    std::vector<TensorInfo> intermediates() const;

    // The nodes a backend cannot run, one sentence each ("Erf node 'x': Erf on Vulkan: ..."),
    // asked before a session is made; empty when the backend runs the whole model.
    std::vector<std::string> unsupportedOps(Backend backend) const;

    // Throughput mode: the same model compiled for `batch` images at once (each input's first
    // axis, 1 as loaded, set to `batch`, and the whole load pipeline run again on the imported
    // graph, so shapes the exporter computes from the input follow). SessionOptions::batch
    // uses it. Throws percept::Error naming why when the graph cannot take a batch (an input
    // whose first axis is not 1, a shape fixed at batch 1 inside the graph) or when an output
    // does not carry the batch on its first axis.
    Model withBatch(int64_t batch) const;
    // The batch the model was compiled for (1 unless made by withBatch).
    int64_t batch() const { return batch_; }

    // The optimised graph, for backends and tools.
    const graph::Graph& graph() const { return *graph_; }
    std::shared_ptr<const graph::Graph> sharedGraph() const { return graph_; }

private:
    friend Model detail::modelFromGraph(graph::Graph g, const std::string& source);
    friend Model detail::modelWithOutputs(const Model& m, const std::vector<std::string>& names);
    explicit Model(std::shared_ptr<const graph::Graph> g, std::string source);
    std::shared_ptr<const graph::Graph> graph_;
    std::shared_ptr<const graph::Graph> imported_;  // before the load pipeline: withBatch starts again from it
    int64_t batch_ = 1;
    std::vector<TensorInfo> inputs_, outputs_;
    std::string source_;
};

}  // namespace percept
