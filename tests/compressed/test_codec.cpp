// SPDX-License-Identifier: Apache-2.0
// The codec under the file: rANS round trips on skewed and flat alphabets and catches a damaged
// stream; the k-means codebook keeps an already quantised tensor exact and prunes what it is told.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "compressed/codebook.h"
#include "compressed/coded_tensor.h"

using namespace percept::compressed;

TEST(Rans, RoundTripsAndApproachesTheEntropy) {
    std::mt19937 rng(4);
    for (int bits : {4, 6, 8}) {
        for (double zeros : {0.0, 0.5, 0.95}) {
            const int64_t n = 3 * kChunkSymbols + 123;  // several chunks, the last one short
            std::vector<uint8_t> sym(static_cast<size_t>(n));
            std::geometric_distribution<int> geo(0.3);
            std::uniform_real_distribution<double> u(0, 1);
            for (auto& s : sym) s = u(rng) < zeros ? 0 : static_cast<uint8_t>(1 + std::min(geo(rng), (1 << bits) - 2));
            std::vector<float> codebook(size_t{1} << bits);
            for (size_t k = 0; k < codebook.size(); ++k) codebook[k] = static_cast<float>(k) * 0.5f;
            const CodedTensor c = encodeSymbols(bits, codebook, sym);
            const std::vector<float> out = c.decode();
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[static_cast<size_t>(i)], codebook[sym[static_cast<size_t>(i)]]) << i;
            std::vector<double> p(codebook.size(), 0.0);
            for (uint8_t s : sym) p[s] += 1.0 / static_cast<double>(n);
            double h = 0.0;
            for (double q : p) h -= q > 0 ? q * std::log2(q) : 0.0;
            const double bitsPerSymbol = 8.0 * static_cast<double>(c.stream.size()) / static_cast<double>(n);
            EXPECT_LE(bitsPerSymbol, h * 1.01 + 0.01) << "bits " << bits << ", zeros " << zeros << ", entropy " << h;
        }
    }
}

TEST(Rans, DamagedChunkIsCaught) {
    std::vector<uint8_t> sym(5000);
    for (size_t k = 0; k < sym.size(); ++k) sym[k] = static_cast<uint8_t>((k * 7) % 13);
    const CodedTensor c = encodeSymbols(4, std::vector<float>(16, 1.0f), sym);
    auto fails = [](const CodedTensor& t) {
        try {
            t.decode();
        } catch (const std::exception&) {
            return true;
        }
        return false;
    };
    EXPECT_FALSE(fails(c));
    CodedTensor cut = c;  // one byte short: the decoder runs out
    cut.stream.pop_back();
    cut.chunkEnd.back() -= 1;
    EXPECT_TRUE(fails(cut));
    CodedTensor padded = c;  // one byte more: left over
    padded.stream.push_back(0);
    padded.chunkEnd.back() += 1;
    EXPECT_TRUE(fails(padded));
    CodedTensor low = c;  // a state below the bound
    low.stream[2] = low.stream[3] = 0;
    EXPECT_TRUE(fails(low));
    // Flipped bits: never a crash; most are caught by the end check (rANS resynchronises after
    // some, which is why the file carries a CRC-32).
    int caught = 0, flips = 0;
    for (size_t at = 0; at < c.stream.size(); at += 37, ++flips) {
        CodedTensor d = c;
        d.stream[at] ^= 0x40;
        caught += fails(d);
    }
    EXPECT_GE(caught, flips / 2);
}

TEST(Codebook, QuantisedTensorIsExactAndPruningPrunes) {
    std::mt19937 rng(5);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> w(10000);
    for (auto& v : w) v = 0.02f * static_cast<float>(std::lround(d(rng) * 40.0f));  // <= 255 distinct values
    const SharedWeights exact = shareWeights(w.data(), static_cast<int64_t>(w.size()), {8, 0.0});
    EXPECT_EQ(exact.maxAbsError, 0.0);
    const SharedWeights pruned = shareWeights(w.data(), static_cast<int64_t>(w.size()), {5, 0.5});
    EXPECT_GE(pruned.pruned, 5000);
    int zeros = 0;
    for (uint8_t s : pruned.symbols) zeros += s == 0;
    EXPECT_EQ(zeros, pruned.pruned);
    EXPECT_LT(pruned.rmsError, 0.5 * pruned.rmsWeight);
}
