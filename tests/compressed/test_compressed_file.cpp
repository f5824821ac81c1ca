// SPDX-License-Identifier: Apache-2.0
// The compressed model file as hostile input: damaged files (truncated, bit-flipped, another
// version) are refused by the header and checksum; files with a valid checksum but a broken
// inside (written by hand here, field by field as FORMAT.md lays them out) are refused by the
// reader's checks with a sentence naming what is wrong, or, for a coded stream that does not
// decode, when a session decodes it.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/test_data.h"
#include "compressed/byte_io.h"
#include "compressed/coded_tensor.h"
#include "compressed/model_file.h"
#include "percept/percept.h"

using namespace percept;
using compressed::ByteWriter;

namespace {

// A tiny model in the file format, every field settable: y = MatMul(x [1,16], W [16,16]),
// W coded at 4 bits. Each test breaks one thing.
struct HandFile {
    uint32_t version = compressed::kFormatVersion;
    int bits = 4;
    std::string op = "MatMul";
    int32_t weightInput = 1;     // the node's input 1
    int32_t output = 2;          // the node's output value
    std::vector<uint32_t> freq;  // default: from the symbols
    int64_t chunkEndDelta = 0;
    uint32_t chunks = 1;
    bool damageStream = false;
    bool trailingByte = false;
    uint32_t valueCount = 3;

