// SPDX-License-Identifier: Apache-2.0
#pragma once
// The engine's graph IR: plain data, as in ggml. Values are tensors (activations or
// constants), nodes are ops reading and writing values by index. Shapes are static once
// shape inference has run (batch 1).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/op_kind.h"
#include "percept/tensor.h"

namespace percept::compressed { struct CodedTensor; }

namespace percept::graph {

// Element types. Constants hold Int64 and Bool data in TensorData::i (Bool as 0/1). A value
// computed at run time is stored as fp32 whatever its type: integers (ArgMax's indices, a
// Cast's result) exactly while below 2^24, booleans (comparisons, Not) as 0.0/1.0. The type
// decides what an op may do with the value and is checked at load: graph outputs must be
// Float32, and integer arithmetic on run-time values is refused.
//
// int8 (INT8.md): Int8 and UInt8 are quantised tensors. Computed at run time they take one
// byte per element in the arena; as constants their values are packed in TensorData::bytes.
enum class DType : uint8_t { Float32, Int64, Bool, Int8, UInt8 };
const char* dtypeName(DType t);
inline bool isByteType(DType t) { return t == DType::Int8 || t == DType::UInt8; }
// Bytes per element of a run-time value: 1 for the 8-bit types, else the backend's float
// element size (4, or 2 with fp16 storage).
inline size_t elementBytesOf(DType t, size_t floatBytes) { return isByteType(t) ? 1 : floatBytes; }

// int8: the quantisation of an 8-bit tensor (INT8.md). Element q stands for the real number
// scale[c] * (q - zeroPoint[c]), c its index along `axis` when there are several scales, else 0.
// Empty scale: not annotated.
struct QuantParams {
    std::vector<float> scale;
    std::vector<int32_t> zeroPoint;
    int64_t axis = 0;
    bool empty() const { return scale.empty(); }
    bool perTensor() const { return scale.size() == 1 && zeroPoint.size() == 1; }
    bool operator==(const QuantParams& o) const { return scale == o.scale && zeroPoint == o.zeroPoint && (scale.size() <= 1 || axis == o.axis); }
    bool operator!=(const QuantParams& o) const { return !(*this == o); }
};

// Constant tensor data (initializers, folded sub-graphs).
struct TensorData {
    DType dtype = DType::Float32;
    Shape shape;
    std::vector<float> f;
    std::vector<int64_t> i;
    // Compressed weights (models from percept-compress, compressed/coded_tensor.h): a Float32
    // tensor kept entropy-coded, `f` empty. Only the sessions read it, decoding it first
    // (compressed/decode_weights.h); asFloats()/asInts() refuse it and constant folding skips it.
    std::shared_ptr<const compressed::CodedTensor> coded;
    std::vector<uint8_t> bytes;  // Int8 (two's complement) and UInt8 values
    // int8: a Float32 constant folded from DequantizeLinear keeps the integers and parameters it
    // came from, so the QDQ fusion (graph/fusion_qdq.cpp) can take the weights as they were.
    struct Dequantized;
    std::shared_ptr<const Dequantized> dequantizedFrom;

    int64_t count() const { return elementCount(shape); }
    bool isCoded() const { return coded != nullptr; }
    // Values as int64 whatever the dtype (for shape-like inputs).
    std::vector<int64_t> asInts() const;
    std::vector<float> asFloats() const;
};
using ConstPtr = std::shared_ptr<const TensorData>;
struct TensorData::Dequantized {
    ConstPtr q;  // Int8/UInt8 (or Int64 for an int32 bias)
    QuantParams quant;
};

struct Value {
    std::string name;
    Shape shape;
    bool shapeKnown = false;
    DType dtype = DType::Float32;
    ConstPtr constant;  // non-null for initializers and folded constants
    QuantParams quant;  // int8: an 8-bit value's scale and zero point (INT8.md)
    bool isConstant() const { return constant != nullptr; }
};

struct Attribute {
    enum class Kind { Int, Float, String, Ints, Floats, Tensor } kind = Kind::Int;
    int64_t i = 0;
    float f = 0.0f;
    std::string s;
    std::vector<int64_t> ints;
    std::vector<float> floats;
    ConstPtr t;
};

enum class Activation : uint8_t {
#define PERCEPT_ACT(name) name,
#include "graph/activations.def"
#undef PERCEPT_ACT
};

// A pointwise function with its parameters (graph/activations.def): the work of a unary op,
// or an activation fused into the op that produces the value (Conv, Gemm, Add ...).
struct FusedActivation {
    Activation kind = Activation::None;
    float alpha = 0.0f;  // LeakyRelu/Elu/Celu/ThresholdedRelu/HardSigmoid alpha, Selu alpha, Shrink bias
    float beta = 0.0f;   // HardSigmoid beta, Selu gamma, Shrink lambd
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();
    bool any() const { return kind != Activation::None; }
};

const char* activationName(Activation a);

// Attributes the engine's own passes set, which no ONNX operator has; their names begin with
// "percept." and the importer refuses a model file whose nodes carry such a name, so a file
// cannot change what they mean.
inline constexpr const char* kInternalAttrPrefix = "percept.";
// LayerNormalization over the one axis `axis` instead of axis..end (the channel axis of NCHW;
// graph::sinkChannelsLastTransposes sets it). Scale and B hold one value per channel.
inline constexpr const char* kNormOneAxis = "percept.one_axis";
// MatMul: the product times this float (graph::foldScalarsIntoMatMul), 1 when absent.
inline constexpr const char* kMatMulAlpha = "percept.alpha";

struct Node {
    std::string name;
    OpKind op = OpKind::Identity;
    std::vector<int> inputs;   // value indices; -1 = absent optional input
    std::vector<int> outputs;  // value indices
    std::map<std::string, Attribute> attrs;
    FusedActivation act;

    bool has(const std::string& key) const { return attrs.count(key) != 0; }
    int64_t attrInt(const std::string& key, int64_t def) const;
    float attrFloat(const std::string& key, float def) const;
    std::string attrString(const std::string& key, const std::string& def) const;
    std::vector<int64_t> attrInts(const std::string& key, std::vector<int64_t> def = {}) const;
    std::vector<float> attrFloats(const std::string& key, std::vector<float> def = {}) const;
    const char* opName() const { return graph::opName(op); }
    // "Conv node 'name'" for error messages.
    std::string describe() const;
    // Op name including the fused activation, e.g. "Conv+Relu".
    std::string displayOp() const;
};

struct Graph {
    std::vector<Value> values;
    std::vector<Node> nodes;  // topologically sorted
    std::vector<int> inputs;  // non-constant graph inputs
    std::vector<int> outputs;
    int64_t opset = 0;
    // The model file's metadata_props (key -> value): producers record preprocessing and
    // labels there (models/README.md lists the keys Percept reads).
    std::map<std::string, std::string> metadata;

    int addValue(std::string name);
    int addConstant(std::string name, ConstPtr data);
    const Value& value(int id) const { return values.at(static_cast<size_t>(id)); }
    Value& value(int id) { return values.at(static_cast<size_t>(id)); }
    const Shape& shapeOf(int id) const { return value(id).shape; }
    const float* constFloats(int id) const;  // nullptr when not a float constant

    // Number of nodes reading each value (graph outputs count as one reader).
    std::vector<int> readerCounts() const;
    // Drops values no node or graph output refers to and renumbers the rest.
    void compact();
    size_t weightBytes() const;
};

}  // namespace percept::graph
