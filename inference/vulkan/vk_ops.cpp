// The table from OpKind to the Vulkan dispatch setup of its family, plus the small helpers
// the families share (activation codes and parameters).
#include <string>

#include "core/backend_registry.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

namespace {

using graph::OpKind;

using VkOp = graph::BackendOp<OpFactory>;

constexpr const char* kFolded = "shape arithmetic is folded at load time and never runs";
constexpr const char* kNotYet = "the Vulkan backend has no kernel for it";

// One entry per line of graph/ops.def, in that order (checked below).
constexpr VkOp kVkOps[] = {
    {OpKind::Conv, buildConv},
    {OpKind::ConvTranspose, nullptr, kNotYet},
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
    {OpKind::HardSigmoid, nullptr, kNotYet},
    {OpKind::HardSwish, nullptr, kNotYet},
    {OpKind::Tanh, nullptr, kNotYet},
    {OpKind::Erf, nullptr, kNotYet},
    {OpKind::Gelu, nullptr, kNotYet},
    {OpKind::Elu, nullptr, kNotYet},
    {OpKind::Selu, nullptr, kNotYet},
    {OpKind::Celu, nullptr, kNotYet},
    {OpKind::ThresholdedRelu, nullptr, kNotYet},
    {OpKind::Softplus, nullptr, kNotYet},
    {OpKind::Softsign, nullptr, kNotYet},
    {OpKind::Mish, nullptr, kNotYet},
    {OpKind::Shrink, nullptr, kNotYet},
    {OpKind::Exp, nullptr, kNotYet},
    {OpKind::Log, nullptr, kNotYet},
    {OpKind::Neg, nullptr, kNotYet},
    {OpKind::Abs, nullptr, kNotYet},
    {OpKind::Sqrt, nullptr, kNotYet},
    {OpKind::Reciprocal, nullptr, kNotYet},
    {OpKind::Sin, nullptr, kNotYet},
    {OpKind::Cos, nullptr, kNotYet},
    {OpKind::Tan, nullptr, kNotYet},
    {OpKind::Asin, nullptr, kNotYet},
    {OpKind::Acos, nullptr, kNotYet},
    {OpKind::Atan, nullptr, kNotYet},
    {OpKind::Sinh, nullptr, kNotYet},
    {OpKind::Cosh, nullptr, kNotYet},
    {OpKind::Asinh, nullptr, kNotYet},
    {OpKind::Acosh, nullptr, kNotYet},
    {OpKind::Atanh, nullptr, kNotYet},
    {OpKind::Ceil, nullptr, kNotYet},
    {OpKind::Floor, nullptr, kNotYet},
    {OpKind::Round, nullptr, kNotYet},
    {OpKind::Sign, nullptr, kNotYet},
    {OpKind::Not, nullptr, kNotYet},
    {OpKind::IsNaN, nullptr, kNotYet},
    {OpKind::IsInf, nullptr, kNotYet},
    {OpKind::Add, buildEltwise},
    {OpKind::Sub, buildEltwise},
    {OpKind::Mul, buildEltwise},
    {OpKind::Div, buildEltwise},
    {OpKind::Pow, nullptr, kNotYet},
    {OpKind::Mod, nullptr, kNotYet},
    {OpKind::PRelu, nullptr, kNotYet},
    {OpKind::Min, nullptr, kNotYet},
    {OpKind::Max, nullptr, kNotYet},
    {OpKind::Sum, nullptr, kNotYet},
    {OpKind::Mean, nullptr, kNotYet},
    {OpKind::Equal, nullptr, kNotYet},
    {OpKind::Less, nullptr, kNotYet},
    {OpKind::LessOrEqual, nullptr, kNotYet},
    {OpKind::Greater, nullptr, kNotYet},
    {OpKind::GreaterOrEqual, nullptr, kNotYet},
    {OpKind::And, nullptr, kNotYet},
    {OpKind::Or, nullptr, kNotYet},
    {OpKind::Xor, nullptr, kNotYet},
    {OpKind::Where, nullptr, kNotYet},
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
    {OpKind::Squeeze, nullptr, kNotYet},
    {OpKind::Unsqueeze, nullptr, kNotYet},
    {OpKind::Transpose, buildTranspose},
    {OpKind::Concat, buildConcat},
    {OpKind::Split, nullptr, kNotYet},
    {OpKind::Slice, nullptr, kNotYet},
    {OpKind::Gather, nullptr, kNotYet},
    {OpKind::GatherElements, nullptr, kNotYet},
    {OpKind::GatherND, nullptr, kNotYet},
    {OpKind::ScatterND, nullptr, kNotYet},
    {OpKind::ScatterElements, nullptr, kNotYet},
    {OpKind::Expand, nullptr, kNotYet},
    {OpKind::Tile, nullptr, kNotYet},
    {OpKind::Pad, buildPad},
    {OpKind::DepthToSpace, nullptr, kNotYet},
    {OpKind::SpaceToDepth, nullptr, kNotYet},
    {OpKind::Resize, nullptr, kNotYet},
    {OpKind::Upsample, nullptr, kNotYet},
    {OpKind::Trilu, nullptr, kNotYet},
    {OpKind::Cast, nullptr, kNotYet},
    {OpKind::CastLike, nullptr, kNotYet},
    {OpKind::Constant, nullptr, kFolded},
    {OpKind::ConstantOfShape, nullptr, kFolded},
    {OpKind::Shape, nullptr, kFolded},
    {OpKind::Size, nullptr, kFolded},
    {OpKind::Range, nullptr, kFolded},
    {OpKind::EyeLike, nullptr, kFolded},
    {OpKind::OneHot, nullptr, kFolded},
    {OpKind::NonZero, nullptr, kFolded},
    {OpKind::Compress, nullptr, kFolded},
};
static_assert(graph::coversEveryOp(kVkOps), "vulkan/vk_ops.cpp: one entry per line of graph/ops.def, in order");

}  // namespace

OpFactory findOpFactory(const graph::Node& n, std::string* why) {
    const VkOp& e = kVkOps[static_cast<size_t>(n.op)];
    if (!e.fn && why) *why = std::string(n.opName()) + " on Vulkan: " + e.missing;
    return e.fn;
}

}  // namespace percept::vk

namespace percept::detail {

bool vulkanSupportsOp(const graph::Graph& g, const graph::Node& n, std::string* why) { return vk::findOpFactory(n, why) != nullptr; }

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
