// The CPU backend's kernel table (after ncnn's layer registry): one entry per line of
// graph/ops.def, in that order (checked at compile time), naming the factory of the op's
// family or, for an op the backend does not run, why.
#include "cpu/op_util.h"
#include "graph/op_schema.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

struct CpuOp {
    OpKind kind;
    Factory make = nullptr;
    const char* missing = nullptr;  // why there is no factory
};

constexpr const char* kFolded = "shape arithmetic is folded at load time and never runs";
constexpr const char* kNotYet = "the CPU backend has no kernel for it";

constexpr CpuOp kCpuOps[] = {
    {OpKind::Conv, makeConv},
    {OpKind::ConvTranspose, nullptr, kNotYet},
    {OpKind::MaxPool, makePool},
    {OpKind::AveragePool, makePool},
    {OpKind::GlobalAveragePool, makeGlobalPool},
    {OpKind::GlobalMaxPool, nullptr, kNotYet},
    {OpKind::LRN, makeLrn},
    {OpKind::BatchNormalization, makeBatchNorm},
    {OpKind::InstanceNormalization, nullptr, kNotYet},
    {OpKind::LayerNormalization, nullptr, kNotYet},
    {OpKind::MeanVarianceNormalization, nullptr, kNotYet},
    {OpKind::Gemm, makeGemm},
    {OpKind::MatMul, makeMatMul},
    {OpKind::Relu, makeActivation},
    {OpKind::Clip, makeActivation},
    {OpKind::LeakyRelu, makeActivation},
    {OpKind::Sigmoid, makeActivation},
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
    {OpKind::Add, makeEltwise},
    {OpKind::Sub, makeEltwise},
    {OpKind::Mul, makeEltwise},
    {OpKind::Div, makeEltwise},
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
    {OpKind::Softmax, makeSoftmax},
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

}  // namespace

bool cpuSupports(const graph::Graph& g, const graph::Node& node, std::string* why) {
    const CpuOp& e = entry(node.op);
    if (e.make) return true;
    if (why) *why = std::string(node.opName()) + " on the CPU: " + e.missing;
    return false;
}

std::unique_ptr<Kernel> makeKernel(const graph::Graph& g, const graph::Node& node, const KernelConfig& cfg) {
    std::string why;
    if (!cpuSupports(g, node, &why)) fail(node, why);
    for (int out : node.outputs)
        if (out >= 0 && !g.value(out).shapeKnown) fail(node, "output shape is unknown (shape inference has not run)");
    return entry(node.op).make(g, node, cfg);
}

}  // namespace percept::cpu
