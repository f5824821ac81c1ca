// SPDX-License-Identifier: Apache-2.0
// Reads the compressed model file (FORMAT.md) as hostile input: the checksum and version
// first, then every count against the engine's limits and the bytes that remain before
// anything is allocated, every value index against the table, every code table for
// consistency. What the graph means (ops, attributes, shapes) is then checked by the same
// load pipeline as an ONNX file's.
#include <algorithm>
#include <cmath>
#include <memory>

#include "compressed/byte_io.h"
#include "compressed/coded_tensor.h"
#include "compressed/model_file.h"
#include "compressed/value_kinds.h"
#include "graph/limits.h"

namespace percept::compressed {
namespace {

constexpr uint32_t kMaxNameBytes = 1u << 16;
constexpr uint32_t kMaxMetadataEntries = 4096;
constexpr uint32_t kMaxAttributes = 4096;
constexpr uint32_t kMaxValues = static_cast<uint32_t>(graph::kMaxNodes) * 16;
constexpr uint32_t kMaxNodeIo = 4096;
constexpr uint32_t kMaxAttrElements = 1u << 20;

class Reader {
public:
    Reader(const uint8_t* data, size_t size, const std::string& source) : r_(data, size, source), source_(source) {}

    graph::Graph read() {
        graph::Graph g;
        const uint64_t opset = r_.u64("the opset");
        if (opset < static_cast<uint64_t>(graph::kMinOpset) || opset > static_cast<uint64_t>(graph::kMaxOpset))
            r_.fail("opset " + std::to_string(opset) + " is outside the supported " + std::to_string(graph::kMinOpset) + " to " +
                    std::to_string(graph::kMaxOpset));
        g.opset = static_cast<int64_t>(opset);
        const uint32_t meta = r_.count("the metadata entry count", kMaxMetadataEntries);
        for (uint32_t k = 0; k < meta; ++k) {
            std::string key = r_.str("a metadata key", 256);
            g.metadata[key] = r_.str("a metadata value", 1u << 20);
        }
        const uint32_t values = r_.count("the value count", kMaxValues);
        kinds_.reserve(values);
        for (uint32_t id = 0; id < values; ++id) readValue(g);
        const uint32_t nodes = r_.count("the node count", static_cast<uint64_t>(graph::kMaxNodes));
        if (nodes == 0) r_.fail("the graph has no nodes");
        std::vector<char> produced(values, 0);
        for (uint32_t k = 0; k < nodes; ++k) g.nodes.push_back(readNode(g, produced));
        for (const graph::Node& n : g.nodes)
            for (int v : n.inputs)
                if (v >= 0 && kinds_[static_cast<size_t>(v)] == ValueKind::Computed && !produced[static_cast<size_t>(v)])
                    r_.fail(n.describe() + " reads '" + g.value(v).name + "', which no node, input or constant defines");
        const uint32_t ins = r_.count("the graph input count", kMaxNodeIo);
        for (uint32_t k = 0; k < ins; ++k) {
            const int v = index(g, "a graph input");
            if (kinds_[static_cast<size_t>(v)] != ValueKind::Input) r_.fail("graph input '" + g.value(v).name + "' is not stored as an input");
            g.inputs.push_back(v);
        }
        if (g.inputs.empty()) r_.fail("the graph has no input");
        for (size_t id = 0; id < kinds_.size(); ++id)
            if (kinds_[id] == ValueKind::Input && std::count(g.inputs.begin(), g.inputs.end(), static_cast<int>(id)) != 1)
                r_.fail("value '" + g.values[id].name + "' is stored as an input but not listed once among the graph's inputs");
        const uint32_t outs = r_.count("the graph output count", kMaxNodeIo);
        for (uint32_t k = 0; k < outs; ++k) {
            const int v = index(g, "a graph output");
            if (kinds_[static_cast<size_t>(v)] == ValueKind::Computed && !produced[static_cast<size_t>(v)])
                r_.fail("graph output '" + g.value(v).name + "' is defined by no node");
            g.outputs.push_back(v);
        }
        if (g.outputs.empty()) r_.fail("the graph has no output");
        if (r_.remaining() != 0) r_.fail(std::to_string(r_.remaining()) + " bytes follow the graph");
        // Coded weights only where a kernel repacks them (codableWeights' rule): nothing else
        // may read their (absent) plain values.
        for (size_t id = 0; id < kinds_.size(); ++id)
            if (kinds_[id] == ValueKind::CodedConstant && !codableWeights(g, static_cast<int>(id), kMinCodedElements))
                r_.fail("compressed tensor '" + g.values[id].name + "' is read other than as the weights of a Conv, ConvTranspose, Gemm or MatMul");
        return g;
    }

private:
    Shape shape(const char* what, int64_t minDim) {
        const uint8_t rank = r_.u8(what);
        if (rank > graph::kMaxRank) r_.fail(std::string(what) + ": rank " + std::to_string(rank) + " is more than " + std::to_string(graph::kMaxRank));
        Shape s;
        int64_t n = 1;
        for (uint8_t k = 0; k < rank; ++k) {
            const int64_t d = r_.i64(what);
            if (d < minDim) r_.fail(std::string(what) + ": dimension " + std::to_string(d) + " is below " + std::to_string(minDim));
            if (d != 0 && n > graph::kMaxTensorElements / d)
                r_.fail(std::string(what) + ": more elements than the engine's limit of " + std::to_string(graph::kMaxTensorElements));
            n *= d;
            s.push_back(d);
        }
        return s;
    }

