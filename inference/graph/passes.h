#pragma once
// Graph passes, run once at load time in this order by the model loader.
#include "graph/ir.h"

namespace percept::graph {

// Orders nodes so every node follows the producers of its inputs; throws on cycles or on a
// value produced twice.
void sortTopologically(Graph& g);
// Dropout (inference) and Identity forward their input.
void removeIdentityOps(Graph& g);
// BatchNormalization right after a Conv (its only reader) becomes the Conv's weights/bias.
void foldBatchNormIntoConv(Graph& g);
// Relu / Clip / LeakyRelu / Sigmoid that are the only reader of a Conv, Gemm, MatMul or Add
// output are fused into it.
void fuseActivations(Graph& g);
// Drops nodes whose outputs nobody reads, then unused values.
void removeDeadNodes(Graph& g);

}  // namespace percept::graph
