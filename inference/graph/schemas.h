// SPDX-License-Identifier: Apache-2.0
#pragma once
// The schema functions of every op family (schema_<family>.cpp), which op_schema.cpp puts in
// its table, and the pointwise reading shared by passes and backends.
#include <optional>

#include "graph/ir.h"

namespace percept::graph {

// The pointwise function a unary node computes (Relu, Tanh, HardSigmoid ...) with its
// parameters read from the node's canonical attributes; nullopt for any other op.
std::optional<FusedActivation> activationOf(const Node& n);

namespace schema {

// schema_conv.cpp
void inferConv(Graph& g, Node& n);
int64_t flopsConv(const Graph& g, const Node& n);
void inferConvTranspose(Graph& g, Node& n);
int64_t flopsConvTranspose(const Graph& g, const Node& n);
void inferPool(Graph& g, Node& n);  // MaxPool, AveragePool
int64_t flopsPool(const Graph& g, const Node& n);
void inferGlobalPool(Graph& g, Node& n);  // GlobalAveragePool
int64_t flopsGlobalPool(const Graph& g, const Node& n);
void inferLrn(Graph& g, Node& n);
int64_t flopsLrn(const Graph& g, const Node& n);
void inferBatchNorm(Graph& g, Node& n);
int64_t flopsBatchNorm(const Graph& g, const Node& n);

// schema_linear.cpp
void inferGemm(Graph& g, Node& n);
int64_t flopsGemm(const Graph& g, const Node& n);
void inferMatMul(Graph& g, Node& n);
int64_t flopsMatMul(const Graph& g, const Node& n);

// schema_pointwise.cpp
void inferUnary(Graph& g, Node& n);
void inferBinary(Graph& g, Node& n);  // Add, Sub, Mul, Div
int64_t flopsPointwise(const Graph& g, const Node& n);
void inferPow(Graph& g, Node& n);
void inferMod(Graph& g, Node& n);
void inferPRelu(Graph& g, Node& n);
void inferVariadic(Graph& g, Node& n);  // Min, Max, Sum, Mean
int64_t flopsVariadic(const Graph& g, const Node& n);
void inferCompare(Graph& g, Node& n);  // Equal, Less, LessOrEqual, Greater, GreaterOrEqual
void inferLogical(Graph& g, Node& n);  // And, Or, Xor
void inferWhere(Graph& g, Node& n);

// schema_reduce.cpp
void inferSoftmax(Graph& g, Node& n);  // Softmax, LogSoftmax, Hardmax
int64_t flopsSoftmax(const Graph& g, const Node& n);
void inferReduce(Graph& g, Node& n);  // Reduce*
int64_t flopsReduce(const Graph& g, const Node& n);
void inferGlobalMaxPool(Graph& g, Node& n);
void inferArgMax(Graph& g, Node& n);  // ArgMax, ArgMin
void inferCumSum(Graph& g, Node& n);
int64_t flopsAlongAxis(const Graph& g, const Node& n);  // ArgMax, ArgMin, CumSum

// schema_norm.cpp (reduce family)
void inferLayerNorm(Graph& g, Node& n);
void inferInstanceNorm(Graph& g, Node& n);
void inferMeanVarianceNorm(Graph& g, Node& n);
int64_t flopsNorm(const Graph& g, const Node& n);

// schema_layout.cpp
void inferIdentity(Graph& g, Node& n);  // Identity, Dropout
void inferFlatten(Graph& g, Node& n);
void inferReshape(Graph& g, Node& n);
void inferTranspose(Graph& g, Node& n);
void inferConcat(Graph& g, Node& n);
void inferPad(Graph& g, Node& n);
// Family: data movement (datamove) -- schema_layout.cpp, schema_slice.cpp, schema_gather.cpp,
// schema_cast.cpp, schema_resize.cpp
void inferSqueeze(Graph& g, Node& n);
void inferUnsqueeze(Graph& g, Node& n);
void inferExpand(Graph& g, Node& n);
void inferTile(Graph& g, Node& n);
void inferDepthToSpace(Graph& g, Node& n);  // DepthToSpace, SpaceToDepth
void inferTrilu(Graph& g, Node& n);
void inferSlice(Graph& g, Node& n);
void inferSplit(Graph& g, Node& n);
void inferGather(Graph& g, Node& n);
void inferGatherElements(Graph& g, Node& n);
void inferGatherND(Graph& g, Node& n);
void inferCompress(Graph& g, Node& n);
void inferScatterElements(Graph& g, Node& n);
void inferScatterND(Graph& g, Node& n);
void inferCast(Graph& g, Node& n);
void inferCastLike(Graph& g, Node& n);
void inferResize(Graph& g, Node& n);  // Resize, Upsample
int64_t flopsResize(const Graph& g, const Node& n);

// schema_quant.cpp (int8, INT8.md)
void inferQuantizeLinear(Graph& g, Node& n);
void inferDequantizeLinear(Graph& g, Node& n);

}  // namespace schema
}  // namespace percept::graph
