// SPDX-License-Identifier: Apache-2.0
// MaxPool and AveragePool (1-D, 2-D, 3-D) and GlobalAveragePool (GlobalMaxPool is a reduction: vk_reduce.cpp)
// (shaders/pool.comp; the global forms are a window the size of the whole plane).
#include "graph/window.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

PoolWindow poolWindow(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& x = g.shapeOf(n.inputs.at(0));
    const Shape& y = g.shapeOf(n.outputs.at(0));
    if (x.size() < 3) b.fail("needs an input of rank >= 3");
    PoolWindow p{};
    const auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    p.planes = u32(x[0] * x[1]);
    if (n.op == graph::OpKind::GlobalAveragePool) {
        p.D = p.H = p.OD = p.OH = p.OW = 1;
        p.W = p.kw = u32(elementCount(x) / std::max<int64_t>(x[0] * x[1], 1));
        p.kd = p.kh = 1;
        p.sd = p.sh = p.sw = p.dd = p.dh = p.dw = 1;
        return p;
    }
    const graph::Spatial3 s = graph::spatial3(n, x, y);
    p.D = u32(s.in[0]), p.H = u32(s.in[1]), p.W = u32(s.in[2]);
    p.OD = u32(s.out[0]), p.OH = u32(s.out[1]), p.OW = u32(s.out[2]);
    p.kd = u32(s.kernel[0]), p.kh = u32(s.kernel[1]), p.kw = u32(s.kernel[2]);
    p.sd = u32(s.stride[0]), p.sh = u32(s.stride[1]), p.sw = u32(s.stride[2]);
    p.dd = u32(s.dilation[0]), p.dh = u32(s.dilation[1]), p.dw = u32(s.dilation[2]);
    p.pf = static_cast<int32_t>(s.padBegin[0]), p.pt = static_cast<int32_t>(s.padBegin[1]), p.pl = static_cast<int32_t>(s.padBegin[2]);
    p.pk = static_cast<int32_t>(s.padEnd[0]), p.pb = static_cast<int32_t>(s.padEnd[1]), p.pr = static_cast<int32_t>(s.padEnd[2]);
    p.includePad = n.attrInt("count_include_pad", 0) != 0 ? 1 : 0;
    return p;
}

void buildPool(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const bool isMax = n.op == graph::OpKind::MaxPool;
    struct Push {
        PoolWindow win;
        float actA, actB;
    } p{};
    p.win = poolWindow(b);
    if (n.op == graph::OpKind::GlobalAveragePool) b.setAlgo("global-avg-pool");
    else b.setAlgo(std::string(isMax ? "max-pool" : "avg-pool") + (g.shapeOf(n.inputs.at(0)).size() == 5 ? "-3d" : ""));
    const ActParams ap = activationParams(n.act);
    p.actA = ap.a;
    p.actB = ap.b;
    const uint64_t count = p.win.outputs();
    if (count == 0) return;
    const uint32_t groups = groupCount(count, 64);
    const uint32_t gx = std::min<uint32_t>(groups, 65535), gy = (groups + gx - 1) / gx;
    // Windows of up to 7x7 unroll (specialisation constants); larger ones loop.
    const bool unroll = p.win.kh <= 7 && p.win.kw <= 7;
    b.dispatch(b.pipeline("pool", "ts", {isMax ? 1u : 0u, activationCode(n.act.kind), unroll ? p.win.kh : 0u, unroll ? p.win.kw : 0u}),
               {texel1(b.input(0)), b.output(0)}, 0b10, p, gx, gy);
}

}  // namespace percept::vk
