// SPDX-License-Identifier: Apache-2.0
#include "layer_calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <string>

#include "compressed/coded_tensor.h"
#include "graph/ir.h"
#include "percept/models/classification.h"
#include "photo_folder.h"

namespace percept::tools {
namespace {

using compressed::LayerCalibration;

int dataOf(const graph::Graph& g, const LayerCalibration& l) { return g.nodes[static_cast<size_t>(l.node)].inputs[0]; }
int weightsOf(const graph::Graph& g, const LayerCalibration& l) { return g.nodes[static_cast<size_t>(l.node)].inputs[1]; }

// What a session can hand out as a layer's input: the model's input and the values the
// optimised graph keeps (Model::intermediates), by name.
std::set<std::string> valuesKept(const Model& model) {
    std::set<std::string> kept = {model.graph().value(model.graph().inputs.at(0)).name};
    for (const TensorInfo& t : model.intermediates()) kept.insert(t.name);
    return kept;
}

bool inputKept(const graph::Graph& g, const std::set<std::string>& kept, const LayerCalibration& l) { return kept.count(g.value(dataOf(g, l)).name) != 0; }

// Adds the photos' inputs of `layers` (all kept, see inputKept) as `graph` computes them.
void addInputs(const Model& model, const graph::Graph& graph, const std::vector<Tensor>& photos, const std::vector<LayerCalibration*>& layers) {
    const graph::Graph& g = model.graph();
    SessionOptions options;
    std::vector<int> source;  // per layer: -1 the model's input, else its index in extraOutputs
    for (const LayerCalibration* l : layers) {
        const int data = dataOf(g, *l);
        if (data == g.inputs[0]) {
            source.push_back(-1);
            continue;
        }
        auto it = std::find(options.extraOutputs.begin(), options.extraOutputs.end(), g.value(data).name);
        if (it == options.extraOutputs.end()) it = options.extraOutputs.insert(it, g.value(data).name);
        source.push_back(static_cast<int>(it - options.extraOutputs.begin()));
    }
    // Only layers reading the model's input need no session.
    auto session = options.extraOutputs.empty() ? nullptr : Session::create(detail::modelFromGraph(graph, model.source()), options);
    const size_t outputs = model.outputs().size();
    for (const Tensor& x : photos) {
        const std::vector<Tensor> out = session ? session->run(std::vector<Tensor>{x}) : std::vector<Tensor>{};
        for (size_t k = 0; k < layers.size(); ++k)
            compressed::addLayerInput(*layers[k], g, source[k] < 0 ? x.data.data() : out.at(outputs + static_cast<size_t>(source[k])).data.data());
    }
}

// The layer's weights coded with `options` against its moments (their `bases`).
compressed::SharedWeights codeLayer(const graph::Graph& g, const LayerCalibration& l, const std::vector<compressed::CompensationBasis>& bases,
                                    const compressed::CodebookOptions& options) {
    const graph::TensorData& w = *g.value(weightsOf(g, l)).constant;
    return compressed::shareWeightsCompensated(w.f.data(), w.count(), l.layout, bases, options);
}

// `graph` with the layer's weights replaced by their coded values.
void putCoded(graph::Graph& graph, const LayerCalibration& l, const compressed::SharedWeights& c) {
    const int w = weightsOf(graph, l);
    auto t = std::make_shared<graph::TensorData>(*graph.value(w).constant);
    for (size_t i = 0; i < t->f.size(); ++i) t->f[i] = c.codebook[c.symbols[i]];
    graph.value(w).constant = std::move(t);
}

std::vector<std::vector<float>> classProbabilities(const Model& model, const graph::Graph& graph, const std::vector<Tensor>& photos) {
    auto session = Session::create(detail::modelFromGraph(graph, model.source()));
    std::vector<std::vector<float>> p;
    for (const Tensor& x : photos) p.push_back(models::probabilities(session->run(x).data, model.outputs()[0].kind));
    return p;
}

double meanKl(const std::vector<std::vector<float>>& ref, const std::vector<std::vector<float>>& q) {
    double kl = 0.0;
    for (size_t i = 0; i < ref.size(); ++i)
        for (size_t c = 0; c < ref[i].size(); ++c)
            if (ref[i][c] > 0) kl += ref[i][c] * std::log(static_cast<double>(ref[i][c]) / std::max(1e-30, static_cast<double>(q[i][c])));
    return ref.empty() ? 0.0 : kl / static_cast<double>(ref.size());
}

}  // namespace

std::vector<Tensor> calibrationInputs(const std::string& dir, int maxImages, const models::InputSpec& input) {
    std::vector<Tensor> photos;
    for (const std::string& f : photosIn(dir, maxImages, "--calibrate")) {
        photos.push_back(models::preprocess(models::loadImage(f), input));
        Tensor m = photos.back();
        const int64_t w = m.shape.back(), rows = static_cast<int64_t>(m.data.size()) / w;
        for (int64_t r = 0; r < rows; ++r) std::reverse(m.data.begin() + r * w, m.data.begin() + (r + 1) * w);
        photos.push_back(std::move(m));
    }
    return photos;
}

std::map<std::string, compressed::SharedWeights> calibrateInOrder(const Model& model, const std::vector<Tensor>& photos, std::vector<LayerCalibration> layers) {
    const graph::Graph& g = model.graph();
    if (g.inputs.size() != 1) throw Error("--calibrate: the model has " + std::to_string(g.inputs.size()) + " inputs; only one-image models can be calibrated");
    std::sort(layers.begin(), layers.end(), [](const auto& a, const auto& b) { return a.node < b.node; });
    const std::set<std::string> kept = valuesKept(model);
    graph::Graph work = g;  // the model with the layers calibrated so far coded
    std::map<std::string, compressed::SharedWeights> done;
    std::vector<bool> taken(layers.size(), false);
    for (size_t k = 0; k < layers.size(); ++k) {
        if (taken[k] || !inputKept(g, kept, layers[k])) continue;
        // This layer and those reading the same data (a fire module's two expands), together.
        std::vector<LayerCalibration*> group;
        for (size_t j = k; j < layers.size(); ++j)
            if (!taken[j] && dataOf(g, layers[j]) == dataOf(g, layers[k])) group.push_back(&layers[j]), taken[j] = true;
        addInputs(model, work, photos, group);
        for (LayerCalibration* l : group) {
            compressed::SharedWeights c = codeLayer(g, *l, compressed::compensationBases(l->moments), l->codebook);
            putCoded(work, *l, c);
            done.emplace(l->weights, std::move(c));
        }
    }
    return done;
}

void allocateBits(const Model& model, const std::vector<Tensor>& photos, std::vector<LayerCalibration>& layers,
                  const std::vector<compressed::CodebookOptions>& candidates, size_t budget, bool verbose) {
    const graph::Graph& g = model.graph();
    // Every layer against the float model's inputs, in one pass.
    const std::set<std::string> kept = valuesKept(model);
    std::vector<LayerCalibration> scored;
    for (const LayerCalibration& l : layers)
        if (inputKept(g, kept, l)) scored.push_back(l);
    std::vector<LayerCalibration*> all;
    for (LayerCalibration& l : scored) all.push_back(&l);
    addInputs(model, g, photos, all);
    const auto reference = classProbabilities(model, g, photos);

    // Each candidate on each layer alone: its bytes and the damage it does.
    struct Trial {
        size_t bytes = 0;
        double damage = 0.0;
    };
    std::vector<std::vector<Trial>> trials(scored.size());
    for (size_t i = 0; i < scored.size(); ++i) {
        const auto bases = compressed::compensationBases(scored[i].moments);
        for (const compressed::CodebookOptions& c : candidates) {
            const compressed::SharedWeights s = codeLayer(g, scored[i], bases, c);
            graph::Graph work = g;
            putCoded(work, scored[i], s);
            trials[i].push_back({compressed::encodeSymbols(s.bits(), s.codebook, s.symbols).fileBytes(), meanKl(reference, classProbabilities(model, work, photos))});
        }
        if (verbose) std::fprintf(stderr, "\rscoring the layers' settings: %zu/%zu", i + 1, scored.size());
    }
    if (verbose) std::fprintf(stderr, "\n");

    // The least damage + lambda * bytes per layer; the smallest lambda whose choices fit.
    auto choose = [&](double lambda, std::vector<size_t>& pick) {
        size_t total = 0;
        pick.assign(scored.size(), 0);
        for (size_t i = 0; i < scored.size(); ++i) {
            double best = std::numeric_limits<double>::infinity();
            for (size_t c = 0; c < candidates.size(); ++c) {
                const double cost = trials[i][c].damage + lambda * static_cast<double>(trials[i][c].bytes);
                if (cost < best || (cost == best && trials[i][c].bytes < trials[i][pick[i]].bytes)) best = cost, pick[i] = c;
            }
            total += trials[i][pick[i]].bytes;
        }
        return total;
    };
    std::vector<size_t> pick;
    double lo = 0.0, hi = 1e-12;  // hi: a lambda whose choices fit
    if (choose(lo, pick) > budget) {
        while (choose(hi, pick) > budget) {
            if ((hi *= 4) > 1e6) {
                size_t smallest = 0;
                for (const auto& t : trials) smallest += std::min_element(t.begin(), t.end(), [](const Trial& x, const Trial& y) { return x.bytes < y.bytes; })->bytes;
                throw Error("the calibrated layers take at least " + std::to_string(smallest) + " bytes with the settings tried, over the " +
                            std::to_string(budget) + " the target leaves them");
            }
        }
        for (int iter = 0; iter < 60; ++iter) {
            const double mid = 0.5 * (lo + hi);
            (choose(mid, pick) > budget ? lo : hi) = mid;
        }
        choose(hi, pick);
    }
    for (size_t i = 0; i < scored.size(); ++i) {
        scored[i].codebook = candidates[pick[i]];
        for (LayerCalibration& l : layers)
            if (l.weights == scored[i].weights) l.codebook = scored[i].codebook;
        if (verbose) {
            const compressed::CodebookOptions& c = scored[i].codebook;
            char setting[64];
            if (c.step > 0) std::snprintf(setting, sizeof setting, "grid %.2f x RMS", c.step);
            else std::snprintf(setting, sizeof setting, "%d bits, %.0f%% pruned", c.bits, 100.0 * c.sparsity);
            std::printf("  %-40s %-18s %8zu bytes, damage alone %.2e\n", scored[i].weights.c_str(), setting, trials[i][pick[i]].bytes, trials[i][pick[i]].damage);
        }
    }
}

}  // namespace percept::tools
