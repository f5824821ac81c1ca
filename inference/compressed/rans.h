// SPDX-License-Identifier: Apache-2.0
#pragma once
// Order-0 rANS entropy coding (Duda's asymmetric numeral systems, in the byte-wise form of
// Giesen's ryg_rans) of a tensor's codebook indices: within a few tenths of a percent of the
// order-0 entropy, where Huffman coding (Deep Compression's choice) spends at least one bit on
// every symbol -- and the pruned zeros are most symbols. Two interleaved states halve the
// decoder's dependency chain. Symbols are coded in independent chunks so that a layer decodes
// on several threads. A chunk must use up its bytes exactly and end with its states back at
// their initial value, which catches a stream cut short or padded and most damage; rANS partly
// resynchronises after a damaged byte, though, so the file's CRC-32 is what guarantees the
// bytes are the ones written, and a damaged stream with a forged checksum decodes to wrong
// weights at worst, never to a read outside the stream.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace percept::compressed {

inline constexpr int kRansScaleBits = 14;                 // frequencies sum to 2^14
inline constexpr uint32_t kRansTotal = 1u << kRansScaleBits;
inline constexpr uint32_t kRansLow = 1u << 23;            // the states' lower bound (and initial value)

// A symbol alphabet's quantised frequencies and the decoder's lookup table.
struct RansModel {
    std::vector<uint32_t> freq;   // per symbol; sum == kRansTotal; a symbol with freq 0 never occurs
    std::vector<uint32_t> start;  // cumulative frequencies

    // From counts of each symbol (at most 256 symbols, at least one non-zero count):
    // frequencies scaled to kRansTotal, every present symbol at least 1.
    static RansModel fromCounts(const std::vector<uint64_t>& counts);
    // From stored frequencies; false when they do not sum to kRansTotal.
    bool setFrequencies(std::vector<uint32_t> f);
};

// Appends the coded bytes of symbols[0, n) to out.
void ransEncode(const RansModel& m, const uint8_t* symbols, int64_t n, std::vector<uint8_t>& out);

// Decodes n symbols (the decoder's slot -> symbol table, 16 KiB, is built on the stack per
// call rather than kept: it would be as large as a small layer's whole coded stream) from [data, data + size), and writes codebook[symbol] to out[0, n).
// Returns false when the stream is corrupt: it ends early, has bytes left over, or its states
// do not come back to their initial value.
bool ransDecode(const RansModel& m, const float* codebook, const uint8_t* data, size_t size, int64_t n, float* out);

}  // namespace percept::compressed
