// SPDX-License-Identifier: Apache-2.0
#include "graph/quant.h"

namespace percept::graph {

bool isQuantizedNode(const Graph& g, const Node& n) {
    for (int v : n.inputs)
        if (v >= 0 && isByteType(g.value(v).dtype)) return true;
    for (int v : n.outputs)
        if (v >= 0 && isByteType(g.value(v).dtype)) return true;
    return false;
}

QuantParams quantParamsOf(const Node& n) {
    QuantParams p;
    p.scale = n.attrFloats("scale");
    for (int64_t z : n.attrInts("zero_point")) p.zeroPoint.push_back(static_cast<int32_t>(z));
    p.axis = n.attrInt("axis", 0);
    return p;
}

}  // namespace percept::graph
