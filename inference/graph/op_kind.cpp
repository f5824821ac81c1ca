// SPDX-License-Identifier: Apache-2.0
#include "graph/op_kind.h"

#include <string>
#include <unordered_map>

namespace percept::graph {
namespace {

constexpr const char* kNames[] = {
#define PERCEPT_OP(kind, name) name,
#include "graph/ops.def"
#undef PERCEPT_OP
};
static_assert(std::size(kNames) == kOpCount);

}  // namespace

const char* opName(OpKind k) {
    const size_t i = static_cast<size_t>(k);
    return i < kOpCount ? kNames[i] : "?";
}

std::optional<OpKind> opKindFromName(std::string_view name) {
    static const std::unordered_map<std::string_view, OpKind> byName = [] {
        std::unordered_map<std::string_view, OpKind> m;
        for (size_t k = 0; k < kOpCount; ++k) m.emplace(kNames[k], static_cast<OpKind>(k));
        return m;
    }();
    auto it = byName.find(name);
    if (it == byName.end()) return std::nullopt;
    return it->second;
}

const char* unknownOpReason(std::string_view name) {
    static const std::unordered_map<std::string_view, const char*> known = {
        {"LSTM", "recurrent ops (LSTM, GRU, RNN) are out of the engine's scope (it runs feed-forward classifiers)"},
        {"GRU", "recurrent ops (LSTM, GRU, RNN) are out of the engine's scope (it runs feed-forward classifiers)"},
        {"RNN", "recurrent ops (LSTM, GRU, RNN) are out of the engine's scope (it runs feed-forward classifiers)"},
        {"Loop", "control flow (Loop, If, Scan) is not supported: the engine runs static graphs"},
        {"If", "control flow (Loop, If, Scan) is not supported: the engine runs static graphs"},
        {"Scan", "control flow (Loop, If, Scan) is not supported: the engine runs static graphs"},
        {"RandomNormal", "random ops are not supported: the engine's results are deterministic"},
        {"RandomUniform", "random ops are not supported: the engine's results are deterministic"},
        {"RandomNormalLike", "random ops are not supported: the engine's results are deterministic"},
        {"RandomUniformLike", "random ops are not supported: the engine's results are deterministic"},
        {"Multinomial", "random ops are not supported: the engine's results are deterministic"},
        {"Bernoulli", "random ops are not supported: the engine's results are deterministic"},
        {"SequenceAt", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceConstruct", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceEmpty", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceErase", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceInsert", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceLength", "sequence types are not supported: the engine's values are tensors"},
        {"SplitToSequence", "sequence types are not supported: the engine's values are tensors"},
        {"ConcatFromSequence", "sequence types are not supported: the engine's values are tensors"},
        {"SequenceMap", "sequence types are not supported: the engine's values are tensors"},
        {"Optional", "optional types are not supported: the engine's values are tensors"},
        {"OptionalGetElement", "optional types are not supported: the engine's values are tensors"},
        {"OptionalHasElement", "optional types are not supported: the engine's values are tensors"},
        {"NegativeLogLikelihoodLoss", "loss functions are training ops, out of the engine's scope"},
        {"SoftmaxCrossEntropyLoss", "loss functions are training ops, out of the engine's scope"},
        {"StringNormalizer", "string tensors are not supported"},
        {"TfIdfVectorizer", "string and text ops are not supported"},
        {"RegexFullMatch", "string tensors are not supported"},
        {"ConvInteger", "dynamic quantisation (int32 results, scales computed at run time) is not supported; static QDQ int8 models are (percept-quantize writes them)"},
        {"MatMulInteger", "dynamic quantisation (int32 results, scales computed at run time) is not supported; static QDQ int8 models are (percept-quantize writes them)"},
        {"DynamicQuantizeLinear", "dynamic quantisation (int32 results, scales computed at run time) is not supported; static QDQ int8 models are (percept-quantize writes them)"},
        {"DFT", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"STFT", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"MelWeightMatrix", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"HannWindow", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"HammingWindow", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"BlackmanWindow", "signal-processing ops (DFT, STFT, window functions) are not supported"},
        {"NonMaxSuppression", "detection ops (NonMaxSuppression, RoiAlign) are not supported: the engine runs classifiers"},
        {"RoiAlign", "detection ops (NonMaxSuppression, RoiAlign) are not supported: the engine runs classifiers"},
        {"MaxRoiPool", "detection ops (NonMaxSuppression, RoiAlign) are not supported: the engine runs classifiers"},
    };
    auto it = known.find(name);
    return it == known.end() ? "the engine does not implement it" : it->second;
}

}  // namespace percept::graph
