// SPDX-License-Identifier: Apache-2.0
#pragma once
// A weight tensor kept compressed in memory (Deep Compression's form): every element is an
// index into a per-tensor codebook of 2^bits values (index 0 is the pruned weights' 0.0), and
// the indices are rANS-coded (rans.h) in chunks of kChunkSymbols. Models loaded from a
// percept-compress file hold their large weights this way (graph::TensorData::coded) and the
// sessions decode them: all at creation, or layer by layer just before each runs
// (SessionOptions::weightMemoryBudget).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "compressed/rans.h"

namespace percept::compressed {

inline constexpr int64_t kChunkSymbols = int64_t{1} << 16;
inline constexpr int kMinBits = 4, kMaxBits = 8;

struct CodedTensor {
    int bits = 0;
    int64_t count = 0;               // elements
    std::vector<float> codebook;     // 2^bits values
    RansModel model;                 // 2^bits frequencies
    std::vector<uint64_t> chunkEnd;  // per chunk: the end of its bytes in `stream`
    std::vector<uint8_t> stream;

    int64_t chunks() const { return static_cast<int64_t>(chunkEnd.size()); }
    // Elements [first, first + n) that chunk c holds.
    int64_t chunkFirst(int64_t c) const { return c * kChunkSymbols; }
    int64_t chunkCount(int64_t c) const;
    // Decodes chunk c into out[chunkFirst(c), +chunkCount(c)) (out: the whole tensor). Throws
    // percept::Error when the chunk's stream is corrupt.
    void decodeChunk(int64_t c, float* out) const;
    // The whole tensor, on the calling thread.
    void decode(float* out) const;
    std::vector<float> decode() const;
    // Bytes held in memory.
    size_t bytes() const;
    // Bytes in a .pcz file (FORMAT.md's coded tensor, after its shape).
    size_t fileBytes() const;
};

// Codes symbols[0, count) (each < codebook.size() == 2^bits) into a CodedTensor.
CodedTensor encodeSymbols(int bits, std::vector<float> codebook, const std::vector<uint8_t>& symbols);

}  // namespace percept::compressed
