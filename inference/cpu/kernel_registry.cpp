// SPDX-License-Identifier: Apache-2.0
// The CPU backend's kernel table (after ncnn's layer registry): one entry per line of
// graph/ops.def, in that order (checked at compile time), naming the factory of the op's
// family or, for an op the backend does not run, why.
#include "cpu/int8.h"
#include "cpu/op_util.h"
#include "graph/quant.h"
#include "graph/op_schema.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

using CpuOp = graph::BackendOp<Factory>;

constexpr const char* kFolded = "shape arithmetic is folded at load time and never runs";
// int8: rewritten into DequantizeLinear -> Conv/MatMul -> QuantizeLinear at load (INT8.md).
constexpr const char* kExpanded = "expanded into DequantizeLinear, the float op and QuantizeLinear at load; never runs";

constexpr CpuOp kCpuOps[] = {
    {OpKind::Conv, makeConv},
    {OpKind::ConvTranspose, makeConvTranspose},
    {OpKind::MaxPool, makePool},
    {OpKind::AveragePool, makePool},
    {OpKind::GlobalAveragePool, makeGlobalPool},
    {OpKind::GlobalMaxPool, makeReduce},
    {OpKind::LRN, makeLrn},
    {OpKind::BatchNormalization, makeBatchNorm},
    {OpKind::InstanceNormalization, makeNorm},
    {OpKind::LayerNormalization, makeNorm},
    {OpKind::MeanVarianceNormalization, makeNorm},
    {OpKind::Gemm, makeGemm},
    {OpKind::MatMul, makeMatMul},
    {OpKind::Relu, makeActivation},
    {OpKind::Clip, makeActivation},
    {OpKind::LeakyRelu, makeActivation},
    {OpKind::Sigmoid, makeActivation},
    {OpKind::HardSigmoid, makeActivation},
    {OpKind::HardSwish, makeActivation},
    {OpKind::Tanh, makeActivation},
    {OpKind::Erf, makeActivation},
    {OpKind::Gelu, makeActivation},
    {OpKind::Elu, makeActivation},
    {OpKind::Selu, makeActivation},
    {OpKind::Celu, makeActivation},
    {OpKind::ThresholdedRelu, makeActivation},
    {OpKind::Softplus, makeActivation},
    {OpKind::Softsign, makeActivation},
    {OpKind::Mish, makeActivation},
    {OpKind::Shrink, makeActivation},
    {OpKind::Exp, makeActivation},
    {OpKind::Log, makeActivation},
    {OpKind::Neg, makeActivation},
    {OpKind::Abs, makeActivation},
    {OpKind::Sqrt, makeActivation},
    {OpKind::Reciprocal, makeActivation},
    {OpKind::Sin, makeActivation},
    {OpKind::Cos, makeActivation},
    {OpKind::Tan, makeActivation},
    {OpKind::Asin, makeActivation},
    {OpKind::Acos, makeActivation},
    {OpKind::Atan, makeActivation},
    {OpKind::Sinh, makeActivation},
    {OpKind::Cosh, makeActivation},
    {OpKind::Asinh, makeActivation},
    {OpKind::Acosh, makeActivation},
    {OpKind::Atanh, makeActivation},
    {OpKind::Ceil, makeActivation},
    {OpKind::Floor, makeActivation},
    {OpKind::Round, makeActivation},
    {OpKind::Sign, makeActivation},
    {OpKind::Not, makeActivation},
    {OpKind::IsNaN, makeActivation},
    {OpKind::IsInf, makeActivation},
    {OpKind::Add, makeEltwise},
    {OpKind::Sub, makeEltwise},
    {OpKind::Mul, makeEltwise},
    {OpKind::Div, makeEltwise},
    {OpKind::Pow, makeEltwise},
    {OpKind::Mod, makeEltwise},
    {OpKind::PRelu, makeEltwise},
    {OpKind::Min, makeEltwise},
    {OpKind::Max, makeEltwise},
    {OpKind::Sum, makeEltwise},
    {OpKind::Mean, makeEltwise},
    {OpKind::Equal, makeEltwise},
    {OpKind::Less, makeEltwise},
    {OpKind::LessOrEqual, makeEltwise},
    {OpKind::Greater, makeEltwise},
    {OpKind::GreaterOrEqual, makeEltwise},
    {OpKind::And, makeEltwise},
    {OpKind::Or, makeEltwise},
    {OpKind::Xor, makeEltwise},
    {OpKind::Where, makeEltwise},
    {OpKind::Softmax, makeSoftmax},
    {OpKind::LogSoftmax, makeSoftmax},
    {OpKind::Hardmax, makeSoftmax},
    {OpKind::ReduceMean, makeReduce},
    {OpKind::ReduceSum, makeReduce},
    {OpKind::ReduceMax, makeReduce},
    {OpKind::ReduceMin, makeReduce},
    {OpKind::ReduceProd, makeReduce},
    {OpKind::ReduceL1, makeReduce},
    {OpKind::ReduceL2, makeReduce},
    {OpKind::ReduceSumSquare, makeReduce},
    {OpKind::ReduceLogSum, makeReduce},
    {OpKind::ReduceLogSumExp, makeReduce},
    {OpKind::ArgMax, makeArgExtreme},
    {OpKind::ArgMin, makeArgExtreme},
    {OpKind::CumSum, makeCumSum},
    {OpKind::Identity, makeCopy},
    {OpKind::Dropout, makeCopy},
    {OpKind::Flatten, makeCopy},
    {OpKind::Reshape, makeCopy},
    {OpKind::Squeeze, makeCopy},
    {OpKind::Unsqueeze, makeCopy},
    {OpKind::Transpose, makeStridedCopy},
    {OpKind::Concat, makeConcat},
    {OpKind::Split, makeStridedCopy},
    {OpKind::Slice, makeStridedCopy},
    {OpKind::Gather, makeGather},
    {OpKind::GatherElements, makeGather},
    {OpKind::GatherND, makeGather},
    {OpKind::ScatterND, makeScatter},
    {OpKind::ScatterElements, makeScatter},
    {OpKind::Expand, makeStridedCopy},
    {OpKind::Tile, makeStridedCopy},
    {OpKind::Pad, makePad},
    {OpKind::DepthToSpace, makeStridedCopy},
    {OpKind::SpaceToDepth, makeStridedCopy},
    {OpKind::Resize, makeResize},
    {OpKind::Upsample, makeResize},
    {OpKind::Trilu, makeTrilu},
    {OpKind::Cast, makeCast},
    {OpKind::CastLike, makeCast},
    // int8 (cpu/int8_quantize.cpp); quantised nodes of the other ops: cpu/int8_registry.cpp
    {OpKind::QuantizeLinear, makeQuantizeLinear},
    {OpKind::DequantizeLinear, makeDequantizeLinear},
    {OpKind::QLinearConv, nullptr, kExpanded},
    {OpKind::QLinearMatMul, nullptr, kExpanded},
    {OpKind::Constant, nullptr, kFolded},
    {OpKind::ConstantOfShape, nullptr, kFolded},
    {OpKind::Shape, nullptr, kFolded},
    {OpKind::Size, nullptr, kFolded},
    {OpKind::Range, nullptr, kFolded},
    {OpKind::EyeLike, nullptr, kFolded},
    {OpKind::OneHot, nullptr, kFolded},
    {OpKind::NonZero, nullptr, kFolded},
    {OpKind::Compress, makeGather},
};
static_assert(graph::coversEveryOp(kCpuOps), "cpu/kernel_registry.cpp: one entry per line of graph/ops.def, in order");

