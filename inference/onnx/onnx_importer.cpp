// SPDX-License-Identifier: Apache-2.0
#include "onnx/onnx_importer.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>

#include "graph/half.h"
#include "graph/limits.h"
#include "percept/error.h"

namespace percept::onnx_import {
namespace {

using graph::Attribute;
using graph::ConstPtr;
using graph::DType;
using graph::TensorData;

[[noreturn]] void fail(const std::string& msg) { throw Error(msg); }

// Element count of a dims list, rejecting negative dims and sizes beyond the engine's caps
// before anything is allocated.
int64_t checkedCount(const google::protobuf::RepeatedField<int64_t>& dims, const std::string& what) {
    if (dims.size() > graph::kMaxRank) fail(what + ": rank " + std::to_string(dims.size()) + " is too large");
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0) fail(what + ": negative dimension " + std::to_string(d));
        if (d != 0 && n > graph::kMaxTensorElements / d)
            fail(what + ": tensor is larger than the engine's limit of " +
                 std::to_string(graph::kMaxTensorElements) + " elements");
        n *= d;
    }
    return n;
}

ConstPtr convertTensor(const onnx::TensorProto& t, const std::string& what) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
        fail(what + ": tensors stored in external data files are not supported");
    auto data = std::make_shared<TensorData>();
    const int64_t n = checkedCount(t.dims(), what);
    data->shape.assign(t.dims().begin(), t.dims().end());
    const std::string& raw = t.raw_data();
    auto needRaw = [&](size_t elemSize) {
        if (raw.size() != static_cast<size_t>(n) * elemSize)
            fail(what + ": raw data holds " + std::to_string(raw.size()) + " bytes, shape " +
                 shapeToString(data->shape) + " needs " + std::to_string(static_cast<size_t>(n) * elemSize));
    };
    auto needCount = [&](int64_t have) {
        if (have != n)
            fail(what + ": holds " + std::to_string(have) + " values, shape " + shapeToString(data->shape) +
                 " needs " + std::to_string(n));
    };
    switch (t.data_type()) {
        case onnx::TensorProto::FLOAT:
            data->dtype = DType::Float32;
            if (!raw.empty()) needRaw(4); else needCount(t.float_data_size());  // before allocating
            data->f.resize(static_cast<size_t>(n));
            if (!raw.empty()) {
                std::memcpy(data->f.data(), raw.data(), raw.size());
            } else {
                std::copy(t.float_data().begin(), t.float_data().end(), data->f.begin());
            }
            break;
        case onnx::TensorProto::DOUBLE:
            data->dtype = DType::Float32;
            if (!raw.empty()) needRaw(8); else needCount(t.double_data_size());
            data->f.resize(static_cast<size_t>(n));
            if (!raw.empty()) {
                for (int64_t k = 0; k < n; ++k) {
                    double d;
                    std::memcpy(&d, raw.data() + k * 8, 8);
                    data->f[static_cast<size_t>(k)] = static_cast<float>(d);
                }
            } else {
                for (int64_t k = 0; k < n; ++k) data->f[static_cast<size_t>(k)] = static_cast<float>(t.double_data(static_cast<int>(k)));
            }
            break;
        case onnx::TensorProto::FLOAT16:
        case onnx::TensorProto::BFLOAT16: {
            // Half-precision weights (fp16 exports) are widened to fp32 once, here.
            data->dtype = DType::Float32;
            const bool bf16 = t.data_type() == onnx::TensorProto::BFLOAT16;
            if (!raw.empty()) needRaw(2); else needCount(t.int32_data_size());  // packed in int32_data otherwise
            data->f.resize(static_cast<size_t>(n));
            for (int64_t k = 0; k < n; ++k) {
                uint16_t h;
                if (!raw.empty()) std::memcpy(&h, raw.data() + k * 2, 2);
                else h = static_cast<uint16_t>(t.int32_data(static_cast<int>(k)));
                data->f[static_cast<size_t>(k)] = bf16 ? graph::bfloat16ToFloat(h) : graph::halfToFloat(h);
            }
            break;
        }
        case onnx::TensorProto::INT64:
            data->dtype = DType::Int64;
            if (!raw.empty()) needRaw(8); else needCount(t.int64_data_size());
            data->i.resize(static_cast<size_t>(n));
            if (!raw.empty()) {
                std::memcpy(data->i.data(), raw.data(), raw.size());
            } else {
                std::copy(t.int64_data().begin(), t.int64_data().end(), data->i.begin());
            }
            break;
        case onnx::TensorProto::INT8:
        case onnx::TensorProto::UINT8: {
            // int8 (INT8.md): quantised weights and zero points stay one byte each.
            data->dtype = t.data_type() == onnx::TensorProto::INT8 ? DType::Int8 : DType::UInt8;
            if (!raw.empty()) needRaw(1); else needCount(t.int32_data_size());
            data->bytes.resize(static_cast<size_t>(n));
            if (!raw.empty()) std::memcpy(data->bytes.data(), raw.data(), raw.size());
            else
                for (int64_t k = 0; k < n; ++k) data->bytes[static_cast<size_t>(k)] = static_cast<uint8_t>(t.int32_data(static_cast<int>(k)));
            break;
        }
        case onnx::TensorProto::INT32:
        case onnx::TensorProto::INT16:
        case onnx::TensorProto::BOOL: {
            const int type = t.data_type();
            data->dtype = type == onnx::TensorProto::BOOL ? DType::Bool : DType::Int64;
            const size_t es = type == onnx::TensorProto::INT32 ? 4 : type == onnx::TensorProto::INT16 ? 2 : 1;
            if (!raw.empty()) needRaw(es); else needCount(t.int32_data_size());
            data->i.resize(static_cast<size_t>(n));
            if (!raw.empty()) {
                for (int64_t k = 0; k < n; ++k) {
                    const char* p = raw.data() + k * static_cast<int64_t>(es);
                    int64_t v = 0;
                    if (type == onnx::TensorProto::INT32) { int32_t x; std::memcpy(&x, p, 4); v = x; }
                    else if (type == onnx::TensorProto::INT16) { int16_t x; std::memcpy(&x, p, 2); v = x; }
                    else v = *p != 0;  // BOOL
                    data->i[static_cast<size_t>(k)] = v;
                }
            } else {
                std::copy(t.int32_data().begin(), t.int32_data().end(), data->i.begin());
                if (type == onnx::TensorProto::BOOL)
                    for (auto& v : data->i) v = v != 0;
            }
            break;
        }
        case onnx::TensorProto::UINT16:
        case onnx::TensorProto::UINT32:
        case onnx::TensorProto::UINT64: {
            data->dtype = DType::Int64;
            const int type = t.data_type();
            const size_t es = type == onnx::TensorProto::UINT16 ? 2 : type == onnx::TensorProto::UINT32 ? 4 : 8;
            if (!raw.empty()) needRaw(es);
            else needCount(type == onnx::TensorProto::UINT64 ? t.uint64_data_size() : t.int32_data_size());
            data->i.resize(static_cast<size_t>(n));
            for (int64_t k = 0; k < n; ++k) {
                uint64_t v = 0;
                if (!raw.empty()) std::memcpy(&v, raw.data() + k * static_cast<int64_t>(es), es);  // little-endian
                else if (type == onnx::TensorProto::UINT64) v = t.uint64_data(static_cast<int>(k));
                else v = static_cast<uint32_t>(t.int32_data(static_cast<int>(k)));
                if (v > static_cast<uint64_t>(INT64_MAX)) fail(what + ": an unsigned value does not fit in int64");
                data->i[static_cast<size_t>(k)] = static_cast<int64_t>(v);
            }
            break;
        }
        default:
            fail(what + ": tensor element type " + std::to_string(t.data_type()) +
                 " is not supported (float16/32/64, bfloat16, integer and bool tensors are)");
    }
    return data;
}

