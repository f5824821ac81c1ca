// SPDX-License-Identifier: Apache-2.0
#pragma once
// The compressed model file (.pcz, FORMAT.md beside this file): the engine's optimised graph
// (BatchNorm folded, activations fused) with its large weights pruned, shared through a
// per-tensor k-means codebook and rANS-coded, versioned and checksummed. percept-compress
// writes it; percept::Model::load reads it as it reads ONNX (by its first bytes).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compressed/codebook.h"
#include "graph/ir.h"

namespace percept::compressed {

inline constexpr uint8_t kMagic[8] = {0x89, 'P', 'C', 'Z', '\r', '\n', 0x1a, '\n'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderBytes = 24;  // magic, version, flags, payload size
inline constexpr size_t kTrailerBytes = 4;  // CRC-32 of header and payload

// Whether the bytes start like a compressed model (the magic alone: the reader checks the rest).
bool looksCompressed(const void* data, size_t size);

// Parses a compressed model into a graph as the ONNX importer would give it (constants and
// input shapes set, the rest inferred by the load pipeline), with coded weights left coded.
// Every length, count, index and code table is checked; a corrupt, truncated or foreign file is
// a percept::Error naming `source` and what is wrong.
graph::Graph readCompressedModel(const void* data, size_t size, const std::string& source);

// Which constants are coded: float32 weights of at least minElements elements that are read
// only as a Conv's or ConvTranspose's weights or a Gemm's or MatMul's B (input 1). The reader
// accepts coded weights only there.
bool codableWeights(const graph::Graph& g, int value, int64_t minElements);
inline constexpr int64_t kMinCodedElements = 256;

struct CompressOptions {
    CodebookOptions codebook;
    int64_t minElements = 4096;  // smaller weights (biases, small layers) stay fp32
    // Weights the caller has already shared, by value name (percept-compress --calibrate
    // codes them against their inputs: compensated_sharing.h); the writer entropy-codes them
    // as they are. The others take `codebook` and their nearest shared values.
    std::map<std::string, SharedWeights> precoded;
};

struct CodedWeightReport {
    std::string name;
    Shape shape;
    size_t codedBytes = 0;
    double sparsity = 0.0;        // fraction of the weights that are 0 after pruning
    double relRmsError = 0.0;     // RMS error / RMS weight
    bool compensated = false;     // shared by the caller (CompressOptions::precoded)
    int bits = 0;                 // codebook index width
};

// Writes an optimised graph (a loaded Model's) as a compressed model file.
std::vector<uint8_t> writeCompressedModel(const graph::Graph& g, const CompressOptions& options, std::vector<CodedWeightReport>* report = nullptr);

}  // namespace percept::compressed
