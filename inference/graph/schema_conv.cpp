// Schemas of the windowed ops and the normalisations: Conv, the pools, LRN, BatchNormalization.
#include <algorithm>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {
namespace {

// Resolves auto_pad / pads / strides / dilations for a 2-D window op on input [N,C,H,W] and
// rewrites them as explicit attributes (pads, strides, dilations, kernel_shape) so backends
// see one form; returns the output shape [N, C, OH, OW].
Shape resolveWindow(Node& n, const Shape& x, std::vector<int64_t> kernel, bool ceilMode) {
    const size_t sp = kernel.size();
    if (sp != 2 || x.size() != 4) fail(n, "only 2-D spatial windows on 4-D NCHW tensors are supported (input " + shapeToString(x) + ")");
    std::vector<int64_t> strides = n.attrInts("strides", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> dilations = n.attrInts("dilations", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> pads = n.attrInts("pads", std::vector<int64_t>(2 * sp, 0));
    if (strides.size() != sp || dilations.size() != sp || pads.size() != 2 * sp)
        fail(n, "strides/dilations/pads do not match the kernel's rank");
    for (size_t k = 0; k < sp; ++k) {
        if (kernel[k] <= 0 || strides[k] <= 0 || dilations[k] <= 0) fail(n, "kernel, strides and dilations must be positive");
        if (pads[k] < 0 || pads[k + sp] < 0) fail(n, "negative pads are not supported");
        // Each at most the tensor size limit (2^28), so the arithmetic below stays far from int64 overflow.
        for (int64_t v : {kernel[k], strides[k], dilations[k], pads[k], pads[k + sp]})
            if (v > kMaxTensorElements) fail(n, "a kernel/stride/dilation/pad value of " + std::to_string(v) + " exceeds the engine's limits");
    }
    const std::string autoPad = n.attrString("auto_pad", "NOTSET");
    Shape out = {x[0], x[1], 0, 0};
    for (size_t k = 0; k < sp; ++k) {
        const int64_t inDim = x[2 + k], ext = (kernel[k] - 1) * dilations[k] + 1;
        if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            const int64_t o = (inDim + strides[k] - 1) / strides[k];
            const int64_t total = std::max<int64_t>(0, (o - 1) * strides[k] + ext - inDim);
            const int64_t small = total / 2, big = total - small;
            pads[k] = autoPad == "SAME_UPPER" ? small : big;
            pads[k + sp] = autoPad == "SAME_UPPER" ? big : small;
        } else if (autoPad == "VALID") {
            pads[k] = pads[k + sp] = 0;
        } else if (autoPad != "NOTSET") {
            fail(n, "auto_pad '" + autoPad + "' is not valid");
        }
        const int64_t span = inDim + pads[k] + pads[k + sp] - ext;
        if (span < 0) fail(n, "the window is larger than the padded input " + shapeToString(x));
        int64_t o = ceilMode ? (span + strides[k] - 1) / strides[k] + 1 : span / strides[k] + 1;
        // ceil_mode: the last window must start inside the input or left padding.
        if (ceilMode && (o - 1) * strides[k] >= inDim + pads[k]) --o;
        out[2 + k] = o;
    }
    setInts(n, "pads", pads);
    setInts(n, "strides", strides);
    setInts(n, "dilations", dilations);
    setInts(n, "kernel_shape", kernel);
    n.attrs.erase("auto_pad");
    return out;
}

}  // namespace

void inferConv(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    const Value& w = in(g, n, 1);
    if (!w.constant) fail(n, "weights must be a constant initializer");
    const Shape& ws = w.shape;
    if (ws.size() != 4 || x.size() != 4)
        fail(n, "only 2-D convolutions (4-D input and weights) are supported; input " + shapeToString(x) + ", weights " + shapeToString(ws));
    const int64_t group = n.attrInt("group", 1);
    if (group <= 0 || x[1] % group != 0 || ws[0] % group != 0 || ws[1] * group != x[1])
        fail(n, "group " + std::to_string(group) + " does not match input channels " + std::to_string(x[1]) + " and weights " + shapeToString(ws));
    if (hasInput(n, 2)) {
        const Value& b = in(g, n, 2);
        if (!b.constant || b.constant->count() != ws[0]) fail(n, "bias must be a constant with " + std::to_string(ws[0]) + " values");
    }
    auto ks = n.attrInts("kernel_shape", {ws[2], ws[3]});
    if (ks.size() != 2 || ks[0] != ws[2] || ks[1] != ws[3]) fail(n, "kernel_shape does not match the weights");
    Shape out = resolveWindow(n, x, ks, false);
    out[1] = ws[0];
    setOut(g, n, 0, out);
}

int64_t flopsConv(const Graph& g, const Node& n) {
    const Shape& w = g.shapeOf(n.inputs.at(1));
    return 2 * elementCount(g.shapeOf(n.outputs.at(0))) * w[1] * w[2] * w[3];
}

void inferPool(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const bool isMax = n.op == OpKind::MaxPool;
    if (n.outputs.size() > 1 && n.outputs[1] >= 0 && isMax) fail(n, "the Indices output is not supported");
    auto ks = n.attrInts("kernel_shape");
    if (ks.empty()) fail(n, "attribute 'kernel_shape' is missing");
    if (!isMax && n.has("dilations")) {
        for (auto d : n.attrInts("dilations"))
            if (d != 1) fail(n, "dilated average pooling is not supported");
    }
    if (n.attrInt("storage_order", 0) != 0) fail(n, "storage_order 1 is not supported");
    setOut(g, n, 0, resolveWindow(n, inShape(g, n, 0), ks, n.attrInt("ceil_mode", 0) != 0));
}

int64_t flopsPool(const Graph& g, const Node& n) {
    int64_t win = 1;
    for (auto d : n.attrInts("kernel_shape")) win *= d;
    return elementCount(g.shapeOf(n.outputs.at(0))) * win;
}

void inferGlobalPool(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 3) fail(n, "needs an NC... input, got " + shapeToString(x));
    Shape out = x;
    for (size_t k = 2; k < out.size(); ++k) out[k] = 1;
    setOut(g, n, 0, out);
}