Attribute convertAttribute(const onnx::AttributeProto& a, const std::string& where) {
    Attribute r;
    const std::string what = where + ": attribute '" + a.name() + "'";
    switch (a.type()) {
        case onnx::AttributeProto::INT: r.kind = Attribute::Kind::Int; r.i = a.i(); break;
        case onnx::AttributeProto::FLOAT: r.kind = Attribute::Kind::Float; r.f = a.f(); break;
        case onnx::AttributeProto::STRING: r.kind = Attribute::Kind::String; r.s = a.s(); break;
        case onnx::AttributeProto::INTS:
            r.kind = Attribute::Kind::Ints;
            r.ints.assign(a.ints().begin(), a.ints().end());
            break;
        case onnx::AttributeProto::FLOATS:
            r.kind = Attribute::Kind::Floats;
            r.floats.assign(a.floats().begin(), a.floats().end());
            break;
        case onnx::AttributeProto::TENSOR:
            r.kind = Attribute::Kind::Tensor;
            r.t = convertTensor(a.t(), what);
            break;
        case onnx::AttributeProto::UNDEFINED:
            // Old exporters leave the type unset; infer it from which field is filled.
            if (a.ints_size()) { r.kind = Attribute::Kind::Ints; r.ints.assign(a.ints().begin(), a.ints().end()); }
            else if (a.floats_size()) { r.kind = Attribute::Kind::Floats; r.floats.assign(a.floats().begin(), a.floats().end()); }
            else if (a.has_t()) { r.kind = Attribute::Kind::Tensor; r.t = convertTensor(a.t(), what); }
            else if (a.has_s()) { r.kind = Attribute::Kind::String; r.s = a.s(); }
            else if (a.has_f()) { r.kind = Attribute::Kind::Float; r.f = a.f(); }
            else { r.kind = Attribute::Kind::Int; r.i = a.i(); }
            break;
        default:
            fail(what + " has a type (graph/sparse tensor/type proto) the engine does not support");
    }
    return r;
}

}  // namespace