    graph::ConstPtr plainData(const char* what) {
        auto t = std::make_shared<graph::TensorData>();
        const uint8_t dt = r_.u8(what);
        if (dt > 2) r_.fail(std::string(what) + ": unknown element type " + std::to_string(dt));
        t->dtype = static_cast<graph::DType>(dt);
        t->shape = shape(what, 0);
        const size_t n = static_cast<size_t>(t->count());
        if (t->dtype == graph::DType::Float32) {
            const uint8_t* b = r_.bytes(n * sizeof(float), what);  // checked before allocating
            t->f.resize(n);
            if (n) std::memcpy(t->f.data(), b, n * sizeof(float));  // an empty vector's data() may be null
        } else {
            const uint8_t* b = r_.bytes(n * sizeof(int64_t), what);
            t->i.resize(n);
            if (n) std::memcpy(t->i.data(), b, n * sizeof(int64_t));
            if (t->dtype == graph::DType::Bool)
                for (int64_t& v : t->i) v = v != 0;
        }
        return t;
    }

    graph::ConstPtr codedData(const std::string& name) {
        const std::string what = "compressed tensor '" + name + "'";
        auto t = std::make_shared<graph::TensorData>();
        t->dtype = graph::DType::Float32;
        t->shape = shape("a compressed tensor's shape", 0);
        auto c = std::make_shared<CodedTensor>();
        c->count = t->count();
        c->bits = r_.u8("a compressed tensor's index width");
        if (c->bits < kMinBits || c->bits > kMaxBits)
            r_.fail(what + ": index width " + std::to_string(c->bits) + " bits is outside " + std::to_string(kMinBits) + " to " + std::to_string(kMaxBits));
        const size_t symbols = size_t{1} << c->bits;
        const uint8_t* cb = r_.bytes(symbols * sizeof(float), "a codebook");
        c->codebook.resize(symbols);
        std::memcpy(c->codebook.data(), cb, symbols * sizeof(float));
        std::vector<uint32_t> freq(symbols);
        for (uint32_t& f : freq) f = r_.u16("a symbol frequency");
        if (!c->model.setFrequencies(std::move(freq)))
            r_.fail(what + ": its symbol frequencies do not sum to " + std::to_string(kRansTotal));
        const uint64_t chunks = (static_cast<uint64_t>(c->count) + kChunkSymbols - 1) / kChunkSymbols;
        const uint32_t stored = r_.count("the chunk count", chunks);
        if (stored != chunks) r_.fail(what + ": " + std::to_string(stored) + " chunks stored, its " + std::to_string(c->count) + " elements need " + std::to_string(chunks));
        r_.need(static_cast<size_t>(chunks) * sizeof(uint64_t), "the chunk table");
        uint64_t last = 0;
        for (uint64_t k = 0; k < chunks; ++k) {
            const uint64_t e = r_.u64("a chunk end");
            // Each chunk holds at least its two 4-byte states.
            if (e < last + 8 || e > r_.remaining()) r_.fail(what + ": chunk " + std::to_string(k) + " ends at byte " + std::to_string(e) + ", outside the stream");
            c->chunkEnd.push_back(e);
            last = e;
        }
        const uint8_t* s = r_.bytes(static_cast<size_t>(last), "a coded stream");
        c->stream.assign(s, s + last);
        t->coded = std::move(c);
        return t;
    }

