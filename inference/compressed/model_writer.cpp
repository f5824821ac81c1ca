// SPDX-License-Identifier: Apache-2.0
// Writes the compressed model file; FORMAT.md describes every field in this order.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "compressed/byte_io.h"
#include "compressed/coded_tensor.h"
#include "compressed/model_file.h"
#include "compressed/value_kinds.h"
#include "percept/error.h"

namespace percept::compressed {

bool looksCompressed(const void* data, size_t size) {
    return size >= sizeof(kMagic) && std::equal(kMagic, kMagic + sizeof(kMagic), static_cast<const uint8_t*>(data));
}

bool codableWeights(const graph::Graph& g, int value, int64_t minElements) {
    const graph::Value& v = g.value(value);
    if (!v.constant || v.constant->dtype != graph::DType::Float32 || v.constant->count() < std::max(minElements, kMinCodedElements)) return false;
    bool read = false;
    for (const graph::Node& n : g.nodes)
        for (size_t k = 0; k < n.inputs.size(); ++k) {
            if (n.inputs[k] != value) continue;
            if (!weightSlot(n.op, k)) return false;
            read = true;
        }
    for (int o : g.outputs)
        if (o == value) return false;
    return read;
}

namespace {

void putShape(ByteWriter& w, const Shape& s) {
    w.u8(static_cast<uint8_t>(s.size()));
    for (int64_t d : s) w.i64(d);
}

void putData(ByteWriter& w, const graph::TensorData& t) {
    w.u8(dtypeCode(t.dtype));
    putShape(w, t.shape);
    if (t.dtype == graph::DType::Float32) w.bytes(t.f.data(), t.f.size() * sizeof(float));
    else w.bytes(t.i.data(), t.i.size() * sizeof(int64_t));
}

void putCoded(ByteWriter& w, const CodedTensor& c) {
    w.u8(static_cast<uint8_t>(c.bits));
    w.bytes(c.codebook.data(), c.codebook.size() * sizeof(float));
    for (uint32_t f : c.model.freq) w.u16(static_cast<uint16_t>(f));  // at most 2^14
    w.u32(static_cast<uint32_t>(c.chunkEnd.size()));
    for (uint64_t e : c.chunkEnd) w.u64(e);
    w.bytes(c.stream.data(), c.stream.size());
}

void putAttribute(ByteWriter& w, const graph::Attribute& a) {
    using K = graph::Attribute::Kind;
    w.u8(static_cast<uint8_t>(a.kind));
    switch (a.kind) {
        case K::Int: w.i64(a.i); break;
        case K::Float: w.f32(a.f); break;
        case K::String: w.str(a.s); break;
        case K::Ints:
            w.u32(static_cast<uint32_t>(a.ints.size()));
            for (int64_t v : a.ints) w.i64(v);
            break;
        case K::Floats:
            w.u32(static_cast<uint32_t>(a.floats.size()));
            for (float v : a.floats) w.f32(v);
            break;
        case K::Tensor:
            if (!a.t || a.t->coded) throw Error("internal error: a tensor attribute without plain data");
            putData(w, *a.t);
            break;
    }
}

}  // namespace

std::vector<uint8_t> writeCompressedModel(const graph::Graph& g, const CompressOptions& o, std::vector<CodedWeightReport>* report) {
    ByteWriter w;
    w.bytes(kMagic, sizeof(kMagic));
    w.u32(kFormatVersion);
    w.u32(0);  // flags
    w.u64(0);  // payload size, set below
    w.u64(static_cast<uint64_t>(g.opset));
    w.u32(static_cast<uint32_t>(g.metadata.size()));
    for (const auto& [key, value] : g.metadata) w.str(key), w.str(value);

    w.u32(static_cast<uint32_t>(g.values.size()));
    for (size_t id = 0; id < g.values.size(); ++id) {
        const graph::Value& v = g.values[id];
        w.str(v.name);
        const bool input = std::find(g.inputs.begin(), g.inputs.end(), static_cast<int>(id)) != g.inputs.end();
        if (v.constant && v.constant->coded) throw Error("the model's weights are already compressed");
        if (v.constant && codableWeights(g, static_cast<int>(id), o.minElements)) {
            w.u8(static_cast<uint8_t>(ValueKind::CodedConstant));
            const auto given = o.precoded.find(v.name);
            const bool compensated = given != o.precoded.end();
            if (compensated && static_cast<int64_t>(given->second.symbols.size()) != v.constant->count())
                throw Error("internal error: the weights given coded for '" + v.name + "' do not have its element count");
            const SharedWeights s = compensated ? given->second : shareWeights(v.constant->f.data(), v.constant->count(), o.codebook);
            const CodedTensor c = encodeSymbols(s.bits(), s.codebook, s.symbols);
            putShape(w, v.constant->shape);
            const size_t before = w.size();
            putCoded(w, c);
            if (report)
                report->push_back({v.name, v.constant->shape, w.size() - before, static_cast<double>(s.pruned) / static_cast<double>(std::max<int64_t>(1, c.count)),
                                   s.rmsWeight > 0 ? s.rmsError / s.rmsWeight : 0.0, compensated, c.bits});
        } else if (v.constant) {
            w.u8(static_cast<uint8_t>(ValueKind::Constant));
            putData(w, *v.constant);
        } else if (input) {
            w.u8(static_cast<uint8_t>(ValueKind::Input));
            putShape(w, v.shape);
        } else {
            w.u8(static_cast<uint8_t>(ValueKind::Computed));
        }
    }

    w.u32(static_cast<uint32_t>(g.nodes.size()));
    for (const graph::Node& n : g.nodes) {
        w.str(n.name);
        w.str(n.opName());
        w.u32(static_cast<uint32_t>(n.inputs.size()));
        for (int v : n.inputs) w.put<int32_t>(v);
        w.u32(static_cast<uint32_t>(n.outputs.size()));
        for (int v : n.outputs) w.put<int32_t>(v);
        w.u8(static_cast<uint8_t>(n.act.kind));
        w.f32(n.act.alpha), w.f32(n.act.beta), w.f32(n.act.min), w.f32(n.act.max);
        w.u32(static_cast<uint32_t>(n.attrs.size()));
        for (const auto& [key, a] : n.attrs) w.str(key), putAttribute(w, a);
    }
    w.u32(static_cast<uint32_t>(g.inputs.size()));
    for (int v : g.inputs) w.put<int32_t>(v);
    w.u32(static_cast<uint32_t>(g.outputs.size()));
    for (int v : g.outputs) w.put<int32_t>(v);

    std::vector<uint8_t>& out = w.buffer();
    const uint64_t payload = out.size() - kHeaderBytes;
    std::memcpy(out.data() + 16, &payload, sizeof(payload));
    const uint32_t crc = crc32(out.data(), out.size());
    w.u32(crc);
    return std::move(w.buffer());
}

}  // namespace percept::compressed
