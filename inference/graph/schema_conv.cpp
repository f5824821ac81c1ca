// SPDX-License-Identifier: Apache-2.0
// Schemas of the windowed ops and the normalisations: Conv, the pools, LRN, BatchNormalization.
#include <algorithm>

#include "graph/schema_util.h"
#include "graph/schemas.h"

namespace percept::graph::schema {
namespace {

// Spatial axes the window ops run on: 1-D [N,C,L], 2-D [N,C,H,W] and 3-D [N,C,D,H,W].
constexpr size_t kMaxSpatial = 3;

void checkWindowInput(const Node& n, const Shape& x) {
    if (x.size() < 3 || x.size() > 2 + kMaxSpatial)
        fail(n, "only 1-D, 2-D and 3-D windows on [N,C,L], [N,C,H,W] or [N,C,D,H,W] tensors are supported (input " + shapeToString(x) + ")");
}

// Each window parameter at most the tensor size limit (2^28), so the arithmetic on them stays
// far from int64 overflow.
void checkWindowValue(const Node& n, int64_t v) {
    if (v > kMaxTensorElements) fail(n, "a kernel/stride/dilation/pad value of " + std::to_string(v) + " exceeds the engine's limits");
}

// Resolves auto_pad / pads / strides / dilations for a window op (Conv, the pools) on input
// [N, C, spatial...] and rewrites them as explicit attributes (pads, strides, dilations,
// kernel_shape, one value per spatial axis, pads begins then ends) so backends see one form;
// returns the output shape [N, C, out...].
Shape resolveWindow(Node& n, const Shape& x, std::vector<int64_t> kernel, bool ceilMode) {
    checkWindowInput(n, x);
    const size_t sp = x.size() - 2;
    if (kernel.size() != sp) fail(n, "kernel_shape has " + std::to_string(kernel.size()) + " values for " + std::to_string(sp) + " spatial axes");
    std::vector<int64_t> strides = n.attrInts("strides", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> dilations = n.attrInts("dilations", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> pads = n.attrInts("pads", std::vector<int64_t>(2 * sp, 0));
    if (strides.size() != sp || dilations.size() != sp || pads.size() != 2 * sp)
        fail(n, "strides/dilations/pads do not match the kernel's rank");
    for (size_t k = 0; k < sp; ++k) {
        if (kernel[k] <= 0 || strides[k] <= 0 || dilations[k] <= 0) fail(n, "kernel, strides and dilations must be positive");
        if (pads[k] < 0 || pads[k + sp] < 0) fail(n, "negative pads are not supported");
        for (int64_t v : {kernel[k], strides[k], dilations[k], pads[k], pads[k + sp]}) checkWindowValue(n, v);
    }
    const std::string autoPad = n.attrString("auto_pad", "NOTSET");
    Shape out = {x[0], x[1]};
    for (size_t k = 0; k < sp; ++k) {
        const int64_t inDim = x[2 + k], ext = (kernel[k] - 1) * dilations[k] + 1;
        if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            // Output ceil(in / stride); the extra pad goes to the end (UPPER) or the start.
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
        out.push_back(o);
    }
    setInts(n, "pads", pads);
    setInts(n, "strides", strides);
    setInts(n, "dilations", dilations);
    setInts(n, "kernel_shape", kernel);
    n.attrs.erase("auto_pad");
    return out;
}

// The spatial dims of a weight tensor [*, *, k...], checked against kernel_shape if given.
std::vector<int64_t> kernelFromWeights(const Node& n, const Shape& ws) {
    const std::vector<int64_t> fromW(ws.begin() + 2, ws.end());
    if (n.has("kernel_shape") && n.attrInts("kernel_shape") != fromW)
        fail(n, "kernel_shape " + shapeToString(n.attrInts("kernel_shape")) + " does not match the weights " + shapeToString(ws));
    return fromW;
}

// A constant bias of `count` values, when the node has one (input 2).
void checkBias(const Graph& g, const Node& n, int64_t count) {
    if (!hasInput(n, 2)) return;
    const Value& b = in(g, n, 2);
    if (!b.constant || b.constant->count() != count)
        fail(n, "bias must be a constant with " + std::to_string(count) + " values, got " + (b.constant ? shapeToString(b.shape) : "a computed tensor"));
}

}  // namespace

void inferConv(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    const Value& w = in(g, n, 1);
    if (!w.constant) fail(n, "weights must be a constant initializer; computed weights are not supported");
    const Shape& ws = w.shape;
    checkWindowInput(n, x);
    if (ws.size() != x.size())
        fail(n, "weights " + shapeToString(ws) + " do not have the input's rank (input " + shapeToString(x) + ")");
    const int64_t group = n.attrInt("group", 1);
    if (group <= 0 || x[1] % group != 0 || ws[0] % group != 0 || ws[1] * group != x[1])
        fail(n, "group " + std::to_string(group) + " does not match input channels " + std::to_string(x[1]) + " and weights " + shapeToString(ws));
    checkBias(g, n, ws[0]);
    Shape out = resolveWindow(n, x, kernelFromWeights(n, ws), false);
    out[1] = ws[0];
    setOut(g, n, 0, out);
}

int64_t flopsConv(const Graph& g, const Node& n) {
    const Shape& w = g.shapeOf(n.inputs.at(1));
    return 2 * elementCount(g.shapeOf(n.outputs.at(0))) * (elementCount(w) / w[0]);
}

// ConvTranspose: output = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pads,
// per spatial axis. The canonical form is explicit pads whose ends may be negative (an
// output_padding, or an output_shape past the natural size, extends the end), kernel_shape,
// strides, dilations and group; the output's shape carries the rest. Backends read only these.
void inferConvTranspose(Graph& g, Node& n) {
    requireFloatInputs(g, n);
    const Shape& x = inShape(g, n, 0);
    const Value& w = in(g, n, 1);
    if (!w.constant) fail(n, "weights must be a constant initializer; computed weights are not supported");
    const Shape& ws = w.shape;
    checkWindowInput(n, x);
    if (ws.size() != x.size()) fail(n, "weights " + shapeToString(ws) + " do not have the input's rank (input " + shapeToString(x) + ")");
    const int64_t group = n.attrInt("group", 1);
    if (group <= 0 || x[1] % group != 0 || ws[0] != x[1])
        fail(n, "group " + std::to_string(group) + " does not match input channels " + std::to_string(x[1]) + " and weights " + shapeToString(ws));
    const int64_t M = ws[1] * group;
    checkBias(g, n, M);
    const size_t sp = x.size() - 2;
    const std::vector<int64_t> kernel = kernelFromWeights(n, ws);
    std::vector<int64_t> strides = n.attrInts("strides", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> dilations = n.attrInts("dilations", std::vector<int64_t>(sp, 1));
    std::vector<int64_t> pads = n.attrInts("pads", std::vector<int64_t>(2 * sp, 0));
    const std::vector<int64_t> outPad = n.attrInts("output_padding", std::vector<int64_t>(sp, 0));
    std::vector<int64_t> outShape = n.attrInts("output_shape");
    if (outShape.size() == sp + 2) outShape.erase(outShape.begin(), outShape.begin() + 2);  // [N, C, spatial...] form
    if (strides.size() != sp || dilations.size() != sp || pads.size() != 2 * sp || outPad.size() != sp ||
        (!outShape.empty() && outShape.size() != sp))
        fail(n, "strides/dilations/pads/output_padding/output_shape do not match the kernel's rank");
    const std::string autoPad = n.attrString("auto_pad", "NOTSET");
    if (autoPad != "NOTSET" && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER" && autoPad != "VALID")
        fail(n, "auto_pad '" + autoPad + "' is not valid");
    Shape out = {x[0], M};
    for (size_t k = 0; k < sp; ++k) {
        if (strides[k] <= 0 || dilations[k] <= 0) fail(n, "strides and dilations must be positive");
        if (pads[k] < 0 || pads[k + sp] < 0 || outPad[k] < 0) fail(n, "negative pads or output_padding are not supported");
        for (int64_t v : {strides[k], dilations[k], pads[k], pads[k + sp], outPad[k]}) checkWindowValue(n, v);
        const int64_t natural = strides[k] * (x[2 + k] - 1) + outPad[k] + (kernel[k] - 1) * dilations[k] + 1;
        int64_t want = -1;  // the output size, when output_shape or auto_pad SAME fix it
        if (!outShape.empty()) want = outShape[k];
        else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") want = x[2 + k] * strides[k];
        if (autoPad == "VALID" && outShape.empty()) {
            pads[k] = pads[k + sp] = 0;
        } else if (want >= 0) {
            checkWindowValue(n, want);
            const int64_t total = natural - want;
            if (total >= 0) {
                // ONNX: SAME_UPPER puts the odd pad at the end, otherwise at the start.
                pads[k] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                pads[k + sp] = total - pads[k];
            } else {
                // An output larger than the natural size: the extra outputs at the end get only
                // the bias (as ONNX Runtime computes it).
                pads[k] = 0;
                pads[k + sp] = total;
            }
        }
        // output_padding extends the end: folded into the end pad.
        pads[k + sp] -= outPad[k];
        const int64_t o = natural - outPad[k] - pads[k] - pads[k + sp];
        if (o <= 0) fail(n, "the output would be empty along spatial axis " + std::to_string(k));
        out.push_back(o);
    }
    setInts(n, "pads", pads);
    setInts(n, "strides", strides);
    setInts(n, "dilations", dilations);
    setInts(n, "kernel_shape", kernel);
    setInt(n, "group", group);
    n.attrs.erase("auto_pad");
    n.attrs.erase("output_padding");
    n.attrs.erase("output_shape");
    setOut(g, n, 0, out);
}

int64_t flopsConvTranspose(const Graph& g, const Node& n) {
    const Shape& w = g.shapeOf(n.inputs.at(1));
    return 2 * elementCount(g.shapeOf(n.inputs.at(0))) * (elementCount(w) / w[0]);
}

void inferPool(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    if (n.op == OpKind::MaxPool && n.outputs.size() > 1 && n.outputs[1] >= 0) {
        // The Indices output: unread ones are dropped; a read one is refused, since nothing in
        // the engine consumes it (MaxUnpool is not an op here) and graph outputs are float32.
        const Value& idx = g.value(n.outputs[1]);
        if (!idx.name.empty() && g.readerCounts()[static_cast<size_t>(n.outputs[1])] > 0)
            fail(n, "its Indices output ('" + idx.name + "') is read: MaxPool indices are not supported (no op of the engine consumes them, and graph outputs are float32)");
        n.outputs.resize(1);
    }
    // storage_order only orders the Indices (refused above): Y does not depend on it.
    const int64_t order = n.attrInt("storage_order", 0);
    if (order != 0 && order != 1) fail(n, "storage_order must be 0 or 1, got " + std::to_string(order));
    const int64_t ceil = n.attrInt("ceil_mode", 0);
    if (ceil != 0 && ceil != 1) fail(n, "ceil_mode must be 0 or 1, got " + std::to_string(ceil));
    if (n.op == OpKind::AveragePool) {
        const int64_t cip = n.attrInt("count_include_pad", 0);
        if (cip != 0 && cip != 1) fail(n, "count_include_pad must be 0 or 1, got " + std::to_string(cip));
        setInt(n, "count_include_pad", cip);
    }
    auto ks = n.attrInts("kernel_shape");
    if (ks.empty()) fail(n, "attribute 'kernel_shape' is missing");
    // Dilations (AveragePool since opset 19) are resolved like MaxPool's: canonical, per axis.
    setOut(g, n, 0, resolveWindow(n, inShape(g, n, 0), ks, ceil != 0));
}

int64_t flopsPool(const Graph& g, const Node& n) {
    int64_t win = 1;
    for (auto d : n.attrInts("kernel_shape")) win *= d;
    return elementCount(g.shapeOf(n.outputs.at(0))) * win;
}

void inferGlobalPool(Graph& g, Node& n) {
    requireFloat(g, n, 0);
    const Shape& x = inShape(g, n, 0);
    if (x.size() < 3) fail(n, "needs an [N, C, spatial...] input, got " + shapeToString(x));
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