    void readValue(graph::Graph& g) {
        graph::Value v;
        v.name = r_.str("a value name", kMaxNameBytes);
        const uint8_t kind = r_.u8("a value kind");
        if (kind > static_cast<uint8_t>(ValueKind::CodedConstant)) r_.fail("value '" + v.name + "' has unknown kind " + std::to_string(kind));
        const auto k = static_cast<ValueKind>(kind);
        if (k == ValueKind::Input) {
            v.shape = shape("an input's shape", 1);
            v.shapeKnown = true;
        } else if (k == ValueKind::Constant || k == ValueKind::CodedConstant) {
            v.constant = k == ValueKind::Constant ? plainData("a constant") : codedData(v.name);
            v.shape = v.constant->shape;
            v.dtype = v.constant->dtype;
            v.shapeKnown = true;
        }
        g.values.push_back(std::move(v));
        kinds_.push_back(k);
    }

    int index(const graph::Graph& g, const char* what) {
        const int32_t v = r_.get<int32_t>(what);
        if (v < 0 || static_cast<size_t>(v) >= g.values.size())
            r_.fail(std::string(what) + " refers to value " + std::to_string(v) + " of " + std::to_string(g.values.size()));
        return v;
    }

    graph::Node readNode(const graph::Graph& g, std::vector<char>& produced) {
        graph::Node n;
        n.name = r_.str("a node name", kMaxNameBytes);
        const std::string op = r_.str("an op name", 256);
        const auto kind = graph::opKindFromName(op);
        if (!kind) r_.fail("node '" + n.name + "' has op '" + op + "', which the engine does not know");
        n.op = *kind;
        const std::string who = n.describe();
        const uint32_t nin = r_.count("a node's input count", kMaxNodeIo);
        for (uint32_t k = 0; k < nin; ++k) {
            const int32_t v = r_.get<int32_t>("a node input");
            if (v < -1 || (v >= 0 && static_cast<size_t>(v) >= g.values.size())) r_.fail(who + " reads value " + std::to_string(v) + ", which does not exist");
            n.inputs.push_back(v);
        }
        const uint32_t nout = r_.count("a node's output count", kMaxNodeIo);
        if (nout == 0) r_.fail(who + " has no outputs");
        for (uint32_t k = 0; k < nout; ++k) {
            const int v = index(g, "a node output");
            if (kinds_[static_cast<size_t>(v)] != ValueKind::Computed || produced[static_cast<size_t>(v)])
                r_.fail(who + " writes value '" + g.value(v).name + "', which is an input, a constant or another node's output");
            produced[static_cast<size_t>(v)] = 1;
            n.outputs.push_back(v);
        }
        const uint8_t act = r_.u8("a fused activation");
        if (act >= kActivationCount) r_.fail(who + " has unknown fused activation " + std::to_string(act));
        n.act.kind = static_cast<graph::Activation>(act);
        n.act.alpha = r_.f32("an activation parameter"), n.act.beta = r_.f32("an activation parameter");
        n.act.min = r_.f32("an activation bound"), n.act.max = r_.f32("an activation bound");
        const uint32_t attrs = r_.count("a node's attribute count", kMaxAttributes);
        for (uint32_t k = 0; k < attrs; ++k) {
            std::string key = r_.str("an attribute name", 256);
            n.attrs[key] = attribute(who + ": attribute '" + key + "'");
        }
        return n;
    }

