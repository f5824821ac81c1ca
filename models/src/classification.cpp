// SPDX-License-Identifier: Apache-2.0
#include "percept/models/classification.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "percept/error.h"

namespace percept::models {

Labels Labels::load(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw Error(path + ": cannot open the labels file");
    Labels l;
    std::string line;
    while (std::getline(f, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        // "n01440764 tench, Tinca tinca" -> "tench, Tinca tinca"
        if (line.size() > 10 && line[0] == 'n' && line[9] == ' ' &&
            std::all_of(line.begin() + 1, line.begin() + 9, [](char c) { return c >= '0' && c <= '9'; }))
            line = line.substr(10);
        l.names_.push_back(line);
    }
    if (l.names_.empty()) throw Error(path + ": the labels file is empty");
    return l;
}

Labels Labels::fromNames(std::vector<std::string> names) {
    if (names.empty()) throw Error("the list of labels is empty");
    Labels l;
    l.names_ = std::move(names);
    return l;
}

std::string Labels::name(int index, int labelOffset) const {
    const int k = index - labelOffset;
    if (k < 0) return "background";
    if (static_cast<size_t>(k) >= names_.size()) return "class " + std::to_string(index);
    const std::string& full = names_[static_cast<size_t>(k)];
    return full.substr(0, full.find(','));  // the short name, before the synonyms
}

std::vector<float> softmax(const std::vector<float>& logits) {
    std::vector<float> p(logits.size());
    if (logits.empty()) return p;
    const float mx = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (size_t k = 0; k < logits.size(); ++k) sum += (p[k] = std::exp(logits[k] - mx));
    for (float& v : p) v = static_cast<float>(v / sum);
    return p;
}

std::vector<float> probabilities(const std::vector<float>& outputs, OutputKind kind) {
    switch (kind) {
        case OutputKind::Probabilities: return outputs;
        case OutputKind::LogProbabilities: {
            std::vector<float> p(outputs.size());
            for (size_t k = 0; k < p.size(); ++k) p[k] = std::exp(outputs[k]);
            return p;
        }
        case OutputKind::Values: break;
    }
    return softmax(outputs);
}

std::vector<int> topK(const std::vector<float>& values, int k) {
    std::vector<int> idx(values.size());
    std::iota(idx.begin(), idx.end(), 0);
    k = std::clamp(k, 0, static_cast<int>(values.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int a, int b) {
        return values[a] > values[b] || (values[a] == values[b] && a < b);
    });
    idx.resize(static_cast<size_t>(k));
    return idx;
}

std::vector<Prediction> classify(const std::vector<float>& outputs, OutputKind kind, const Labels& labels, int labelOffset, int k) {
    const auto probs = probabilities(outputs, kind);
    std::vector<Prediction> out;
    for (int i : topK(probs, k)) out.push_back({i, labels.name(i, labelOffset), probs[static_cast<size_t>(i)]});
    return out;
}

}  // namespace percept::models
