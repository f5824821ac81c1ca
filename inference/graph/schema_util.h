// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers shared by the schema files (schema_*.cpp): errors naming the node, input access,
// constant parameters, axes, and setting an output's shape and type.
#include <string>
#include <vector>

#include "graph/ir.h"
#include "graph/limits.h"
#include "percept/error.h"

namespace percept::graph::schema {

[[noreturn]] inline void fail(const Node& n, const std::string& msg) { throw Error(n.describe() + ": " + msg); }

inline bool hasInput(const Node& n, size_t k) { return k < n.inputs.size() && n.inputs[k] >= 0; }
inline bool hasOutput(const Node& n, size_t k) { return k < n.outputs.size() && n.outputs[k] >= 0; }

inline const Value& in(const Graph& g, const Node& n, size_t k) {
    if (!hasInput(n, k)) fail(n, "input " + std::to_string(k) + " is missing");
    return g.value(n.inputs[k]);
}
inline const Shape& inShape(const Graph& g, const Node& n, size_t k) { return in(g, n, k).shape; }
inline int64_t rankOf(const Graph& g, const Node& n, size_t k) { return static_cast<int64_t>(inShape(g, n, k).size()); }

// Input k, which must be a constant ("computed <what> are not supported" otherwise).
const TensorData& constIn(const Graph& g, const Node& n, size_t k, const char* what);

// Fails unless input k holds float data: integer or boolean tensors computed at run time are
// held as fp32 (graph/ir.h) and only the ops made for them (Where, Gather, comparisons, Cast)
// may read them.
void requireFloat(const Graph& g, const Node& n, size_t k);
// requireFloat on every present input.
void requireFloatInputs(const Graph& g, const Node& n);

// Normalises an axis into [0, rank).
int64_t normAxis(const Node& n, int64_t axis, int64_t rank);
// Normalises, sorts and checks a list of distinct axes.
std::vector<int64_t> normAxes(const Node& n, std::vector<int64_t> axes, int64_t rank);

// Fails when a shape has a negative dimension, too high a rank or too many elements.
void checkShape(const Node& n, const Shape& s);

// Sets output k's shape and type (checked against the engine's limits).
void setOut(Graph& g, const Node& n, size_t k, Shape s, DType t = DType::Float32);

// Writes canonical attributes.
void setInts(Node& n, const std::string& key, std::vector<int64_t> v);
void setInt(Node& n, const std::string& key, int64_t v);
void setFloat(Node& n, const std::string& key, float v);

// Multidirectional (numpy) broadcast of several shapes.
Shape broadcastAll(const Graph& g, const Node& n, size_t first = 0, size_t count = SIZE_MAX);

}  // namespace percept::graph::schema
