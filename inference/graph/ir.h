#pragma once
// The engine's graph IR: plain data, as in ggml. Values are tensors (activations or
// constants), nodes are ops reading and writing values by index. Shapes are static once
// shape inference has run (batch 1).
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "percept/tensor.h"

namespace percept::graph {

enum class DType { Float32, Int64 };

// Constant tensor data (initializers, folded sub-graphs). Int64 data exists only for shape
// arithmetic; ops that compute run on Float32.
struct TensorData {
    DType dtype = DType::Float32;
    Shape shape;
    std::vector<float> f;
    std::vector<int64_t> i;

    int64_t count() const { return elementCount(shape); }
    // Values as int64 whatever the dtype (for shape-like inputs).
    std::vector<int64_t> asInts() const;
    std::vector<float> asFloats() const;
};
using ConstPtr = std::shared_ptr<const TensorData>;

struct Value {
    std::string name;
    Shape shape;
    bool shapeKnown = false;
    ConstPtr constant;  // non-null for initializers and folded constants
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

enum class Activation { None, Relu, Clip, LeakyRelu, Sigmoid };

// An activation fused into the op that produces the value (Conv, Gemm, Add).
struct FusedActivation {
    Activation kind = Activation::None;
    float alpha = 0.0f;  // LeakyRelu slope
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();
    bool any() const { return kind != Activation::None; }
};

const char* activationName(Activation a);

struct Node {
    std::string name;
    std::string op;
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
    // "Conv 'name'" for error messages.
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