    graph::Attribute attribute(const std::string& what) {
        using K = graph::Attribute::Kind;
        graph::Attribute a;
        const uint8_t kind = r_.u8("an attribute kind");
        if (kind > static_cast<uint8_t>(K::Tensor)) r_.fail(what + " has unknown kind " + std::to_string(kind));
        a.kind = static_cast<K>(kind);
        switch (a.kind) {
            case K::Int: a.i = r_.i64("an int attribute"); break;
            case K::Float: a.f = r_.f32("a float attribute"); break;
            case K::String: a.s = r_.str("a string attribute", kMaxNameBytes); break;
            case K::Ints: {
                const uint32_t n = r_.count("an ints attribute's length", kMaxAttrElements);
                r_.need(size_t{n} * 8, "an ints attribute");
                for (uint32_t k = 0; k < n; ++k) a.ints.push_back(r_.i64("an ints attribute"));
                break;
            }
            case K::Floats: {
                const uint32_t n = r_.count("a floats attribute's length", kMaxAttrElements);
                r_.need(size_t{n} * 4, "a floats attribute");
                for (uint32_t k = 0; k < n; ++k) a.floats.push_back(r_.f32("a floats attribute"));
                break;
            }
            case K::Tensor: a.t = plainData("a tensor attribute"); break;
        }
        return a;
    }

    static constexpr uint8_t kActivationCount = 0
#define PERCEPT_ACT(name) +1
#include "graph/activations.def"
#undef PERCEPT_ACT
        ;

    ByteReader r_;
    std::string source_;
    std::vector<ValueKind> kinds_;
};

}  // namespace

graph::Graph readCompressedModel(const void* data, size_t size, const std::string& source) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    const std::string bad = source + ": corrupt compressed model: ";
    if (!looksCompressed(data, size)) throw Error(source + ": not a compressed Percept model (its first bytes are not the .pcz magic)");
    if (size < kHeaderBytes + kTrailerBytes) throw Error(bad + "the file is " + std::to_string(size) + " bytes, shorter than its header");
    uint32_t version, flags;
    uint64_t payload;
    std::memcpy(&version, bytes + 8, 4);
    std::memcpy(&flags, bytes + 12, 4);
    std::memcpy(&payload, bytes + 16, 8);
    if (version != kFormatVersion)
        throw Error(source + ": compressed model format version " + std::to_string(version) + "; this build of Percept reads version " +
                    std::to_string(kFormatVersion) + (version > kFormatVersion ? " (the file was written by a newer percept-compress)" : ""));
    if (flags != 0) throw Error(bad + "unknown flags " + std::to_string(flags) + " in the header");
    if (payload != size - kHeaderBytes - kTrailerBytes)
        throw Error(bad + "the header announces " + std::to_string(payload) + " bytes of model, the file holds " +
                    std::to_string(size - kHeaderBytes - kTrailerBytes) + " (truncated or extended)");
    uint32_t stored;
    std::memcpy(&stored, bytes + size - kTrailerBytes, 4);
    if (crc32(bytes, size - kTrailerBytes) != stored) throw Error(bad + "its CRC-32 does not match (the file was damaged)");
    return Reader(bytes + kHeaderBytes, static_cast<size_t>(payload), source).read();
}

}  // namespace percept::compressed
