// The schema table: one entry per line of graph/ops.def, in that order (checked below).
// An entry without infer() is an op the engine recognises but cannot run: loading a model
// that uses it fails with the op's name.
#include "graph/op_schema.h"

#include "graph/schemas.h"

namespace percept::graph {
namespace {

using namespace schema;

constexpr OpSchema kSchemas[] = {
    {OpKind::Conv, 2, 3, inferConv, flopsConv},
    {OpKind::ConvTranspose, 2, 3, inferConvTranspose, flopsConvTranspose},
    {OpKind::MaxPool, 1, 1, inferPool, flopsPool},
    {OpKind::AveragePool, 1, 1, inferPool, flopsPool},
    {OpKind::GlobalAveragePool, 1, 1, inferGlobalPool, flopsGlobalPool},
    {OpKind::GlobalMaxPool, 1, 1, inferGlobalMaxPool, flopsGlobalPool},
    {OpKind::LRN, 1, 1, inferLrn, flopsLrn},
    {OpKind::BatchNormalization, 5, 5, inferBatchNorm, flopsBatchNorm},
    {OpKind::InstanceNormalization, 3, 3, inferInstanceNorm, flopsNorm},
    {OpKind::LayerNormalization, 2, 3, inferLayerNorm, flopsNorm},
    {OpKind::MeanVarianceNormalization, 1, 1, inferMeanVarianceNorm, flopsNorm},
    {OpKind::Gemm, 2, 3, inferGemm, flopsGemm},
    {OpKind::MatMul, 2, 2, inferMatMul, flopsMatMul},
    {OpKind::Relu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Clip, 1, 3, inferUnary, flopsPointwise},
    {OpKind::LeakyRelu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sigmoid, 1, 1, inferUnary, flopsPointwise},
    {OpKind::HardSigmoid, 1, 1, inferUnary, flopsPointwise},
    {OpKind::HardSwish, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Tanh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Erf, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Gelu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Elu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Selu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Celu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::ThresholdedRelu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Softplus, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Softsign, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Mish, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Shrink, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Exp, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Log, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Neg, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Abs, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sqrt, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Reciprocal, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sin, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Cos, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Tan, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Asin, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Acos, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Atan, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sinh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Cosh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Asinh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Acosh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Atanh, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Ceil, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Floor, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Round, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sign, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Not, 1, 1, inferUnary, flopsPointwise},
    {OpKind::IsNaN, 1, 1, inferUnary, flopsPointwise},
    {OpKind::IsInf, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Add, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Sub, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Mul, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Div, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Pow, 2, 2, inferPow, flopsPointwise},
    {OpKind::Mod, 2, 2, inferMod, flopsPointwise},
    {OpKind::PRelu, 2, 2, inferPRelu, flopsPointwise},
    {OpKind::Min, 1, -1, inferVariadic, flopsVariadic},
    {OpKind::Max, 1, -1, inferVariadic, flopsVariadic},
    {OpKind::Sum, 1, -1, inferVariadic, flopsVariadic},
    {OpKind::Mean, 1, -1, inferVariadic, flopsVariadic},
    {OpKind::Equal, 2, 2, inferCompare, flopsPointwise},
    {OpKind::Less, 2, 2, inferCompare, flopsPointwise},
    {OpKind::LessOrEqual, 2, 2, inferCompare, flopsPointwise},
    {OpKind::Greater, 2, 2, inferCompare, flopsPointwise},
    {OpKind::GreaterOrEqual, 2, 2, inferCompare, flopsPointwise},
    {OpKind::And, 2, 2, inferLogical, flopsPointwise},
    {OpKind::Or, 2, 2, inferLogical, flopsPointwise},
    {OpKind::Xor, 2, 2, inferLogical, flopsPointwise},
    {OpKind::Where, 3, 3, inferWhere, flopsPointwise},
    {OpKind::Softmax, 1, 1, inferSoftmax, flopsSoftmax},
    {OpKind::LogSoftmax, 1, 1, inferSoftmax, flopsSoftmax},
    {OpKind::Hardmax, 1, 1, inferSoftmax, flopsSoftmax},
    {OpKind::ReduceMean, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceSum, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceMax, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceMin, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceProd, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceL1, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceL2, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceSumSquare, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceLogSum, 1, 2, inferReduce, flopsReduce},
    {OpKind::ReduceLogSumExp, 1, 2, inferReduce, flopsReduce},
    {OpKind::ArgMax, 1, 1, inferArgMax, flopsAlongAxis},
    {OpKind::ArgMin, 1, 1, inferArgMax, flopsAlongAxis},
    {OpKind::CumSum, 2, 2, inferCumSum, flopsAlongAxis},
    {OpKind::Identity, 1, 1, inferIdentity, nullptr},
    {OpKind::Dropout, 1, 3, inferIdentity, nullptr},
    {OpKind::Flatten, 1, 1, inferFlatten, nullptr},
    {OpKind::Reshape, 1, 2, inferReshape, nullptr},
    {OpKind::Squeeze, 1, 2, nullptr, nullptr, true},
    {OpKind::Unsqueeze, 1, 2, nullptr, nullptr, true},
    {OpKind::Transpose, 1, 1, inferTranspose, nullptr},
    {OpKind::Concat, 1, -1, inferConcat, nullptr},
    {OpKind::Split, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Slice, 1, 5, nullptr, nullptr, true},
    {OpKind::Gather, 2, 2, nullptr, nullptr, true},
    {OpKind::GatherElements, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::GatherND, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ScatterND, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ScatterElements, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Expand, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Tile, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Pad, 1, 4, inferPad, nullptr},
    {OpKind::DepthToSpace, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::SpaceToDepth, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Resize, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Upsample, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Trilu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Cast, 1, 1, nullptr, nullptr, true},
    {OpKind::CastLike, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Constant, 0, 0, nullptr, nullptr, true},
    {OpKind::ConstantOfShape, 1, 1, nullptr, nullptr, true},
    {OpKind::Shape, 1, 1, nullptr, nullptr, true},
    {OpKind::Size, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Range, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::EyeLike, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::OneHot, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::NonZero, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Compress, 1, -1, nullptr, nullptr},  // not supported yet
};
static_assert(coversEveryOp(kSchemas), "graph/op_schema.cpp: one schema per line of ops.def, in order");

}  // namespace

const OpSchema& schemaOf(OpKind k) { return kSchemas[static_cast<size_t>(k)]; }

}  // namespace percept::graph
