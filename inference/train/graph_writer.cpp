// SPDX-License-Identifier: Apache-2.0
#include "train/graph_writer.h"

#include <algorithm>

#include "graph/shape_inference.h"
#include "percept/error.h"

namespace percept::train {
namespace {

graph::ConstPtr floats(const Tensor& t) {
    auto d = std::make_shared<graph::TensorData>();
    d->shape = t.shape;
    d->f = t.data;
    return d;
}

void setInts(graph::Node& n, const std::string& key, std::vector<int64_t> v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Ints;
    a.ints = std::move(v);
    n.attrs[key] = std::move(a);
}
void setInt(graph::Node& n, const std::string& key, int64_t v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Int;
    a.i = v;
    n.attrs[key] = std::move(a);
}
void setFloat(graph::Node& n, const std::string& key, float v) {
    graph::Attribute a;
    a.kind = graph::Attribute::Kind::Float;
    a.f = v;
    n.attrs[key] = std::move(a);
}

}  // namespace

GraphWriter::GraphWriter() { g_.opset = kOpset; }

int GraphWriter::track(int v, Shape s) {
    if (shapes_.size() <= static_cast<size_t>(v)) shapes_.resize(static_cast<size_t>(v) + 1);
    shapes_[static_cast<size_t>(v)] = std::move(s);
    return v;
}

std::string GraphWriter::fresh(const char* what) { return std::string(what) + "_" + std::to_string(counter_++); }

int GraphWriter::input(const std::string& name, const Shape& shape) {
    const int id = g_.addValue(name);
    g_.value(id).shape = shape;
    g_.value(id).shapeKnown = true;
    g_.inputs.push_back(id);
    return track(id, shape);
}

void GraphWriter::output(int v, const std::string& name) {
    // A value can be an output once under one name: an Identity gives it its own when needed
    // (the load pipeline keeps the output's name when it removes the Identity).
    const int id = node(graph::OpKind::Identity, {v}, shape(v));
    g_.value(id).name = name;
    g_.outputs.push_back(id);
}

int GraphWriter::constant(const std::string& name, const Tensor& t) { return track(g_.addConstant(name, floats(t)), t.shape); }

int GraphWriter::constantInts(const std::vector<int64_t>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Int64;
    d->shape = {static_cast<int64_t>(v.size())};
    d->i = v;
    return track(g_.addConstant(fresh("ints"), d), d->shape);
}

int GraphWriter::scalar(float v) { return constant(fresh("scalar"), Tensor({}, {v})); }

int GraphWriter::node(graph::OpKind op, std::vector<int> inputs, const Shape& out, graph::DType type) {
    graph::Node n;
    n.op = op;
    n.name = fresh(graph::opName(op));
    n.inputs = std::move(inputs);
    const int id = g_.addValue(n.name + "_out");
    g_.value(id).dtype = type;
    n.outputs = {id};
    g_.nodes.push_back(std::move(n));
    return track(id, out);
}

int GraphWriter::reshape(int x, const Shape& to) {
    if (elementCount(to) != elementCount(shape(x)))
        throw Error("internal error: training graph reshape " + shapeToString(shape(x)) + " -> " + shapeToString(to));
    return node(graph::OpKind::Reshape, {x, constantInts(to)}, to);
}

int GraphWriter::transpose(int x, const std::vector<int64_t>& perm) {
    Shape out;
    for (int64_t p : perm) out.push_back(shape(x).at(static_cast<size_t>(p)));
    const int id = node(graph::OpKind::Transpose, {x}, out);
    setInts(last(), "perm", perm);
    return id;
}

int GraphWriter::matmul(int a, int b) {
    const Shape &sa = shape(a), &sb = shape(b);
    if (sa.size() < 2 || sb.size() < 2 || sa.back() != sb[sb.size() - 2])
        throw Error("internal error: training graph matmul " + shapeToString(sa) + " x " + shapeToString(sb));
    Shape out = graph::broadcastShapes(Shape(sa.begin(), sa.end() - 2), Shape(sb.begin(), sb.end() - 2), "training graph matmul");
    out.push_back(sa[sa.size() - 2]);
    out.push_back(sb.back());
    return node(graph::OpKind::MatMul, {a, b}, out);
}

int GraphWriter::binary(graph::OpKind op, int a, int b) {
    return node(op, {a, b}, graph::broadcastShapes(shape(a), shape(b), "training graph"));
}

int GraphWriter::compare(graph::OpKind op, int x, float c) { return node(op, {x, scalar(c)}, shape(x), graph::DType::Bool); }

int GraphWriter::logicalAnd(int a, int b) {
    return node(graph::OpKind::And, {a, b}, graph::broadcastShapes(shape(a), shape(b), "training graph"), graph::DType::Bool);
}

int GraphWriter::where(int cond, int a, int b) {
    const Shape s = graph::broadcastShapes(graph::broadcastShapes(shape(cond), shape(a), "training graph"), shape(b), "training graph");
    return node(graph::OpKind::Where, {cond, a, b}, s);
}

int GraphWriter::activation(const graph::FusedActivation& act, int x) {
    using graph::Activation;
    switch (act.kind) {
        case Activation::Relu: return unary(graph::OpKind::Relu, x);
        case Activation::Sigmoid: return unary(graph::OpKind::Sigmoid, x);
        case Activation::HardSwish: return unary(graph::OpKind::HardSwish, x);
        case Activation::Silu: return mul(x, unary(graph::OpKind::Sigmoid, x));
        case Activation::Clip: {
            const int id = unary(graph::OpKind::Clip, x);
            setFloat(last(), "min", act.min);
            setFloat(last(), "max", act.max);
            return id;
        }
        case Activation::LeakyRelu: {
            const int id = unary(graph::OpKind::LeakyRelu, x);
            setFloat(last(), "alpha", act.alpha);
            return id;
        }
        case Activation::HardSigmoid: {
            const int id = unary(graph::OpKind::HardSigmoid, x);
            setFloat(last(), "alpha", act.alpha);
            setFloat(last(), "beta", act.beta);
            return id;
        }
        default: throw Error(std::string("training: the activation ") + graph::activationName(act.kind) + " has no gradient in Percept");
    }
}

int GraphWriter::unary(graph::OpKind op, int x) { return node(op, {x}, shape(x)); }

int GraphWriter::reduceSum(int x, const std::vector<int64_t>& axes, bool keepdims) {
    Shape out;
    const Shape& s = shape(x);
    for (size_t k = 0; k < s.size(); ++k) {
        const bool reduced = std::find(axes.begin(), axes.end(), static_cast<int64_t>(k)) != axes.end();
        if (!reduced) out.push_back(s[k]);
        else if (keepdims) out.push_back(1);
    }
    const int id = node(graph::OpKind::ReduceSum, {x, constantInts(axes)}, out);
    setInt(last(), "keepdims", keepdims ? 1 : 0);
    return id;
}

int GraphWriter::expand(int x, const Shape& to) { return node(graph::OpKind::Expand, {x, constantInts(to)}, to); }

int GraphWriter::concat(const std::vector<int>& xs, int64_t axis) {
    Shape out = shape(xs.at(0));
    for (size_t k = 1; k < xs.size(); ++k) out[static_cast<size_t>(axis)] += shape(xs[k])[static_cast<size_t>(axis)];
    const int id = node(graph::OpKind::Concat, xs, out);
    setInt(last(), "axis", axis);
    return id;
}

int GraphWriter::slice(int x, int64_t axis, int64_t begin, int64_t end) {
    Shape out = shape(x);
    out[static_cast<size_t>(axis)] = end - begin;
    return node(graph::OpKind::Slice, {x, constantInts({begin}), constantInts({end}), constantInts({axis})}, out);
}

int GraphWriter::softmax(graph::OpKind op, int x, int64_t axis) {
    const int id = node(op, {x}, shape(x));
    setInt(last(), "axis", axis);
    return id;
}

int GraphWriter::globalAveragePool(int x) {
    Shape out = shape(x);
    for (size_t k = 2; k < out.size(); ++k) out[k] = 1;
    return node(graph::OpKind::GlobalAveragePool, {x}, out);
}

int GraphWriter::conv(graph::OpKind op, int x, const Tensor& w, const graph::Node& window, int64_t group, const Shape& out) {
    const int id = node(op, {x, constant(fresh("onehot"), w)}, out);
    for (const char* key : {"kernel_shape", "strides", "dilations", "pads"}) setInts(last(), key, window.attrInts(key));
    setInt(last(), "group", group);
    if (op == graph::OpKind::ConvTranspose) {
        // The conv's own pads (ConvTranspose is its input gradient); output_padding makes up the
        // image rows and columns no window reached (they get no gradient).
        const auto k = window.attrInts("kernel_shape"), st = window.attrInts("strides"), d = window.attrInts("dilations"), p = window.attrInts("pads");
        const size_t sp = k.size();
        std::vector<int64_t> extra(sp);
        for (size_t a = 0; a < sp; ++a)
            extra[a] = out[2 + a] - (st[a] * (shape(x)[2 + a] - 1) + (k[a] - 1) * d[a] + 1 - p[a] - p[sp + a]);
        setInts(last(), "output_padding", extra);
    }
    return id;
}

}  // namespace percept::train