graph::Graph importOnnx(const void* bytes, size_t size, const std::string& sourceName) {
    if (size == 0) fail(sourceName + ": the file is empty, not an ONNX model");
    if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
        fail(sourceName + ": the file is larger than 2 GiB; ONNX protobuf files cannot be");
    onnx::ModelProto model;
    if (!model.ParseFromArray(bytes, static_cast<int>(size)))
        fail(sourceName + ": not an ONNX model (the protobuf could not be parsed; the file is truncated or of another kind)");
    if (model.ir_version() <= 0 || !model.has_graph())
        fail(sourceName + ": not an ONNX model (no IR version or no graph)");
    const onnx::GraphProto& g = model.graph();
    if (g.node_size() == 0) fail(sourceName + ": the ONNX graph has no nodes");
    if (g.node_size() > graph::kMaxNodes)
        fail(sourceName + ": the graph has " + std::to_string(g.node_size()) + " nodes, more than the limit of " +
             std::to_string(graph::kMaxNodes));

    graph::Graph out;
    for (const auto& kv : model.metadata_props()) {
        if (kv.key().size() > 256 || kv.value().size() > (size_t{1} << 20))
            fail(sourceName + ": a metadata_props entry is larger than the engine accepts (256 B key, 1 MiB value)");
        out.metadata[kv.key()] = kv.value();
    }
    for (const auto& op : model.opset_import())
        if (op.domain().empty() || op.domain() == "ai.onnx") out.opset = op.version();
    if (out.opset == 0) out.opset = 1;  // IR v3 files without opset_import default to opset 1
    if (out.opset < graph::kMinOpset || out.opset > graph::kMaxOpset)
        fail(sourceName + ": ONNX opset " + std::to_string(out.opset) + " is not supported (opsets " +
             std::to_string(graph::kMinOpset) + " to " + std::to_string(graph::kMaxOpset) + " are)");

    std::unordered_map<std::string, int> byName;
    auto lookup = [&](const std::string& name, const std::string& who) -> int {
        auto it = byName.find(name);
        if (it == byName.end()) fail(sourceName + ": " + who + " reads '" + name + "', which no node, input or initializer defines");
        return it->second;
    };

    for (const auto& init : g.initializer()) {
        if (byName.count(init.name())) continue;
        int id = out.addConstant(init.name(), convertTensor(init, sourceName + ": initializer '" + init.name() + "'"));
        byName[init.name()] = id;
    }
    for (const auto& in : g.input()) {
        if (byName.count(in.name())) continue;  // an initializer listed as input (IR < 4)
        int id = out.addValue(in.name());
        graph::Value& v = out.values.back();
        const auto& tt = in.type().tensor_type();
        if (in.type().has_tensor_type() && tt.elem_type() != onnx::TensorProto::FLOAT)
            fail(sourceName + ": input '" + in.name() + "' has element type " + std::to_string(tt.elem_type()) +
                 "; only float32 inputs are supported");
        if (tt.has_shape()) {
            v.shapeKnown = true;
            for (const auto& d : tt.shape().dim()) {
                // Symbolic or unset dims (batch) become 1: the engine runs batch 1.
                int64_t dim = d.has_dim_value() ? d.dim_value() : 1;
                if (dim <= 0) dim = 1;
                v.shape.push_back(dim);
            }
        }
        out.inputs.push_back(id);
        byName[in.name()] = id;
    }
    if (out.inputs.empty()) fail(sourceName + ": the graph has no (non-initializer) input");

    // Ops the engine does not know are collected first, so the error names all of them (and
    // up to three of each one's nodes).
    std::map<std::string, std::vector<std::string>> unknown;
    for (const auto& np : g.node()) {
        const std::string nodeName = np.name().empty() ? np.op_type() : np.name();
        if (!np.domain().empty() && np.domain() != "ai.onnx")
            fail(sourceName + ": " + np.op_type() + " node '" + nodeName + "' is from op domain '" + np.domain() +
                 "', which the engine does not support");
        if (!graph::opKindFromName(np.op_type())) unknown[np.op_type()].push_back(nodeName);
    }
    if (!unknown.empty()) {
        std::string msg = sourceName + ": unsupported op" + (unknown.size() > 1 ? "s" : "");
        bool first = true;
        for (const auto& [op, nodes] : unknown) {
            msg += std::string(first ? ": " : "; ") + op + " (" + graph::unknownOpReason(op) + "; node";
            msg += nodes.size() > 1 ? "s " : " ";
            for (size_t k = 0; k < nodes.size() && k < 3; ++k) msg += (k ? ", '" : "'") + nodes[k] + "'";
            if (nodes.size() > 3) msg += " and " + std::to_string(nodes.size() - 3) + " more";
            msg += ")";
            first = false;
        }
        fail(msg);
    }

    int unnamed = 0;
    for (const auto& np : g.node()) {
        graph::Node n;
        n.op = *graph::opKindFromName(np.op_type());
        n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(unnamed++) : np.name();
        const std::string where = sourceName + ": " + n.describe();
        for (const auto& a : np.attribute()) {
            if (a.name().rfind(graph::kInternalAttrPrefix, 0) == 0)
                fail(where + ": attribute '" + a.name() + "': names beginning with '" + graph::kInternalAttrPrefix +
                     "' are the engine's own and cannot come from a model file");
            n.attrs[a.name()] = convertAttribute(a, where);
        }
        for (const auto& name : np.input()) n.inputs.push_back(name.empty() ? -1 : lookup(name, where));
        for (const auto& name : np.output()) {
            int id = out.addValue(name);
            if (!name.empty()) byName[name] = id;  // later definitions shadow (SSA violation tolerated)
            n.outputs.push_back(id);
        }
        if (n.outputs.empty()) fail(where + " has no outputs");
        out.nodes.push_back(std::move(n));
    }
    for (const auto& o : g.output()) out.outputs.push_back(lookup(o.name(), sourceName + ": graph output"));
    if (out.outputs.empty()) fail(sourceName + ": the graph has no outputs");
    return out;
}

}  // namespace percept::onnx_import
