// Schemas of the ops along one axis: Softmax.
#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {

void inferSoftmax(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    // Opset < 13 flattens to 2-D at `axis` (default 1); 13+ works along `axis` (default -1).
    const int64_t axis = normAxis(n, n.attrInt("axis", g.opset >= 13 ? -1 : 1), static_cast<int64_t>(x.size()));
    setInt(n, "axis", axis);
    setOut(g, n, 0, x);
}

int64_t flopsSoftmax(const Graph& g, const Node& n) { return 4 * elementCount(g.shapeOf(n.outputs.at(0))); }

}  // namespace percept::graph::schema
