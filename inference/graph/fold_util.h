// SPDX-License-Identifier: Apache-2.0
#pragma once
// Pieces shared by the constant folder's files (constant_folding.cpp: dispatch and the
// data-movement ops; fold_elementwise.cpp: pointwise ops and reductions; fold_generate.cpp:
// Range, EyeLike, OneHot, NonZero, Shape, Size, ConstantOfShape). Hostile files
// reach all of it (the fuzzer runs in CI): every integer operation is overflow-checked and
// every folded tensor is bounded by kMaxFoldElements before it is allocated.
#include <cstdint>
#include <vector>

#include "graph/ir.h"
#include "graph/schema_util.h"

namespace percept::graph::fold {

// The largest tensor the folder computes (64 MiB of fp32). A bigger float result is left to
// the backends (or core's kernel folding, which has its own cap); a bigger integer one is an
// error: integer tensors never run.
inline constexpr int64_t kMaxFoldElements = int64_t{1} << 24;

ConstPtr makeInts(Shape shape, std::vector<int64_t> vals, DType t = DType::Int64);
ConstPtr makeFloats(Shape shape, std::vector<float> vals);

// Fails (the node named) when `s` is not a valid shape or holds more than kMaxFoldElements.
void checkFoldShape(const Node& n, const Shape& s);
// Whether a result of shape `s` is small enough to fold (checkShape still applies).
bool foldable(const Shape& s);

// ONNX TensorProto element type -> the engine's value type; fails for types it cannot hold.
DType dtypeOfOnnx(const Node& n, int64_t onnxType);

// Output index -> input index with numpy broadcasting, walked in order.
class BroadcastWalk {
public:
    BroadcastWalk(const Shape& out, const std::vector<Shape>& ins);
    // The input offsets of the current output element; next() moves to the following one.
    int64_t at(size_t input) const { return off_[input]; }
    void next();

private:
    Shape out_;
    std::vector<std::vector<int64_t>> st_;
    std::vector<int64_t> c_, off_;
};

// Pointwise ops, Where, comparisons and logic, and ReduceSum/Prod/Max/Min on constants
// (fold_elementwise.cpp); null when the op or its types are not folded here.
ConstPtr foldPointwise(const Graph& g, const Node& n);
ConstPtr foldReduce(const Graph& g, const Node& n);

// Ops that make a tensor from parameters or shapes (fold_generate.cpp). Shape, Size and
// EyeLike need only their input's shape, so they fold whether or not it is constant.
ConstPtr foldShape(const Graph& g, const Node& n);
ConstPtr foldSize(const Graph& g, const Node& n);
ConstPtr foldEyeLike(const Graph& g, const Node& n);
ConstPtr foldRange(const Graph& g, const Node& n);
ConstPtr foldOneHot(const Graph& g, const Node& n);
ConstPtr foldNonZero(const Graph& g, const Node& n);
ConstPtr foldConstantOfShape(const Graph& g, const Node& n);
ConstPtr foldConstant(const Node& n);

// int8 (fold_quant.cpp): QuantizeLinear and DequantizeLinear of constants; a dequantised
// constant keeps the integers it came from (TensorData::dequantizedFrom). Null when the result
// is too large to fold (the node then runs).
ConstPtr foldQuantization(Graph& g, const Node& n);

}  // namespace percept::graph::fold
