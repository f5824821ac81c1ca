// SPDX-License-Identifier: Apache-2.0
#include "onnx_test_case.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>

namespace percept::conformance {
namespace fs = std::filesystem;

const char* modeName(Mode m) { return m == Mode::Inputs ? "inputs" : "const"; }

namespace {

std::string readFile(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + p.string());
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

int countFiles(const fs::path& dir, const std::string& prefix) {
    int n = 0;
    while (fs::exists(dir / (prefix + std::to_string(n) + ".pb"))) ++n;
    return n;
}

std::string kindOf(const onnx::TypeProto& t) {
    switch (t.value_case()) {
        case onnx::TypeProto::kTensorType: return "tensor";
        case onnx::TypeProto::kSequenceType: return "sequence";
        case onnx::TypeProto::kMapType: return "map";
        case onnx::TypeProto::kOptionalType: return "optional";
        case onnx::TypeProto::kSparseTensorType: return "sparse tensor";
        default: return "tensor";  // old files leave the type unset: read the data as a tensor
    }
}

onnx::TensorProto readTensor(const fs::path& p) {
    onnx::TensorProto t;
    const std::string bytes = readFile(p);
    if (!t.ParseFromString(bytes)) throw std::runtime_error(p.string() + " is not a TensorProto");
    return t;
}

}  // namespace

std::vector<TestCase> listTests(const fs::path& dataRoot, const std::string& folder) {
    std::vector<TestCase> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dataRoot / folder, ec)) {
        if (!fs::exists(e.path() / "model.onnx")) continue;
        TestCase tc{folder, e.path().filename().string(), e.path(), 0};
        tc.inputCount = countFiles(e.path() / "test_data_set_0", "input_");
        out.push_back(std::move(tc));
    }
    std::sort(out.begin(), out.end(), [](const TestCase& a, const TestCase& b) { return a.name < b.name; });
    return out;
}

LoadedTest loadTest(const TestCase& tc) {
    LoadedTest t;
    const std::string bytes = readFile(tc.dir / "model.onnx");
    if (!t.model.ParseFromString(bytes)) throw std::runtime_error(tc.id() + ": model.onnx does not parse");
    const onnx::GraphProto& g = t.model.graph();
    std::set<std::string> inits;
    for (const auto& i : g.initializer()) inits.insert(i.name());
    for (const auto& in : g.input())
        if (!inits.count(in.name())) {
            t.graphInputs.push_back(&in);
            t.inputKinds.push_back(kindOf(in.type()));
        }
    for (const auto& out : g.output()) t.outputKinds.push_back(kindOf(out.type()));
    for (const auto& n : g.node())
        if (std::find(t.opTypes.begin(), t.opTypes.end(), n.op_type()) == t.opTypes.end()) t.opTypes.push_back(n.op_type());

    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(tc.dir))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    for (const auto& dir : sets) {
        DataSet ds;
        ds.name = dir.filename().string();
        const int nin = countFiles(dir, "input_"), nout = countFiles(dir, "output_");
        if (nin != static_cast<int>(t.graphInputs.size()))
            throw std::runtime_error(tc.id() + "/" + ds.name + ": " + std::to_string(nin) + " input files for " +
                                     std::to_string(t.graphInputs.size()) + " graph inputs");
        if (nout != g.output_size())
            throw std::runtime_error(tc.id() + "/" + ds.name + ": " + std::to_string(nout) + " output files for " +
                                     std::to_string(g.output_size()) + " graph outputs");
        // Non-tensor values (sequences, optionals) stay empty: the engine never sees them.
        for (int k = 0; k < nin; ++k)
            ds.inputs.push_back(t.inputKinds[k] == "tensor" ? readTensor(dir / ("input_" + std::to_string(k) + ".pb"))
                                                            : onnx::TensorProto());
        for (int k = 0; k < nout; ++k)
            ds.outputs.push_back(t.outputKinds[k] == "tensor" ? readTensor(dir / ("output_" + std::to_string(k) + ".pb"))
                                                              : onnx::TensorProto());
        t.dataSets.push_back(std::move(ds));
    }
    if (t.dataSets.empty()) throw std::runtime_error(tc.id() + ": no test_data_set_* directory");
    return t;
}

std::string modelForRun(const LoadedTest& t, const DataSet& ds, Mode mode) {
    onnx::ModelProto m = t.model;
    onnx::GraphProto* g = m.mutable_graph();
    std::map<std::string, size_t> inputIndex;
    for (size_t k = 0; k < t.graphInputs.size(); ++k) inputIndex[t.graphInputs[k]->name()] = k;

    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
    for (const auto& in : g->input()) {
        auto it = inputIndex.find(in.name());
        if (it == inputIndex.end()) {  // an initializer also listed as input (IR < 4)
            *kept.Add() = in;
            continue;
        }
        const size_t k = it->second;
        const onnx::TensorProto& data = ds.inputs[k];
        if (isFed(mode, k)) {
            onnx::ValueInfoProto v = in;
            if (t.inputKinds[k] == "tensor") {
                auto* shape = v.mutable_type()->mutable_tensor_type()->mutable_shape();
                shape->clear_dim();
                for (int64_t d : data.dims()) shape->add_dim()->set_dim_value(d);
            }
            *kept.Add() = std::move(v);
        } else {
            onnx::TensorProto* init = g->add_initializer();
            *init = data;
            init->set_name(in.name());
        }
    }
    g->mutable_input()->Swap(&kept);
    return m.SerializeAsString();
}

std::string dtypeName(int32_t dataType) {
    switch (dataType) {
        case onnx::TensorProto::FLOAT: return "float32";
        case onnx::TensorProto::DOUBLE: return "double";
        case onnx::TensorProto::FLOAT16: return "float16";
        case onnx::TensorProto::BFLOAT16: return "bfloat16";
        case onnx::TensorProto::INT8: return "int8";
        case onnx::TensorProto::INT16: return "int16";
        case onnx::TensorProto::INT32: return "int32";
        case onnx::TensorProto::INT64: return "int64";
        case onnx::TensorProto::UINT8: return "uint8";
        case onnx::TensorProto::UINT16: return "uint16";
        case onnx::TensorProto::UINT32: return "uint32";
        case onnx::TensorProto::UINT64: return "uint64";
        case onnx::TensorProto::BOOL: return "bool";
        case onnx::TensorProto::STRING: return "string";
        case onnx::TensorProto::COMPLEX64: return "complex64";
        case onnx::TensorProto::COMPLEX128: return "complex128";
        default: return "type " + std::to_string(dataType);
    }
}

std::vector<float> floatValues(const onnx::TensorProto& t) {
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    if (!t.raw_data().empty()) {
        if (t.raw_data().size() != v.size() * sizeof(float)) throw std::runtime_error("tensor '" + t.name() + "': raw data size");
        std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    } else {
        if (t.float_data_size() != n) throw std::runtime_error("tensor '" + t.name() + "': float_data size");
        std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
    }
    return v;
}

}  // namespace percept::conformance
