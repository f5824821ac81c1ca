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
    {OpKind::ConvTranspose, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::MaxPool, 1, 1, inferPool, flopsPool},
    {OpKind::AveragePool, 1, 1, inferPool, flopsPool},
    {OpKind::GlobalAveragePool, 1, 1, inferGlobalPool, flopsGlobalPool},
    {OpKind::GlobalMaxPool, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::LRN, 1, 1, inferLrn, flopsLrn},
    {OpKind::BatchNormalization, 5, 5, inferBatchNorm, flopsBatchNorm},
    {OpKind::InstanceNormalization, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::LayerNormalization, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::MeanVarianceNormalization, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Gemm, 2, 3, inferGemm, flopsGemm},
    {OpKind::MatMul, 2, 2, inferMatMul, flopsMatMul},
    {OpKind::Relu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Clip, 1, 3, inferUnary, flopsPointwise},
    {OpKind::LeakyRelu, 1, 1, inferUnary, flopsPointwise},
    {OpKind::Sigmoid, 1, 1, inferUnary, flopsPointwise},
    {OpKind::HardSigmoid, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::HardSwish, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Tanh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Erf, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Gelu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Elu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Selu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Celu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ThresholdedRelu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Softplus, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Softsign, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Mish, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Shrink, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Exp, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Log, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Neg, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Abs, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Sqrt, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Reciprocal, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Sin, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Cos, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Tan, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Asin, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Acos, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Atan, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Sinh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Cosh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Asinh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Acosh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Atanh, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Ceil, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Floor, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Round, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Sign, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Not, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::IsNaN, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::IsInf, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Add, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Sub, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Mul, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Div, 2, 2, inferBinary, flopsPointwise},
    {OpKind::Pow, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Mod, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::PRelu, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Min, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Max, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Sum, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Mean, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Equal, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Less, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::LessOrEqual, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Greater, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::GreaterOrEqual, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::And, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Or, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Xor, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Where, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Softmax, 1, 1, inferSoftmax, flopsSoftmax},
    {OpKind::LogSoftmax, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Hardmax, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceMean, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceSum, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceMax, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceMin, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceProd, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceL1, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceL2, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceSumSquare, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceLogSum, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ReduceLogSumExp, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ArgMax, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::ArgMin, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::CumSum, 1, -1, nullptr, nullptr},  // not supported yet
    {OpKind::Identity, 1, 1, inferIdentity, nullptr},
    {OpKind::Dropout, 1, 3, inferIdentity, nullptr},
    {OpKind::Flatten, 1, 1, inferFlatten, nullptr},
    {OpKind::Reshape, 1, 2, inferReshape, nullptr},
    {OpKind::Squeeze, 1, 2, inferSqueeze, nullptr},
    {OpKind::Unsqueeze, 1, 2, inferUnsqueeze, nullptr},
    {OpKind::Transpose, 1, 1, inferTranspose, nullptr},
    {OpKind::Concat, 1, -1, inferConcat, nullptr},
    {OpKind::Split, 1, 2, inferSplit, nullptr},
    {OpKind::Slice, 1, 5, inferSlice, nullptr},
    {OpKind::Gather, 2, 2, inferGather, nullptr},
    {OpKind::GatherElements, 2, 2, inferGatherElements, nullptr},
    {OpKind::GatherND, 2, 2, inferGatherND, nullptr},
    {OpKind::ScatterND, 3, 3, inferScatterND, nullptr},
    {OpKind::ScatterElements, 3, 3, inferScatterElements, nullptr},
    {OpKind::Expand, 2, 2, inferExpand, nullptr},
    {OpKind::Tile, 2, 2, inferTile, nullptr},
    {OpKind::Pad, 1, 4, inferPad, nullptr},
    {OpKind::DepthToSpace, 1, 1, inferDepthToSpace, nullptr},
    {OpKind::SpaceToDepth, 1, 1, inferDepthToSpace, nullptr},
    {OpKind::Resize, 1, 4, inferResize, flopsResize},
    {OpKind::Upsample, 1, 2, inferResize, flopsResize},
    {OpKind::Trilu, 1, 2, inferTrilu, nullptr},
    {OpKind::Cast, 1, 1, inferCast, nullptr},
    {OpKind::CastLike, 2, 2, inferCastLike, nullptr},
    {OpKind::Constant, 0, 0, nullptr, nullptr, true},
    {OpKind::ConstantOfShape, 1, 1, nullptr, nullptr, true},
    {OpKind::Shape, 1, 1, nullptr, nullptr, true},
    {OpKind::Size, 1, 1, nullptr, nullptr, true},
    {OpKind::Range, 3, 3, nullptr, nullptr, true},
    {OpKind::EyeLike, 1, 1, nullptr, nullptr, true},
    {OpKind::OneHot, 3, 3, nullptr, nullptr, true},
    {OpKind::NonZero, 1, 1, nullptr, nullptr, true},
    {OpKind::Compress, 2, 2, inferCompress, nullptr},
};
static_assert(coversEveryOp(kSchemas), "graph/op_schema.cpp: one schema per line of ops.def, in order");

}  // namespace

const OpSchema& schemaOf(OpKind k) { return kSchemas[static_cast<size_t>(k)]; }

}  // namespace percept::graph
