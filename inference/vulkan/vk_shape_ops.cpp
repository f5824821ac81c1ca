// Ops that move data without arithmetic: Flatten / Reshape / Identity / Dropout (a buffer copy:
// a dense row-major tensor's bytes do not change), Transpose (shaders/transpose.comp, axes
// merged as on the CPU) and Pad (shaders/pad.comp).
#include "graph/loop_nest.h"
#include "vulkan/vk_op.h"

namespace percept::vk {
namespace {

// Pattern of 1.0 in the session's precision, twice for fp16 (fills are 32-bit).
uint32_t onePattern(bool fp16) { return fp16 ? 0x3c003c00u : 0x3f800000u; }

uint32_t strideGroups(uint64_t count) { return std::max<uint32_t>(1, std::min<uint32_t>(groupCount(count, 64), 1024)); }

}  // namespace

void buildCopy(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const int64_t count = elementCount(g.shapeOf(n.inputs.at(0)));
    if (elementCount(g.shapeOf(n.outputs.at(0))) != count) b.fail("output and input sizes differ");
    b.setAlgo("copy");
    const TensorRef x = b.input(0), y = b.output(0);
    if (count > 0) {
        if (n.act.any()) {
            emitUnary(b, x, y, static_cast<uint64_t>(count), n.act, graph::FusedActivation{});
        } else {
            const VkDeviceSize bytes = static_cast<VkDeviceSize>(count) * b.elementBytes();
            b.copy(TensorRef{x.res, x.offset, bytes}, TensorRef{y.res, y.offset, bytes});
        }
    }
    // Dropout's optional mask output: everything kept.
    if (n.op == graph::OpKind::Dropout && n.outputs.size() > 1 && n.outputs[1] >= 0) b.fill(b.output(1), onePattern(b.fp16()));
}

void buildTranspose(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> perm = n.attrInts("perm");
    if (perm.empty())
        for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
    if (static_cast<int64_t>(perm.size()) != rank) b.fail("perm has the wrong length");
    for (int64_t p : perm)
        if (p < 0 || p >= rank) b.fail("perm is not a permutation");
    const graph::TransposeNest nest = graph::planTranspose(x, perm);
    const std::vector<int64_t>& dims = nest.dims;
    const std::vector<int64_t>& st = nest.st;
    const int64_t count = elementCount(x);
    const TensorRef in = b.input(0), out = b.output(0);
    if (count == 0) return;
    if (dims.size() <= 1) {
        // The identity after merging: a copy.
        b.setAlgo("copy");
        const VkDeviceSize bytes = static_cast<VkDeviceSize>(count) * b.elementBytes();
        b.copy(TensorRef{in.res, in.offset, bytes}, TensorRef{out.res, out.offset, bytes});
        return;
    }
    if (dims.size() > 6) b.fail("transposes of more than 6 (merged) axes are not supported");
    struct Push {
        uint32_t count, rank;
        uint32_t dims[6];
        uint32_t st[6];
    } push{};
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(dims.size());
    for (size_t k = 0; k < dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(dims[k]);
        push.st[k] = static_cast<uint32_t>(st[k]);
    }
    b.setAlgo("transpose");
    b.dispatch(b.pipeline("transpose", "ss"), {in, out}, 0b10, push, strideGroups(static_cast<uint64_t>(count)));
}

void buildPad(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (x.empty()) b.fail("cannot pad a scalar");
    if (x.size() > 6) b.fail("tensors of rank > 6 are not supported");
    const std::vector<int64_t> pads = n.attrInts("pads");
    if (pads.size() != 2 * x.size()) b.fail("pads must have 2 x rank entries");
    for (int64_t p : pads)
        if (p < 0) b.fail("negative pads (cropping) are not supported");
    const std::string m = n.attrString("mode", "constant");
    uint32_t mode = 0;
    if (m == "reflect") mode = 1;
    else if (m == "edge") mode = 2;
    else if (m != "constant") b.fail("pad mode '" + m + "' is not supported");
    float value = 0.0f;
    if (g.opset >= 11) {
        if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
            const graph::Value& v = g.value(n.inputs[2]);
            if (!v.constant) b.fail("constant_value must be a constant");
            const auto f = v.constant->asFloats();
            if (!f.empty()) value = f[0];
        }
    } else {
        value = n.attrFloat("value", 0.0f);
    }
    for (size_t k = 0; k < x.size(); ++k) {
        if (mode == 1 && (pads[k] >= x[k] || pads[k + x.size()] >= x[k]) && x[k] > 1) b.fail("reflect pads must be smaller than the dimension");
        if (mode != 0 && x[k] == 0) b.fail("cannot reflect or extend an empty axis");
    }
    if (n.act.any()) b.fail("a fused activation on Pad is not supported");
    struct Push {
        uint32_t count, rank;
        uint32_t outDims[6];
        uint32_t inDims[6];
        int32_t padBegin[6];
        float value;
    } push{};
    const int64_t count = elementCount(y);
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(x.size());
    for (size_t k = 0; k < x.size(); ++k) {
        push.outDims[k] = static_cast<uint32_t>(y[k]);
        push.inDims[k] = static_cast<uint32_t>(x[k]);
        push.padBegin[k] = static_cast<int32_t>(pads[k]);
    }
    push.value = value;
    b.setAlgo(mode == 0 ? "pad-constant" : mode == 1 ? "pad-reflect" : "pad-edge");
    if (count == 0) return;
    b.dispatch(b.pipeline("pad", "ss", {mode}), {b.input(0), b.output(0)}, 0b10, push, strideGroups(static_cast<uint64_t>(count)));
}

}  // namespace percept::vk
