// SPDX-License-Identifier: Apache-2.0
#include "compressed/coded_tensor.h"

#include <algorithm>
#include <string>

#include "percept/error.h"

namespace percept::compressed {

int64_t CodedTensor::chunkCount(int64_t c) const { return std::min(kChunkSymbols, count - chunkFirst(c)); }

void CodedTensor::decodeChunk(int64_t c, float* out) const {
    const uint64_t begin = c == 0 ? 0 : chunkEnd[static_cast<size_t>(c - 1)];
    const uint64_t end = chunkEnd[static_cast<size_t>(c)];
    if (!ransDecode(model, codebook.data(), stream.data() + begin, end - begin, chunkCount(c), out + chunkFirst(c)))
        throw Error("corrupt compressed weights: chunk " + std::to_string(c) + " of a " + std::to_string(count) +
                    "-element tensor does not decode (its coded stream ends early, has bytes left over or fails its end check)");
}

void CodedTensor::decode(float* out) const {
    for (int64_t c = 0; c < chunks(); ++c) decodeChunk(c, out);
}

std::vector<float> CodedTensor::decode() const {
    std::vector<float> out(static_cast<size_t>(count));
    decode(out.data());
    return out;
}

size_t CodedTensor::bytes() const {
    return stream.size() + codebook.size() * sizeof(float) + (model.freq.size() + model.start.size()) * sizeof(uint32_t) +
           chunkEnd.size() * sizeof(uint64_t) + sizeof(CodedTensor);
}

size_t CodedTensor::fileBytes() const {
    // bits, the codebook (float), the frequencies (u16), the chunk count (u32), the chunk ends (u64), the stream.
    return 1 + codebook.size() * sizeof(float) + model.freq.size() * sizeof(uint16_t) + sizeof(uint32_t) + chunkEnd.size() * sizeof(uint64_t) + stream.size();
}

CodedTensor encodeSymbols(int bits, std::vector<float> codebook, const std::vector<uint8_t>& symbols) {
    CodedTensor t;
    t.bits = bits;
    t.count = static_cast<int64_t>(symbols.size());
    t.codebook = std::move(codebook);
    std::vector<uint64_t> counts(size_t{1} << bits, 0);
    for (uint8_t s : symbols) ++counts[s];
    t.model = RansModel::fromCounts(counts);
    for (int64_t first = 0; first < t.count; first += kChunkSymbols) {
        ransEncode(t.model, symbols.data() + first, std::min(kChunkSymbols, t.count - first), t.stream);
        t.chunkEnd.push_back(t.stream.size());
    }
    return t;
}

}  // namespace percept::compressed
