// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): what the load pipeline does to quantised ops before shape inference.
//  - QLinearConv and QLinearMatMul become their definition: DequantizeLinear on each operand,
//    the float Conv / MatMul, QuantizeLinear on the result. The weights' DequantizeLinear folds
//    at load and the QDQ fusion (fusion_qdq.cpp) makes the chain one quantised node again, so
//    a backend meets one form whichever way the file was written.
//  - An 8-bit constant read by an op other than QuantizeLinear / DequantizeLinear is widened to
//    an Int64 copy for that reader: the constant folder and every integer path know Int64.
#include "graph/quant_expand.h"

#include "graph/schema_util.h"

namespace percept::graph {
namespace {

using schema::fail;
using schema::hasInput;

Node makeNode(OpKind op, const std::string& name, std::vector<int> inputs, std::vector<int> outputs) {
    Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    return n;
}

int input(const Node& n, size_t k) { return hasInput(n, k) ? n.inputs[k] : -1; }

// DequantizeLinear of input (q, scale, zero point) of `n` into a new value; `axis` for per-axis
// scales (negative: from the end, as the tensor's rank is not known yet).
int dequantize(Graph& g, std::vector<Node>& out, const Node& n, size_t q, size_t scale, size_t zero, int64_t axis, const char* what) {
    if (!hasInput(n, q) || !hasInput(n, scale)) fail(n, std::string("input ") + what + " or its scale is missing");
    const int v = g.addValue(n.name + "/" + what);
    Node d = makeNode(OpKind::DequantizeLinear, n.name + "/dequantize_" + what, {n.inputs[q], n.inputs[scale], input(n, zero)}, {v});
    schema::setInt(d, "axis", axis);
    out.push_back(std::move(d));
    return v;
}

// QLinearConv(x, xs, xz, w, ws, wz, ys, yz, B): the int32 bias has the scale xs * ws.
void expandQLinearConv(Graph& g, Node& n, std::vector<Node>& out) {
    const int x = dequantize(g, out, n, 0, 1, 2, 0, "x");
    const int w = dequantize(g, out, n, 3, 4, 5, 0, "w");
    int b = -1;
    if (hasInput(n, 8)) {
        const TensorData& xs = schema::constIn(g, n, 1, "x_scale");
        const TensorData& ws = schema::constIn(g, n, 4, "w_scale");
        if (xs.count() != 1) fail(n, "x_scale must be one value");
        auto bs = std::make_shared<TensorData>();
        bs->shape = ws.shape;
        const float s = xs.asFloats()[0];
        for (float v : ws.asFloats()) bs->f.push_back(s * v);
        const int scaleId = g.addConstant(n.name + "/bias_scale", bs);
        b = g.addValue(n.name + "/bias");
        Node d = makeNode(OpKind::DequantizeLinear, n.name + "/dequantize_bias", {n.inputs[8], scaleId, -1}, {b});
        schema::setInt(d, "axis", 0);
        out.push_back(std::move(d));
    }
    const int y = g.addValue(n.name + "/y");
    Node conv = makeNode(OpKind::Conv, n.name, {x, w}, {y});
    if (b >= 0) conv.inputs.push_back(b);
    conv.attrs = n.attrs;  // the Conv attributes
    out.push_back(std::move(conv));
    out.push_back(makeNode(OpKind::QuantizeLinear, n.name + "/quantize_y", {y, input(n, 6), input(n, 7)}, {n.outputs.at(0)}));
}

// QLinearMatMul(a, as, az, b, bs, bz, ys, yz): a's scale per row, b's per column.
void expandQLinearMatMul(Graph& g, Node& n, std::vector<Node>& out) {
    const int a = dequantize(g, out, n, 0, 1, 2, -2, "a");
    const int b = dequantize(g, out, n, 3, 4, 5, -1, "b");
    const int y = g.addValue(n.name + "/y");
    out.push_back(makeNode(OpKind::MatMul, n.name, {a, b}, {y}));
    out.push_back(makeNode(OpKind::QuantizeLinear, n.name + "/quantize_y", {y, input(n, 6), input(n, 7)}, {n.outputs.at(0)}));
}

}  // namespace

void expandQLinearOps(Graph& g) {
    bool any = false;
    for (const Node& n : g.nodes) any |= n.op == OpKind::QLinearConv || n.op == OpKind::QLinearMatMul;
    if (!any) return;
    std::vector<Node> out;
    out.reserve(g.nodes.size());
    for (Node& n : g.nodes) {
        if (n.op == OpKind::QLinearConv) expandQLinearConv(g, n, out);
        else if (n.op == OpKind::QLinearMatMul) expandQLinearMatMul(g, n, out);
        else out.push_back(std::move(n));
    }
    g.nodes = std::move(out);
}

void widenByteConstants(Graph& g, Node& n) {
    if (n.op == OpKind::QuantizeLinear || n.op == OpKind::DequantizeLinear) return;
    for (int& v : n.inputs) {
        if (v < 0 || !g.value(v).constant || !isByteType(g.value(v).constant->dtype)) continue;
        auto wide = std::make_shared<TensorData>();
        wide->dtype = DType::Int64;
        wide->shape = g.value(v).constant->shape;
        wide->i = g.value(v).constant->asInts();
        v = g.addConstant(g.value(v).name + "/int64", std::move(wide));
    }
}

}  // namespace percept::graph
