// Add / Sub / Mul / Div with numpy broadcasting (shaders/eltwise.comp). The operands' shapes
// are padded to the output's rank and adjacent axes that broadcast alike are merged, as in the
// CPU kernel, leaving at most a few axes with per-operand strides (0 = repeated).
#include "vulkan/vk_op.h"

namespace percept::vk {

void buildEltwise(Builder& b) {
    const graph::Graph& g = b.graph();
    const graph::Node& n = b.node();
    const Shape& a = g.shapeOf(n.inputs.at(0));
    const Shape& bs = g.shapeOf(n.inputs.at(1));
    const Shape& out = g.shapeOf(n.outputs.at(0));
    const size_t rank = out.size();
    if (a.size() > rank || bs.size() > rank) b.fail("operand rank exceeds the output's");
    auto padded = [&](const Shape& s) {
        Shape p(rank - s.size(), 1);
        p.insert(p.end(), s.begin(), s.end());
        return p;
    };
    auto strides = [&](const Shape& p) {
        std::vector<int64_t> st(rank, 0);
        int64_t step = 1;
        for (size_t k = rank; k-- > 0;) {
            st[k] = p[k] == 1 ? 0 : step;
            step *= p[k];
        }
        return st;
    };
    const auto sa = strides(padded(a)), sb = strides(padded(bs));
    std::vector<int64_t> dims, da, db;
    for (size_t k = 0; k < rank; ++k) {
        if (out[k] == 1) continue;
        if (!dims.empty() && da.back() == sa[k] * out[k] && db.back() == sb[k] * out[k]) {
            dims.back() *= out[k];
            da.back() = sa[k];
            db.back() = sb[k];
        } else {
            dims.push_back(out[k]);
            da.push_back(sa[k]);
            db.push_back(sb[k]);
        }
    }
    if (dims.empty()) {
        dims = {1};
        da = {0};
        db = {0};
    }
    if (dims.size() > 6) b.fail("broadcasts over more than 6 (merged) axes are not supported");
    uint32_t op = 0;
    if (n.op == "Add") op = 0;
    else if (n.op == "Sub") op = 1;
    else if (n.op == "Mul") op = 2;
    else if (n.op == "Div") op = 3;
    else b.fail("is not an elementwise binary op");

    const bool same = dims.size() == 1 && da[0] == 1 && db[0] == 1;
    struct Push {
        uint32_t count, rank;
        uint32_t dims[6];
        uint32_t sa[6];
        uint32_t sb[6];
        float actA, actB;
    } push{};
    const int64_t count = elementCount(out);
    push.count = static_cast<uint32_t>(count);
    push.rank = static_cast<uint32_t>(dims.size());
    for (size_t k = 0; k < dims.size(); ++k) {
        push.dims[k] = static_cast<uint32_t>(dims[k]);
        push.sa[k] = static_cast<uint32_t>(da[k]);
        push.sb[k] = static_cast<uint32_t>(db[k]);
    }
    const ActParams ap = activationParams(n.act);
    push.actA = ap.a;
    push.actB = ap.b;
    if (dims.size() == 1) b.setAlgo(same ? "same-shape" : "scalar");
    else if (dims.size() <= 3 && (da.back() == 0 || db.back() == 0)) b.setAlgo("per-channel");
    else b.setAlgo("broadcast");
    if (count == 0) return;
    const uint32_t groups = std::max<uint32_t>(1, std::min<uint32_t>(groupCount(static_cast<uint64_t>(count), 64), 1024));
    b.dispatch(b.pipeline("eltwise", "sss", {op, activationCode(n.act.kind), same ? 1u : 0u}), {b.input(0), b.input(1), b.output(0)}, 0b100,
               push, groups);
}

}  // namespace percept::vk
