// SPDX-License-Identifier: Apache-2.0
#pragma once
// Appends ops to a graph::Graph the way the ONNX importer would have built them (opset 17
// forms: axes, shapes and slice bounds as constant inputs), tracking every value's shape as it
// goes, so the training graphs (train_graph.cpp) can be written as plain code: one call per op.
// The load pipeline (detail::modelFromGraph) then checks each node against its schema as for any
// model file, and the shapes it infers must equal the ones tracked here (checked there).
#include <cstdint>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "percept/tensor.h"

namespace percept::train {

class GraphWriter {
public:
    static constexpr int64_t kOpset = 17;
    GraphWriter();

    graph::Graph& graph() { return g_; }
    graph::Graph take() { return std::move(g_); }
    // By value: the tracked shapes grow (and move) with every op written.
    Shape shape(int v) const { return shapes_.at(static_cast<size_t>(v)); }

    // A graph input (fed each run) and a graph output (returned in the order of the calls).
    int input(const std::string& name, const Shape& shape);
    void output(int v, const std::string& name);
    int constant(const std::string& name, const Tensor& t);
    int constantInts(const std::vector<int64_t>& v);
    int scalar(float v);

    // Ops; every result is a new value of the tracked shape.
    int reshape(int x, const Shape& to);
    int transpose(int x, const std::vector<int64_t>& perm);
    int matmul(int a, int b);
    int binary(graph::OpKind op, int a, int b);  // Add, Sub, Mul, Div with numpy broadcasting
    int add(int a, int b) { return binary(graph::OpKind::Add, a, b); }
    int sub(int a, int b) { return binary(graph::OpKind::Sub, a, b); }
    int mul(int a, int b) { return binary(graph::OpKind::Mul, a, b); }
    int div(int a, int b) { return binary(graph::OpKind::Div, a, b); }
    int scale(int x, float s) { return mul(x, scalar(s)); }
    // Greater / Less against a constant (a boolean result), And, Where.
    int compare(graph::OpKind op, int x, float c);
    int logicalAnd(int a, int b);
    int where(int cond, int a, int b);
    // A pointwise function of one value (Relu, Clip, Sigmoid, Sqrt, Neg ...), as its ONNX op.
    int activation(const graph::FusedActivation& act, int x);
    int unary(graph::OpKind op, int x);
    int reduceSum(int x, const std::vector<int64_t>& axes, bool keepdims);
    int expand(int x, const Shape& to);
    int concat(const std::vector<int>& xs, int64_t axis);
    int slice(int x, int64_t axis, int64_t begin, int64_t end);
    int softmax(graph::OpKind op, int x, int64_t axis);  // Softmax, LogSoftmax
    int globalAveragePool(int x);
    // Conv / ConvTranspose with constant weights; attributes as the schema's canonical form.
    int conv(graph::OpKind op, int x, const Tensor& w, const graph::Node& window, int64_t group, const Shape& out);

private:
    int node(graph::OpKind op, std::vector<int> inputs, const Shape& out, graph::DType type = graph::DType::Float32);
    graph::Node& last() { return g_.nodes.back(); }
    std::string fresh(const char* what);

    int track(int v, Shape s);

    graph::Graph g_;
    std::vector<Shape> shapes_;  // per value: its shape as the ops above compute it
    int counter_ = 0;
};

}  // namespace percept::train