int64_t flopsGlobalPool(const Graph& g, const Node& n) { return elementCount(g.shapeOf(n.inputs.at(0))); }

void inferLrn(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 2) fail(n, "needs an input of rank >= 2, got " + shapeToString(x));
    if (n.attrInt("size", 0) <= 0) fail(n, "attribute 'size' must be positive");
    setOut(g, n, 0, x);
}

int64_t flopsLrn(const Graph& g, const Node& n) { return elementCount(g.shapeOf(n.outputs.at(0))) * (n.attrInt("size", 1) * 2 + 4); }

void inferBatchNorm(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 2) fail(n, "needs an input of rank >= 2, got " + shapeToString(x));
    // Training mode computes batch statistics and updates the running ones: not inference.
    if (n.attrInt("training_mode", 0) != 0) fail(n, "training_mode=1 (batch statistics) is not supported; export the model in eval mode");
    if (n.has("is_test") && n.attrInt("is_test", 1) == 0) fail(n, "is_test=0 (training) is not supported; export the model in eval mode");
    if (n.attrInt("spatial", 1) != 1) fail(n, "spatial=0 (per-activation statistics) is not supported");
    for (size_t k = 1; k < n.outputs.size(); ++k)
        if (n.outputs[k] >= 0 && !g.value(n.outputs[k]).name.empty())
            fail(n, "its training outputs (running mean/variance) are not supported; export the model in eval mode");
    for (size_t k = 1; k <= 4; ++k) {
        const Value& p = in(g, n, k);
        if (!p.constant) fail(n, "scale/bias/mean/var must be constants");
        if (p.constant->count() != x[1]) fail(n, "parameter '" + p.name + "' does not have C = " + std::to_string(x[1]) + " values");
    }
    setOut(g, n, 0, x);
}

int64_t flopsBatchNorm(const Graph& g, const Node& n) { return 2 * elementCount(g.shapeOf(n.outputs.at(0))); }

}  // namespace percept::graph::schema
