// SPDX-License-Identifier: Apache-2.0
#pragma once
// From logits to what a person reads: softmax, top-k, labels.
#include <string>
#include <vector>

#include "percept/model.h"
#include "percept/models/manifest.h"

namespace percept::models {

struct Prediction {
    int index = 0;      // raw output index of the model
    std::string label;  // short name ("Egyptian cat")
    float prob = 0.0f;
};

class Labels {
public:
    Labels() = default;
    // One label per line; a leading WordNet id ("n02124075 ") is dropped. Throws on I/O error.
    static Labels load(const std::string& path);
    // From a list of names (a model's metadata); throws when empty.
    static Labels fromNames(std::vector<std::string> names);
    // The label of output index `index` given the manifest's offset; "class N" when unknown.
    std::string name(int index, int labelOffset) const;
    size_t size() const { return names_.size(); }

private:
    std::vector<std::string> names_;
};

std::vector<float> softmax(const std::vector<float>& logits);
// Class probabilities from a model's output: softmax of scores, the values themselves when the
// model ends in Softmax (a second softmax would flatten them towards uniform), exp of
// log-probabilities.
std::vector<float> probabilities(const std::vector<float>& outputs, OutputKind kind);
// Indices of the k largest values, best first (ties by lower index).
std::vector<int> topK(const std::vector<float>& values, int k);
std::vector<Prediction> classify(const std::vector<float>& outputs, OutputKind kind, const Labels& labels, int labelOffset, int k);

}  // namespace percept::models
