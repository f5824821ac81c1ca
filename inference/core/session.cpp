// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cctype>

#include "core/backend_registry.h"
#include "core/model_internal.h"
#include "cpu/kernel.h"
#include "cpu/weight_stream.h"
#include "core/model_internal.h"
#include "graph/ir.h"
#include "percept/error.h"

namespace percept {

const char* backendName(Backend b) { return b == Backend::Cpu ? "cpu" : "vulkan"; }

Backend parseBackend(const std::string& name) {
    std::string s = name;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "cpu") return Backend::Cpu;
    if (s == "vulkan" || s == "gpu") return Backend::Vulkan;
    throw Error("unknown backend '" + name + "' (expected cpu or vulkan)");
}

bool backendAvailable(Backend b, std::string* why) {
    if (b == Backend::Cpu) return true;
#ifdef PERCEPT_HAVE_VULKAN
    return detail::vulkanAvailable(why);
#else
    if (why) *why = "this build of Percept has no Vulkan backend";
    return false;
#endif
}

std::unique_ptr<Session> Session::create(const Model& model, const SessionOptions& options) {
    // Throughput mode: the graph compiled for the batch (the backends see an ordinary model).
    if (options.batch != model.batch()) {
        const Model batched = model.withBatch(options.batch);
        return create(batched, options);
    }
    // Intermediate values as extra outputs (teaching): a copy of the model with them as outputs.
    if (!options.extraOutputs.empty()) {
        SessionOptions rest = options;
        rest.extraOutputs.clear();
        return create(detail::modelWithOutputs(model, options.extraOutputs), rest);
    }
    std::unique_ptr<Session> s;
    if (options.backend == Backend::Cpu) {
        s = detail::createCpuSession(model, options);
    } else {
#ifdef PERCEPT_HAVE_VULKAN
        // Compressed weights: Vulkan decodes them all at creation (into a copy of the model the
        // session keeps), whatever the weight budget; the upload then works as for any model.
        s = detail::createVulkanSession(cpu::hasCodedWeights(model.graph()) ? detail::decodedModel(model) : model, options);
#else
        throw Error("the Vulkan backend is not available: this build of Percept has none");
#endif
    }
    s->batch_ = model.batch();
    for (const TensorInfo& t : model.inputs()) s->inputShapes_.push_back(t.shape);
    for (const TensorInfo& t : model.outputs()) s->outputShapes_.push_back(t.shape);
    return s;
}

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) {
    std::vector<const Tensor*> in;
    in.reserve(inputs.size());
    for (const Tensor& t : inputs) in.push_back(&t);
    return runInputs(in);
}

std::vector<Tensor> Session::runBatch(const std::vector<Tensor>& images) {
    if (inputShapes_.size() != 1) throw Error("runBatch needs a model with one input, not " + std::to_string(inputShapes_.size()));
    if (images.empty()) return {};
    if (static_cast<int64_t>(images.size()) > batch_)
        throw Error("runBatch got " + std::to_string(images.size()) + " images for a session of batch " + std::to_string(batch_));
    const Shape& in = inputShapes_[0];
    const int64_t perImage = elementCount(in) / batch_;
    Tensor x(in);  // zeros: the padding of a short list
    for (size_t k = 0; k < images.size(); ++k) {
        const Tensor& im = images[k];
        Shape one = in;
        one[0] = 1;
        const Shape bare(in.begin() + 1, in.end());
        if ((im.shape != one && im.shape != bare) || static_cast<int64_t>(im.data.size()) != perImage)
            throw Error("runBatch: image " + std::to_string(k) + " has shape " + shapeToString(im.shape) + ", expected " + shapeToString(one));
        std::copy(im.data.begin(), im.data.end(), x.data.begin() + static_cast<std::ptrdiff_t>(k) * perImage);
    }
    const std::vector<Tensor> out = run(std::vector<Tensor>{std::move(x)});
    const Tensor& y = out.at(0);
    Shape one = outputShapes_.at(0);
    one[0] = 1;
    const int64_t perResult = elementCount(one);
    std::vector<Tensor> results;
    for (size_t k = 0; k < images.size(); ++k) {
        Tensor r(one);
        std::copy(y.data.begin() + static_cast<std::ptrdiff_t>(k) * perResult, y.data.begin() + static_cast<std::ptrdiff_t>(k + 1) * perResult,
                  r.data.begin());
        results.push_back(std::move(r));
    }
    return results;
}

namespace detail {

Model decodedModel(const Model& model) {
    graph::Graph g = model.graph();
    for (graph::Value& v : g.values) {
        if (!v.constant || !v.constant->coded) continue;
        auto t = std::make_shared<graph::TensorData>();
        t->shape = v.constant->shape;
        t->f.resize(static_cast<size_t>(v.constant->count()));
        cpu::decodeCoded(*v.constant, t->f.data(), nullptr);
        v.constant = std::move(t);
    }
    return modelFromGraph(std::move(g), model.source());
}

bool supportsOp(Backend b, const graph::Graph& g, const graph::Node& n, std::string* why) {
    if (b == Backend::Cpu) return cpu::cpuSupports(g, n, why);
#ifdef PERCEPT_HAVE_VULKAN
    return vulkanSupportsOp(g, n, why);
#else
    if (why) *why = "this build of Percept has no Vulkan backend";
    return false;
#endif
}

void checkRunInputs(const graph::Graph& g, std::span<const Tensor* const> inputs) {
    if (inputs.size() != g.inputs.size())
        throw Error("the model takes " + std::to_string(g.inputs.size()) + " input(s), got " + std::to_string(inputs.size()));
    for (size_t k = 0; k < inputs.size(); ++k) {
        const graph::Value& v = g.value(g.inputs[k]);
        if (inputs[k]->shape != v.shape || static_cast<int64_t>(inputs[k]->data.size()) != elementCount(v.shape))
            throw Error("input '" + v.name + "' must have shape " + shapeToString(v.shape) + ", got " + shapeToString(inputs[k]->shape));
    }
}

}  // namespace detail

}  // namespace percept
