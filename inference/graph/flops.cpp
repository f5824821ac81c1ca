// SPDX-License-Identifier: Apache-2.0
#include "graph/flops.h"

#include "graph/op_schema.h"

namespace percept::graph {

int64_t nodeFlops(const Graph& g, const Node& n) {
    const OpSchema& s = schemaOf(n.op);
    return s.flops ? s.flops(g, n) : 0;  // data movement only
}

}  // namespace percept::graph
