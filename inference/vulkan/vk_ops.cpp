// SPDX-License-Identifier: Apache-2.0
// The table from OpKind to the Vulkan dispatch setup of its family, plus the small helpers
// the families share (activation codes and parameters).
#include <string>

#include "core/backend_registry.h"
#include "graph/quant.h"
#include "vulkan/vk_int8.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

namespace {

using graph::OpKind;

using VkOp = graph::BackendOp<OpFactory>;

constexpr const char* kFolded = "shape arithmetic is folded at load time and never runs";
// QLinearConv / QLinearMatMul become Q/DQ and float ops at load (graph/quant_expand.cpp).
constexpr const char* kExpanded = "expanded into QuantizeLinear, DequantizeLinear and the float op at load time; never runs";

// One entry per line of graph/ops.def, in that order (checked below).
constexpr VkOp kVkOps[] = {
    {OpKind::Conv, buildConv},
    {OpKind::ConvTranspose, buildConvTranspose},
    {OpKind::MaxPool, buildPool},
    {OpKind::AveragePool, buildPool},
    {OpKind::GlobalAveragePool, buildPool},
    {OpKind::GlobalMaxPool, buildReduce},
    {OpKind::LRN, buildLrn},
    {OpKind::BatchNormalization, buildBatchNorm},
    {OpKind::InstanceNormalization, buildNorm},
    {OpKind::LayerNormalization, buildNorm},
    {OpKind::MeanVarianceNormalization, buildNorm},
    {OpKind::Gemm, buildGemm},
    {OpKind::MatMul, buildGemm},
    {OpKind::Relu, buildActivation},
    {OpKind::Clip, buildActivation},
    {OpKind::LeakyRelu, buildActivation},
    {OpKind::Sigmoid, buildActivation},
    {OpKind::HardSigmoid, buildActivation},
    {OpKind::HardSwish, buildActivation},
    {OpKind::Tanh, buildActivation},
    {OpKind::Erf, buildActivation},
    {OpKind::Gelu, buildActivation},
    {OpKind::Elu, buildActivation},
    {OpKind::Selu, buildActivation},
    {OpKind::Celu, buildActivation},
    {OpKind::ThresholdedRelu, buildActivation},
    {OpKind::Softplus, buildActivation},
    {OpKind::Softsign, buildActivation},
    {OpKind::Mish, buildActivation},
    {OpKind::Shrink, buildActivation},
    {OpKind::Exp, buildActivation},
    {OpKind::Log, buildActivation},
    {OpKind::Neg, buildActivation},
    {OpKind::Abs, buildActivation},
    {OpKind::Sqrt, buildActivation},
    {OpKind::Reciprocal, buildActivation},
    {OpKind::Sin, buildActivation},
    {OpKind::Cos, buildActivation},
    {OpKind::Tan, buildActivation},
    {OpKind::Asin, buildActivation},
    {OpKind::Acos, buildActivation},
    {OpKind::Atan, buildActivation},
    {OpKind::Sinh, buildActivation},
    {OpKind::Cosh, buildActivation},
    {OpKind::Asinh, buildActivation},
    {OpKind::Acosh, buildActivation},
    {OpKind::Atanh, buildActivation},
    {OpKind::Ceil, buildActivation},
    {OpKind::Floor, buildActivation},
    {OpKind::Round, buildActivation},
    {OpKind::Sign, buildActivation},
    {OpKind::Not, buildActivation},
    {OpKind::IsNaN, buildActivation},
    {OpKind::IsInf, buildActivation},
    {OpKind::Add, buildEltwise},
    {OpKind::Sub, buildEltwise},
    {OpKind::Mul, buildEltwise},
    {OpKind::Div, buildEltwise},
    {OpKind::Pow, buildEltwise},
    {OpKind::Mod, buildEltwise},
    {OpKind::PRelu, buildEltwise},
    {OpKind::Min, buildEltwise},
    {OpKind::Max, buildEltwise},
    {OpKind::Sum, buildEltwise},
    {OpKind::Mean, buildEltwise},
    {OpKind::Equal, buildEltwise},
    {OpKind::Less, buildEltwise},
    {OpKind::LessOrEqual, buildEltwise},
    {OpKind::Greater, buildEltwise},
    {OpKind::GreaterOrEqual, buildEltwise},
    {OpKind::And, buildEltwise},
    {OpKind::Or, buildEltwise},
    {OpKind::Xor, buildEltwise},
    {OpKind::Where, buildWhere},
    {OpKind::Softmax, buildSoftmax},
    {OpKind::LogSoftmax, buildSoftmax},
    {OpKind::Hardmax, buildSoftmax},
    {OpKind::ReduceMean, buildReduce},
    {OpKind::ReduceSum, buildReduce},
    {OpKind::ReduceMax, buildReduce},
    {OpKind::ReduceMin, buildReduce},
    {OpKind::ReduceProd, buildReduce},
    {OpKind::ReduceL1, buildReduce},
    {OpKind::ReduceL2, buildReduce},
    {OpKind::ReduceSumSquare, buildReduce},
    {OpKind::ReduceLogSum, buildReduce},
    {OpKind::ReduceLogSumExp, buildReduce},
    {OpKind::ArgMax, buildArgExtreme},
    {OpKind::ArgMin, buildArgExtreme},
    {OpKind::CumSum, buildCumSum},
    {OpKind::Identity, buildCopy},
    {OpKind::Dropout, buildCopy},
    {OpKind::Flatten, buildCopy},
    {OpKind::Reshape, buildCopy},
    {OpKind::Squeeze, buildCopy},
    {OpKind::Unsqueeze, buildCopy},
    {OpKind::Transpose, buildStridedCopy},
    {OpKind::Concat, buildConcat},
    {OpKind::Split, buildStridedCopy},
    {OpKind::Slice, buildStridedCopy},
    {OpKind::Gather, buildGather},
    {OpKind::GatherElements, buildGather},
    {OpKind::GatherND, buildGather},
    {OpKind::ScatterND, buildScatter},
    {OpKind::ScatterElements, buildScatter},
    {OpKind::Expand, buildStridedCopy},
    {OpKind::Tile, buildStridedCopy},
    {OpKind::Pad, buildPad},
    {OpKind::DepthToSpace, buildStridedCopy},
    {OpKind::SpaceToDepth, buildStridedCopy},
    {OpKind::Resize, buildResize},
    {OpKind::Upsample, buildResize},
    {OpKind::Trilu, buildTrilu},
    {OpKind::Cast, buildCast},
    {OpKind::CastLike, buildCast},
    // int8 (INT8.md): a quantised node of any op goes to findInt8Factory (vk_int8_ops.cpp)
    {OpKind::QuantizeLinear, buildQuantize},
    {OpKind::DequantizeLinear, buildQuantize},
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
    {OpKind::Compress, buildGather},
};
static_assert(graph::coversEveryOp(kVkOps), "vulkan/vk_ops.cpp: one entry per line of graph/ops.def, in order");

}  // namespace

OpFactory findOpFactory(const graph::Graph& g, const graph::Node& n, std::string* why) {
    // int8: a node reading or writing an 8-bit tensor is a quantised node (INT8.md).
    if (graph::isQuantizedNode(g, n)) return findInt8Factory(g, n, why);
    const VkOp& e = kVkOps[static_cast<size_t>(n.op)];
    if (!e.fn && why) *why = std::string(n.opName()) + " on Vulkan: " + e.missing;
    return e.fn;
}

}  // namespace percept::vk

namespace percept::detail {

bool vulkanSupportsOp(const graph::Graph& g, const graph::Node& n, std::string* why) {
    return vk::findOpFactory(g, n, why) != nullptr;
}

}  // namespace percept::detail

namespace percept::vk {

uint32_t activationCode(graph::Activation a) { return static_cast<uint32_t>(a); }

ActParams activationParams(const graph::FusedActivation& act) {
    ActParams p;
    if (act.kind == graph::Activation::Clip) {
        p.a = act.min;
        p.b = act.max;
    } else {
        p.a = act.alpha;
        p.b = act.beta;
    }
    return p;
}

}  // namespace percept::vk
