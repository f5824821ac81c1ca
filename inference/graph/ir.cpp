// SPDX-License-Identifier: Apache-2.0
#include "graph/ir.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>

#include "compressed/coded_tensor.h"
#include "percept/error.h"

namespace percept {

int64_t elementCount(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shapeToString(const Shape& shape) {
    std::string s = "[";
    for (size_t k = 0; k < shape.size(); ++k) {
        if (k) s += ",";
        s += std::to_string(shape[k]);
    }
    return s + "]";
}

}  // namespace percept

namespace percept::graph {

namespace {
void refuseCoded(const TensorData& t) {
    if (t.coded) throw Error("compressed weights of shape " + shapeToString(t.shape) + " were read as plain values: only a Conv, ConvTranspose, Gemm or MatMul reads them");
}
}  // namespace

std::vector<int64_t> TensorData::asInts() const {
    refuseCoded(*this);
    if (dtype == DType::Int8) return {reinterpret_cast<const int8_t*>(bytes.data()), reinterpret_cast<const int8_t*>(bytes.data()) + bytes.size()};
    if (dtype == DType::UInt8) return {bytes.begin(), bytes.end()};
    if (dtype != DType::Float32) return i;
    std::vector<int64_t> r(f.size());
    // Saturating: a NaN or out-of-range float in a hostile file must not be undefined behaviour;
    // the callers' range checks then reject the value.
    for (size_t k = 0; k < f.size(); ++k) {
        const float v = f[k];
        r[k] = std::isnan(v) ? 0 : v >= 9.2e18f ? INT64_MAX : v <= -9.2e18f ? INT64_MIN : static_cast<int64_t>(v);
    }
    return r;
}

std::vector<float> TensorData::asFloats() const {
    refuseCoded(*this);
    if (dtype == DType::Float32) return f;
    const std::vector<int64_t> v = asInts();
    std::vector<float> r(v.size());
    for (size_t k = 0; k < v.size(); ++k) r[k] = static_cast<float>(v[k]);
    return r;
}

const char* activationName(Activation a) {
    static constexpr const char* kNames[] = {
#define PERCEPT_ACT(name) #name,
#include "graph/activations.def"
#undef PERCEPT_ACT
    };
    const size_t i = static_cast<size_t>(a);
    return a == Activation::None || i >= std::size(kNames) ? "" : kNames[i];
}

const char* dtypeName(DType t) {
    switch (t) {
        case DType::Float32: return "float32";
        case DType::Int64: return "int64";
        case DType::Bool: return "bool";
        case DType::Int8: return "int8";
        case DType::UInt8: return "uint8";
    }
    return "?";
}

namespace {
const Attribute* find(const Node& n, const std::string& key) {
    auto it = n.attrs.find(key);
    return it == n.attrs.end() ? nullptr : &it->second;
}
[[noreturn]] void badKind(const Node& n, const std::string& key, const char* want) {
    throw Error(n.describe() + ": attribute '" + key + "' should be " + want);
}
}  // namespace

int64_t Node::attrInt(const std::string& key, int64_t def) const {
    const Attribute* a = find(*this, key);
    if (!a) return def;
    if (a->kind != Attribute::Kind::Int) badKind(*this, key, "an integer");
    return a->i;
}

float Node::attrFloat(const std::string& key, float def) const {
    const Attribute* a = find(*this, key);
    if (!a) return def;
    if (a->kind == Attribute::Kind::Int) return static_cast<float>(a->i);
    if (a->kind != Attribute::Kind::Float) badKind(*this, key, "a float");
    return a->f;
}

std::string Node::attrString(const std::string& key, const std::string& def) const {
    const Attribute* a = find(*this, key);
    if (!a) return def;
    if (a->kind != Attribute::Kind::String) badKind(*this, key, "a string");
    return a->s;
}

std::vector<int64_t> Node::attrInts(const std::string& key, std::vector<int64_t> def) const {
    const Attribute* a = find(*this, key);
    if (!a) return def;
    if (a->kind != Attribute::Kind::Ints) badKind(*this, key, "a list of integers");
    return a->ints;
}

std::vector<float> Node::attrFloats(const std::string& key, std::vector<float> def) const {
    const Attribute* a = find(*this, key);
    if (!a) return def;
    if (a->kind != Attribute::Kind::Floats) badKind(*this, key, "a list of floats");
    return a->floats;
}

std::string Node::describe() const { return std::string(opName()) + " node '" + name + "'"; }

std::string Node::displayOp() const {
    return act.any() ? std::string(opName()) + "+" + activationName(act.kind) : std::string(opName());
}

int Graph::addValue(std::string name) {
    Value v;
    v.name = std::move(name);
    values.push_back(std::move(v));
    return static_cast<int>(values.size() - 1);
}

int Graph::addConstant(std::string name, ConstPtr data) {
    int id = addValue(std::move(name));
    Value& v = values.back();
    v.shape = data->shape;
    v.shapeKnown = true;
    v.dtype = data->dtype;
    v.constant = std::move(data);
    return id;
}

const float* Graph::constFloats(int id) const {
    if (id < 0) return nullptr;
    const Value& v = value(id);
    if (!v.constant || v.constant->dtype != DType::Float32 || v.constant->coded) return nullptr;
    return v.constant->f.data();
}

std::vector<int> Graph::readerCounts() const {
    std::vector<int> counts(values.size(), 0);
    for (const Node& n : nodes)
        for (int in : n.inputs)
            if (in >= 0) ++counts[static_cast<size_t>(in)];
    for (int out : outputs) ++counts[static_cast<size_t>(out)];
    return counts;
}

void Graph::compact() {
    std::vector<char> used(values.size(), 0);
    for (const Node& n : nodes) {
        for (int v : n.inputs)
            if (v >= 0) used[static_cast<size_t>(v)] = 1;
        for (int v : n.outputs) used[static_cast<size_t>(v)] = 1;
    }
    for (int v : inputs) used[static_cast<size_t>(v)] = 1;
    for (int v : outputs) used[static_cast<size_t>(v)] = 1;
    std::vector<int> remap(values.size(), -1);
    std::vector<Value> kept;
    for (size_t k = 0; k < values.size(); ++k) {
        if (!used[k]) continue;
        remap[k] = static_cast<int>(kept.size());
        kept.push_back(std::move(values[k]));
    }
    values = std::move(kept);
    auto fix = [&](std::vector<int>& ids) {
        for (int& v : ids)
            if (v >= 0) v = remap[static_cast<size_t>(v)];
    };
    for (Node& n : nodes) {
        fix(n.inputs);
        fix(n.outputs);
    }
    fix(inputs);
    fix(outputs);
}

size_t Graph::weightBytes() const {
    size_t bytes = 0;
    for (const Value& v : values)
        if (v.constant && v.constant->coded) bytes += v.constant->coded->bytes();
        else if (v.constant && v.constant->dtype == DType::Float32) bytes += v.constant->f.size() * sizeof(float);
        else if (v.constant && isByteType(v.constant->dtype)) bytes += v.constant->bytes.size();  // int8 weights
    return bytes;
}

}  // namespace percept::graph
