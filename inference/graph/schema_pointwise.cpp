// Schemas of the pointwise ops: the unary functions of graph/activations.def and the binary
// arithmetic with numpy broadcasting; and activationOf(), the one reading of a unary node's
// parameters that the fusion pass and every backend share.
#include <cmath>
#include <limits>

#include "graph/schema_util.h"
#include "graph/schemas.h"
#include "graph/shape_inference.h"

namespace percept::graph {

std::optional<FusedActivation> activationOf(const Node& n) {
    FusedActivation a;
    switch (n.op) {
        case OpKind::Relu: a.kind = Activation::Relu; break;
        case OpKind::Sigmoid: a.kind = Activation::Sigmoid; break;
        case OpKind::LeakyRelu:
            a.kind = Activation::LeakyRelu;
            a.alpha = n.attrFloat("alpha", 0.01f);
            break;
        case OpKind::Clip:
            // Canonical attributes (inferUnary copies opset-11 inputs into them).
            a.kind = Activation::Clip;
            a.min = n.attrFloat("min", -std::numeric_limits<float>::infinity());
            a.max = n.attrFloat("max", std::numeric_limits<float>::infinity());
            break;
        default: return std::nullopt;
    }
    return a;
}

namespace schema {

void inferUnary(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    if (n.op == OpKind::Clip && g.opset >= 11) {
        // min/max as optional constant inputs: copied into attributes for the backends.
        for (size_t k = 1; k <= 2; ++k) {
            if (!hasInput(n, k)) continue;
            const TensorData& c = constIn(g, n, k, k == 1 ? "min" : "max");
            if (c.count() != 1) fail(n, "min/max must be constants with one value");
            setFloat(n, k == 1 ? "min" : "max", c.asFloats()[0]);
        }
    }
    if (!activationOf(n)) fail(n, "is not a pointwise function the engine knows");
    setOut(g, n, 0, inShape(g, n, 0));
}

int64_t flopsPointwise(const Graph& g, const Node& n) { return elementCount(g.shapeOf(n.outputs.at(0))); }

void inferBinary(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    setOut(g, n, 0, broadcastShapes(inShape(g, n, 0), inShape(g, n, 1), n.describe()));
}

}  // namespace schema
}  // namespace percept::graph