const CpuOp& entry(OpKind k) { return kCpuOps[static_cast<size_t>(k)]; }

// int8: a node with an 8-bit operand, other than the quantisation ops themselves (INT8.md).
bool quantized(const graph::Graph& g, const graph::Node& node) {
    return node.op != OpKind::QuantizeLinear && node.op != OpKind::DequantizeLinear && graph::isQuantizedNode(g, node);
}

}  // namespace

bool cpuSupports(const graph::Graph& g, const graph::Node& node, std::string* why) {
    if (quantized(g, node)) return int8Supports(g, node, why);
    const CpuOp& e = entry(node.op);
    if (e.fn) return true;
    if (why) *why = std::string(node.opName()) + " on the CPU: " + e.missing;
    return false;
}

std::unique_ptr<Kernel> makeKernel(const graph::Graph& g, const graph::Node& node, const KernelConfig& cfg) {
    std::string why;
    if (!cpuSupports(g, node, &why)) fail(node, why);
    for (int out : node.outputs)
        if (out >= 0 && !g.value(out).shapeKnown) fail(node, "output shape is unknown (shape inference has not run)");
    if (quantized(g, node)) return makeInt8Kernel(g, node, cfg);
    return entry(node.op).fn(g, node, cfg);
}

}  // namespace percept::cpu
