// makeKernel: the table from ONNX op name to the CPU kernel factory (after ncnn's layer
// registry). Adding an op = one factory in its family's file + one line here.
#include <string_view>
#include <unordered_map>

#include "cpu/op_util.h"

namespace percept::cpu {

namespace {

const std::unordered_map<std::string_view, Factory>& registry() {
    static const std::unordered_map<std::string_view, Factory> table = {
        {"Conv", makeConv},
        {"MaxPool", makePool},
        {"AveragePool", makePool},
        {"GlobalAveragePool", makeGlobalPool},
        {"Gemm", makeGemm},
        {"MatMul", makeMatMul},
        {"Add", makeEltwise},
        {"Sub", makeEltwise},
        {"Mul", makeEltwise},
        {"Div", makeEltwise},
        {"Relu", makeActivation},
        {"Clip", makeActivation},
        {"LeakyRelu", makeActivation},
        {"Sigmoid", makeActivation},
        {"Softmax", makeSoftmax},
        {"Concat", makeConcat},
        {"Flatten", makeCopy},
        {"Reshape", makeCopy},
        {"Identity", makeCopy},
        {"Dropout", makeCopy},
        {"Transpose", makeTranspose},
        {"Pad", makePad},
        {"LRN", makeLrn},
        {"BatchNormalization", makeBatchNorm},
    };
    return table;
}

}  // namespace

std::unique_ptr<Kernel> makeKernel(const graph::Graph& g, const graph::Node& node) {
    auto it = registry().find(node.op);
    if (it == registry().end()) fail(node, "op '" + node.op + "' is not supported by the CPU backend");
    for (int out : node.outputs)
        if (out >= 0 && !g.value(out).shapeKnown) fail(node, "output shape is unknown (shape inference has not run)");
    return it->second(g, node);
}

}  // namespace percept::cpu
