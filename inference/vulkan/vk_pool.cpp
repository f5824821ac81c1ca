// MaxPool, AveragePool and GlobalAveragePool (shaders/pool.comp; the global form is a window
// the size of the whole plane).
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildPool(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    struct Push {
        uint32_t planes, H, W, OH, OW;
        uint32_t kh, kw, sh, sw, dh, dw;
        int32_t pt, pl, pb, pr;
        uint32_t includePad;
        float actA, actB;
    } p{};
    bool isMax = false;
    if (n.op == graph::OpKind::GlobalAveragePool) {
        if (x.size() < 3) b.fail("needs an input of rank >= 3");
        int64_t plane = 1;
        for (size_t k = 2; k < x.size(); ++k) plane *= x[k];
        p.planes = static_cast<uint32_t>(x[0] * x[1]);
        p.H = 1;
        p.W = static_cast<uint32_t>(plane);
        p.OH = p.OW = 1;
        p.kh = 1;
        p.kw = static_cast<uint32_t>(plane);
        p.sh = p.sw = p.dh = p.dw = 1;
        b.setAlgo("global-avg-pool");
    } else {
        if (x.size() != 4 || y.size() != 4) b.fail("only 2-D pooling on NCHW tensors is supported");
        isMax = n.op == graph::OpKind::MaxPool;
        auto k = n.attrInts("kernel_shape"), s = n.attrInts("strides", {1, 1}), d = n.attrInts("dilations", {1, 1});
        auto pads = n.attrInts("pads", {0, 0, 0, 0});
        if (k.size() != 2 || s.size() != 2 || d.size() != 2 || pads.size() != 4) b.fail("kernel_shape/strides/dilations/pads must describe 2 spatial axes");
        if (!isMax && (d[0] != 1 || d[1] != 1)) b.fail("dilated average pooling is not supported");
        p.planes = static_cast<uint32_t>(x[0] * x[1]);
        p.H = static_cast<uint32_t>(x[2]);
        p.W = static_cast<uint32_t>(x[3]);
        p.OH = static_cast<uint32_t>(y[2]);
        p.OW = static_cast<uint32_t>(y[3]);
        p.kh = static_cast<uint32_t>(k[0]);
        p.kw = static_cast<uint32_t>(k[1]);
        p.sh = static_cast<uint32_t>(s[0]);
        p.sw = static_cast<uint32_t>(s[1]);
        p.dh = static_cast<uint32_t>(d[0]);
        p.dw = static_cast<uint32_t>(d[1]);
        p.pt = static_cast<int32_t>(pads[0]);
        p.pl = static_cast<int32_t>(pads[1]);
        p.pb = static_cast<int32_t>(pads[2]);
        p.pr = static_cast<int32_t>(pads[3]);
        p.includePad = n.attrInt("count_include_pad", 0) != 0 ? 1 : 0;
        b.setAlgo(isMax ? "max-pool" : "avg-pool");
    }
    const ActParams ap = activationParams(n.act);
    p.actA = ap.a;
    p.actB = ap.b;
    const uint64_t count = static_cast<uint64_t>(p.planes) * p.OH * p.OW;
    if (count == 0) return;
    const uint32_t groups = groupCount(count, 64);
    const uint32_t gx = std::min<uint32_t>(groups, 65535), gy = (groups + gx - 1) / gx;
    // Windows of up to 7x7 unroll (specialisation constants); larger ones loop.
    const bool unroll = p.kh <= 7 && p.kw <= 7;
    b.dispatch(b.pipeline("pool", "ts", {isMax ? 1u : 0u, activationCode(n.act.kind), unroll ? p.kh : 0u, unroll ? p.kw : 0u}),
               {texel1(b.input(0)), b.output(0)}, 0b10, p, gx, gy);
}

}  // namespace percept::vk
