// SPDX-License-Identifier: Apache-2.0
#include "graph/shape_inference.h"

#include <algorithm>

#include "graph/constant_folding.h"
#include "graph/op_schema.h"
#include "graph/quant_expand.h"
#include "graph/schema_util.h"
#include "percept/error.h"

namespace percept::graph {
namespace {

void inferNode(Graph& g, Node& n) {
    const OpSchema& s = schemaOf(n.op);
    for (size_t k = 0; k < n.inputs.size(); ++k)
        if (n.inputs[k] >= 0 && !g.value(n.inputs[k]).shapeKnown)
            schema::fail(n, "the shape of input '" + g.value(n.inputs[k]).name + "' is unknown (the model's input needs a fixed shape)");
    if (s.foldOnly) schema::fail(n, "is only supported on constant inputs (shape arithmetic), but its input is computed at run time");
    if (!s.infer) schema::fail(n, std::string("op '") + n.opName() + "' is not supported by the engine");
    const int count = static_cast<int>(n.inputs.size());
    if (count < s.minInputs || (s.maxInputs >= 0 && count > s.maxInputs))
        schema::fail(n, "has " + std::to_string(count) + " inputs; the op takes " + std::to_string(s.minInputs) +
                            (s.maxInputs == s.minInputs ? "" : s.maxInputs < 0 ? " or more" : " to " + std::to_string(s.maxInputs)));
    s.infer(g, n);
    for (int v : n.outputs)
        if (v >= 0 && !g.value(v).shapeKnown) schema::fail(n, "internal error: an output's shape was not inferred");
}

}  // namespace

Shape broadcastShapes(const Shape& a, const Shape& b, const std::string& who) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t k = 0; k < rank; ++k) {
        const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
        const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            throw Error(who + ": shapes " + shapeToString(a) + " and " + shapeToString(b) + " cannot be broadcast");
        out[k] = da == 1 ? db : da;
    }
    return out;
}

void inferShapesAndFold(Graph& g) {
    for (int id : g.inputs) {
        Value& v = g.value(id);
        if (!v.shapeKnown)
            throw Error("input '" + v.name + "' has no fixed shape; the engine needs one (e.g. [1,3,224,224])");
        if (v.shape.empty()) throw Error("input '" + v.name + "' is a scalar (shape []); the engine's inputs have rank 1 or more");
    }
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (Node& n : g.nodes) {
        widenByteConstants(g, n);  // int8: other ops read 8-bit constants as Int64
        if (tryFold(g, n)) continue;  // the node's outputs are constants now
        inferNode(g, n);
        kept.push_back(std::move(n));
    }
    g.nodes = std::move(kept);
    for (int id : g.outputs) {
        const Value& v = g.value(id);
        if (v.dtype != DType::Float32)
            throw Error("output '" + v.name + "' is a " + dtypeName(v.dtype) + " tensor; the engine's outputs are float32 only");
    }
}

}  // namespace percept::graph
