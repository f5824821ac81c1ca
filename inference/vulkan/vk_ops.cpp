// The table from OpKind to the Vulkan dispatch setup of its family, plus the small helpers
// the families share (activation codes and parameters).
#include <string>

#include "core/backend_registry.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

namespace {

using graph::OpKind;

struct VkOp {
    OpKind kind;
    OpFactory build = nullptr;
    const char* missing = nullptr;  // why there is no builder
};

constexpr const char* kFolded = "shape arithmetic is folded at load time and never runs";
constexpr const char* kNotYet = "the Vulkan backend has no kernel for it";

// One entry per line of graph/ops.def, in that order (checked below).
constexpr VkOp kVkOps[] = {
    {OpKind::Conv, buildConv},
    {OpKind::ConvTranspose, nullptr, kNotYet},
    {OpKind::MaxPool, buildPool},
    {OpKind::AveragePool, buildPool},
    {OpKind::GlobalAveragePool, buildPool},
    {OpKind::GlobalMaxPool, nullptr, kNotYet},
    {OpKind::LRN, buildLrn},
    {OpKind::BatchNormalization, buildBatchNorm},
    {OpKind::InstanceNormalization, nullptr, kNotYet},
    {OpKind::LayerNormalization, nullptr, kNotYet},
    {OpKind::MeanVarianceNormalization, nullptr, kNotYet},
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
    {OpKind::LogSoftmax, nullptr, kNotYet},
    {OpKind::Hardmax, nullptr, kNotYet},
    {OpKind::ReduceMean, nullptr, kNotYet},
    {OpKind::ReduceSum, nullptr, kNotYet},
    {OpKind::ReduceMax, nullptr, kNotYet},
    {OpKind::ReduceMin, nullptr, kNotYet},
    {OpKind::ReduceProd, nullptr, kNotYet},
    {OpKind::ReduceL1, nullptr, kNotYet},
    {OpKind::ReduceL2, nullptr, kNotYet},
    {OpKind::ReduceSumSquare, nullptr, kNotYet},
    {OpKind::ReduceLogSum, nullptr, kNotYet},
    {OpKind::ReduceLogSumExp, nullptr, kNotYet},
    {OpKind::ArgMax, nullptr, kNotYet},
    {OpKind::ArgMin, nullptr, kNotYet},
    {OpKind::CumSum, nullptr, kNotYet},
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

OpFactory findOpFactory(const graph::Node& n, std::string* why) {
    const VkOp& e = kVkOps[static_cast<size_t>(n.op)];
    if (!e.build && why) *why = std::string(n.opName()) + " on Vulkan: " + e.missing;
    return e.build;
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
