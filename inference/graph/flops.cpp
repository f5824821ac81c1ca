#include "graph/flops.h"

namespace percept::graph {

int64_t nodeFlops(const Graph& g, const Node& n) {
    const Shape& out = g.shapeOf(n.outputs.at(0));
    const int64_t outCount = elementCount(out);
    if (n.op == "Conv") {
        const Shape& w = g.shapeOf(n.inputs.at(1));
        return 2 * outCount * w[1] * w[2] * w[3];
    }
    if (n.op == "Gemm") {
        const Shape& a = g.shapeOf(n.inputs.at(0));
        const int64_t k = n.attrInt("transA", 0) ? a[0] : a[1];
        return 2 * outCount * k;
    }
    if (n.op == "MatMul") {
        const Shape& a = g.shapeOf(n.inputs.at(0));
        return 2 * outCount * a.back();
    }
    if (n.op == "MaxPool" || n.op == "AveragePool") {
        auto k = n.attrInts("kernel_shape");
        int64_t win = 1;
        for (auto d : k) win *= d;
        return outCount * win;
    }
    if (n.op == "GlobalAveragePool") return elementCount(g.shapeOf(n.inputs.at(0)));
    if (n.op == "LRN") return outCount * (n.attrInt("size", 1) * 2 + 4);
    if (n.op == "Softmax") return outCount * 4;
    if (n.op == "Add" || n.op == "Mul" || n.op == "Sub" || n.op == "Div" || n.op == "Relu" || n.op == "Clip" ||
        n.op == "LeakyRelu" || n.op == "Sigmoid" || n.op == "BatchNormalization")
        return outCount * (n.op == "BatchNormalization" ? 2 : 1);
    return 0;  // data movement only
}

}  // namespace percept::graph