    std::vector<uint8_t> bytes() const {
        std::vector<uint8_t> sym(256);
        for (size_t k = 0; k < sym.size(); ++k) sym[k] = static_cast<uint8_t>(k % 16);
        std::vector<float> codebook(16);
        for (int k = 0; k < 16; ++k) codebook[static_cast<size_t>(k)] = 0.125f * static_cast<float>(k - 8);
        compressed::CodedTensor c = compressed::encodeSymbols(4, codebook, sym);
        ByteWriter w;
        w.bytes(compressed::kMagic, 8);
        w.u32(version);
        w.u32(0);
        w.u64(0);
        w.u64(13);  // opset
        w.u32(0);   // metadata
        w.u32(valueCount);
        w.str("x"), w.u8(1), w.u8(2), w.i64(1), w.i64(16);                 // input
        w.str("W"), w.u8(3), w.u8(2), w.i64(16), w.i64(16), w.u8(static_cast<uint8_t>(bits));  // coded
        for (int k = 0; k < (1 << bits); ++k) w.f32(k < 16 ? codebook[static_cast<size_t>(k)] : 0.0f);
        for (int k = 0; k < (1 << bits); ++k) w.u16(static_cast<uint16_t>(freq.empty() ? (k < 16 ? c.model.freq[static_cast<size_t>(k)] : 0) : freq[static_cast<size_t>(k)]));
        w.u32(chunks);
        for (uint32_t k = 0; k < chunks; ++k) w.u64(static_cast<uint64_t>(static_cast<int64_t>(c.stream.size()) + chunkEndDelta));
        std::vector<uint8_t> stream = c.stream;
        if (damageStream) stream[2] = stream[3] = 0;  // state 0 below the coder's bound: caught by the decoder
        w.bytes(stream.data(), stream.size());
        w.str("y"), w.u8(0);  // computed
        w.u32(1);             // nodes
        w.str("mm"), w.str(op);
        w.u32(2), w.put<int32_t>(0), w.put<int32_t>(weightInput);
        w.u32(1), w.put<int32_t>(output);
        w.u8(0), w.f32(0), w.f32(0), w.f32(-INFINITY), w.f32(INFINITY);
        w.u32(0);  // attributes
        w.u32(1), w.put<int32_t>(0);
        w.u32(1), w.put<int32_t>(2);
        if (trailingByte) w.u8(0);
        std::vector<uint8_t> out = w.buffer();
        const uint64_t payload = out.size() - compressed::kHeaderBytes;
        std::memcpy(out.data() + 16, &payload, 8);
        const uint32_t crc = compressed::crc32(out.data(), out.size());
        out.resize(out.size() + 4);
        std::memcpy(out.data() + out.size() - 4, &crc, 4);
        return out;
    }
};

std::string loadError(const std::vector<uint8_t>& b) {
    try {
        Model::fromBytes(b.data(), b.size(), "hand.pcz");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(CompressedFile, HandWrittenFileLoadsAndComputes) {
    const auto b = HandFile{}.bytes();
    const Model m = Model::fromBytes(b.data(), b.size(), "hand.pcz");
    Tensor x({1, 16});
    for (int k = 0; k < 16; ++k) x.data[static_cast<size_t>(k)] = static_cast<float>(k);
    for (size_t budget : {kNoWeightBudget, size_t{0}}) {
        SessionOptions so;
        so.weightMemoryBudget = budget;
        const Tensor y = Session::create(m, so)->run(x);
        // W[k][j] = codebook[(16k + j) % 16] = 0.125 (j - 8): y[j] = 0.125 (j - 8) * sum(k).
        for (int j = 0; j < 16; ++j) EXPECT_FLOAT_EQ(y.data[static_cast<size_t>(j)], 0.125f * static_cast<float>(j - 8) * 120.0f);
    }
}

TEST(CompressedFile, DamagedFilesAreRefusedByHeaderAndChecksum) {
    const auto good = HandFile{}.bytes();
    for (size_t len : {size_t{0}, size_t{4}, size_t{8}, size_t{20}, size_t{27}, good.size() / 2, good.size() - 1}) {
        const std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len));
        const std::string e = loadError(cut);
        EXPECT_FALSE(e.empty()) << "a file cut to " << len << " bytes loaded";
    }
    EXPECT_NE(loadError({good.begin(), good.end() - 1}).find("truncated"), std::string::npos);
    std::mt19937 rng(1);
    for (int k = 0; k < 50; ++k) {
        std::vector<uint8_t> flipped = good;
        const size_t at = 24 + rng() % (good.size() - 28);
        flipped[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
        EXPECT_NE(loadError(flipped).find("CRC-32 does not match"), std::string::npos) << "byte " << at;
    }
    HandFile v2;
    v2.version = 2;
    EXPECT_NE(loadError(v2.bytes()).find("format version 2; this build of Percept reads version 1"), std::string::npos) << loadError(v2.bytes());
}

TEST(CompressedFile, BrokenInsidesAreRefusedWithTheReason) {
    auto expectError = [](const HandFile& f, const std::string& want) {
        const std::string e = loadError(f.bytes());
        EXPECT_NE(e.find(want), std::string::npos) << "got: '" << e << "', want: '" << want << "'";
    };
    HandFile f;
    f.op = "Add";
    expectError(f, "is read other than as the weights");
    f = {}, f.op = "NoSuchOp";
    expectError(f, "which the engine does not know");
    f = {}, f.weightInput = 7;
    expectError(f, "reads value 7, which does not exist");
    f = {}, f.output = 0;
    expectError(f, "writes value 'x', which is an input");
    f = {}, f.bits = 3;
    expectError(f, "index width 3 bits is outside 4 to 8");
    f = {}, f.freq.assign(16, 1000);
    expectError(f, "frequencies do not sum to 16384");
    f = {}, f.chunks = 2;
    expectError(f, "the chunk count is 2, more than the limit of 1");
    f = {}, f.chunkEndDelta = 1000;
    expectError(f, "outside the stream");
    f = {}, f.chunkEndDelta = -1;
    expectError(f, "corrupt compressed model");  // the stream's last byte is read as the next field
    f = {}, f.trailingByte = true;
    expectError(f, "1 bytes follow the graph");
    f = {}, f.valueCount = 0x7fffffff;
    expectError(f, "more than the limit");
}

TEST(CompressedFile, AStreamThatDoesNotDecodeFailsTheSession) {
    HandFile f;
    f.damageStream = true;
    const auto b = f.bytes();
    const Model m = Model::fromBytes(b.data(), b.size(), "hand.pcz");  // the checksum matches
    for (size_t budget : {kNoWeightBudget, size_t{0}}) {
        SessionOptions so;
        so.weightMemoryBudget = budget;
        try {
            Session::create(m, so)->run(Tensor({1, 16}));
            ADD_FAILURE() << "a damaged stream decoded";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("does not decode"), std::string::npos) << e.what();
        }
    }
}

// Cut a real compressed model anywhere: always an Error, never a crash or a model.
TEST(CompressedFile, TruncatedRealModelIsAlwaysAnError) {
    const std::string path = percept::testing::modelsDir() + "/mobilenet_v1_0.25_128.dequant.onnx";
    PERCEPT_REQUIRE_DATA(path);
    compressed::CompressOptions o;
    const auto good = compressed::writeCompressedModel(Model::load(path).graph(), o);
    ASSERT_NO_THROW(Model::fromBytes(good.data(), good.size(), "m.pcz"));
    std::mt19937 rng(2);
    for (int k = 0; k < 64; ++k) {
        const size_t len = rng() % good.size();
        EXPECT_FALSE(loadError({good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)}).empty()) << len;
    }
}
