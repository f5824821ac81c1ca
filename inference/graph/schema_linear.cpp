// SPDX-License-Identifier: Apache-2.0
// Schemas of Gemm and MatMul.
#include "graph/schema_util.h"
#include "graph/schemas.h"
#include "graph/shape_inference.h"

namespace percept::graph::schema {

void inferGemm(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    const Shape& b = inShape(g, n, 1);
    if (x.size() != 2 || b.size() != 2) fail(n, "A and B must be 2-D, got " + shapeToString(x) + " and " + shapeToString(b));
    const bool ta = n.attrInt("transA", 0), tb = n.attrInt("transB", 0);
    const int64_t m = ta ? x[1] : x[0], k = ta ? x[0] : x[1];
    const int64_t kb = tb ? b[1] : b[0], nn = tb ? b[0] : b[1];
    if (k != kb) fail(n, "inner dimensions differ: " + shapeToString(x) + " x " + shapeToString(b));
    if (hasInput(n, 2)) {
        // Before opset 7, C broadcasts only with broadcast=1; without it, it must be [M, N].
        if (g.opset < 7 && n.attrInt("broadcast", 0) == 0 && inShape(g, n, 2) != Shape{m, nn})
            fail(n, "C " + shapeToString(inShape(g, n, 2)) + " is not [M, N] and broadcast=0 (opset < 7)");
        broadcastShapes(inShape(g, n, 2), {m, nn}, n.describe());
    }
    setOut(g, n, 0, {m, nn});
}

int64_t flopsGemm(const Graph& g, const Node& n) {
    const Shape& a = g.shapeOf(n.inputs.at(0));
    const int64_t k = n.attrInt("transA", 0) ? a[0] : a[1];
    return 2 * elementCount(g.shapeOf(n.outputs.at(0))) * k;
}

void inferMatMul(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    Shape a = x, b = inShape(g, n, 1);
    if (a.empty() || b.empty()) fail(n, "scalar operands are not allowed");
    const bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    if (a.back() != b[b.size() - 2]) fail(n, "inner dimensions differ: " + shapeToString(x) + " x " + shapeToString(inShape(g, n, 1)));
    Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
    Shape out = broadcastShapes(ba, bb, n.describe());
    if (!a1) out.push_back(a[a.size() - 2]);
    if (!b1) out.push_back(b.back());
    setOut(g, n, 0, out);
}

int64_t flopsMatMul(const Graph& g, const Node& n) {
    return 2 * elementCount(g.shapeOf(n.outputs.at(0))) * g.shapeOf(n.inputs.at(0)).back();
}

}  // namespace percept::graph::schema
