// SPDX-License-Identifier: Apache-2.0
// The liveness-based planner: no two simultaneously live tensors share bytes, and on real
// models the arena is far below the naive sum of all tensors.
#include <gtest/gtest.h>

#include "common/test_data.h"
#include "common/test_manifests.h"
#include "graph/memory_planner.h"
#include "percept/models/manifest.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

void checkNoLiveOverlap(const graph::Graph& g, const graph::MemoryPlan& plan) {
    const int steps = static_cast<int>(g.nodes.size());
    std::vector<int> first(g.values.size(), -2), last(g.values.size(), -2);
    for (int id : g.inputs) first[id] = last[id] = -1;
    for (int s = 0; s < steps; ++s) {
        for (int v : g.nodes[s].outputs) if (first[v] == -2) first[v] = last[v] = s;
        for (int v : g.nodes[s].inputs) if (v >= 0 && !g.value(v).isConstant()) last[v] = std::max(last[v], s);
    }
    for (int id : g.outputs) last[id] = steps;
    for (size_t a = 0; a < g.values.size(); ++a) {
        if (plan.offsets[a] < 0) continue;
        const int64_t sa = elementCount(g.values[a].shape) * 4;
        ASSERT_LE(plan.offsets[a] + sa, static_cast<int64_t>(plan.arenaBytes));
        for (size_t b = a + 1; b < g.values.size(); ++b) {
            if (plan.offsets[b] < 0) continue;
            const bool liveTogether = !(last[a] < first[b] || last[b] < first[a]);
            if (!liveTogether) continue;
            // A Concat part placed in its output overlaps that output by design; so does a view
            // (Reshape, Flatten, Squeeze, Unsqueeze) with the value it shows.
            if (plan.sliceOf[a] == static_cast<int>(b) || plan.sliceOf[b] == static_cast<int>(a)) continue;
            auto root = [&](size_t v) { return plan.aliasOf[v] >= 0 ? static_cast<size_t>(plan.aliasOf[v]) : v; };
            if (root(a) == root(b)) continue;
            const int64_t sb = elementCount(g.values[b].shape) * 4;
            const bool overlap = plan.offsets[a] < plan.offsets[b] + sb && plan.offsets[b] < plan.offsets[a] + sa;
            EXPECT_FALSE(overlap) << g.values[a].name << " and " << g.values[b].name << " are live together but share bytes";
        }
    }
}

// A value of known shape appended to a hand-made graph; returns its id.
int addValue(graph::Graph& g, const std::string& name, Shape shape) {
    graph::Value v;
    v.name = name;
    v.shape = std::move(shape);
    v.shapeKnown = true;
    g.values.push_back(v);
    return static_cast<int>(g.values.size() - 1);
}

// Appends node `op` reading `in`, writing `out`; returns it (for attributes).
graph::Node& addNode(graph::Graph& g, graph::OpKind op, std::vector<int> in, int out) {
    graph::Node n;
    n.op = op;
    n.name = std::string(graph::opName(op)) + std::to_string(g.nodes.size());
    n.inputs = std::move(in);
    n.outputs = {out};
    g.nodes.push_back(n);
    return g.nodes.back();
}
graph::Node& addNode(graph::Graph& g, graph::OpKind op, int in, int out) { return addNode(g, op, std::vector<int>{in}, out); }

TEST(MemoryPlan, RealModelsReuseMemory) {
    for (const auto* mp : testDataManifests()) {
        const auto& m = *mp;
        SCOPED_TRACE(m.name);
        const std::string path = modelsDir() + "/" + m.file;
        PERCEPT_REQUIRE_DATA(path);
        Model model = Model::load(path);
        const auto plan = graph::planMemory(model.graph());
        checkNoLiveOverlap(model.graph(), plan);
        EXPECT_LT(plan.arenaBytes * 2, plan.naiveBytes) << "arena " << plan.arenaBytes << " naive " << plan.naiveBytes;
        // The CPU backend places Concat parts in the Concat's output.
        const auto inPlace = graph::planMemory(model.graph(), 4, 64, graph::ConcatPlacement::InPlace);
        checkNoLiveOverlap(model.graph(), inPlace);
        EXPECT_LE(inPlace.arenaBytes, plan.arenaBytes);
        EXPECT_EQ(inPlace.naiveBytes, plan.naiveBytes);
        // It also keeps a conv's output that only a MaxPool reads in its own scratch
        // (Conv+MaxPool kernel): never more than the plan without that.
        auto session = Session::create(model);
        EXPECT_LE(session->stats().peakArenaBytes, inPlace.arenaBytes);
        EXPECT_LE(session->stats().naiveActivationBytes, inPlace.naiveBytes);
    }
}

// InPlace on a fire module (SqueezeNet's shape): both expand convs' outputs become slices of
// the Concat's output, at the offsets of their parts, and the whole output is live (its bytes
// untouched by anything else) from the first expand conv on; a part read by two nodes, a
// graph input, and a Concat of interleaved parts (batch 2) keep their own bytes.
TEST(MemoryPlan, ConcatPartsInPlace) {
    graph::Graph g;
    auto value = [&](const std::string& name, Shape s) { return addValue(g, name, std::move(s)); };
    auto node = [&](const std::string& op, std::vector<int> in, std::vector<int> out, int64_t axis = -100) {
        graph::Node n;
        n.op = *graph::opKindFromName(op);
        n.name = op + std::to_string(g.nodes.size());
        n.inputs = std::move(in);
        n.outputs = std::move(out);
        if (axis != -100) {
            graph::Attribute a;
            a.i = axis;
            n.attrs["axis"] = a;
        }
        g.nodes.push_back(n);
    };
    const int x = value("x", {1, 4, 5, 5}), s = value("squeeze", {1, 2, 5, 5});
    const int e1 = value("e1", {1, 3, 5, 5}), e3 = value("e3", {1, 6, 5, 5}), cat = value("cat", {1, 9, 5, 5});
    const int r = value("r", {1, 9, 5, 5}), cat2 = value("cat2", {1, 13, 5, 5}), both = value("both", {1, 13, 5, 5});
    const int b = value("b", {2, 9, 5, 5}), bcat = value("bcat", {2, 18, 5, 5});
    g.inputs = {x, b};
    node("Relu", {x}, {s});
    node("Relu", {s}, {e1});
    node("Relu", {s}, {e3});
    node("Concat", {e1, e3}, {cat}, 1);
    node("Relu", {cat}, {r});
    node("Concat", {r, x}, {cat2}, -3);  // r: one reader; x: a graph input
    node("Add", {cat2, cat2}, {both});
    node("Concat", {b, b}, {bcat}, 1);  // parts interleave at batch 2
    g.outputs = {both, bcat, r};        // r is also a graph output
    const auto plan = graph::planMemory(g, 4, 64, graph::ConcatPlacement::InPlace);
    EXPECT_EQ(plan.sliceOf[e1], cat);
    EXPECT_EQ(plan.sliceOf[e3], cat);
    EXPECT_EQ(plan.offsets[e1], plan.offsets[cat]);
    EXPECT_EQ(plan.offsets[e3], plan.offsets[cat] + 3 * 25 * 4);
    EXPECT_EQ(plan.sliceOf[s], -1);
    EXPECT_EQ(plan.sliceOf[r], -1);
    EXPECT_EQ(plan.sliceOf[x], -1);
    EXPECT_EQ(plan.sliceOf[b], -1);
    // The squeeze output is read while e1 is written: it must not sit inside cat's bytes.
    const int64_t catBytes = 9 * 25 * 4, sBytes = 2 * 25 * 4;
    EXPECT_TRUE(plan.offsets[s] + sBytes <= plan.offsets[cat] || plan.offsets[cat] + catBytes <= plan.offsets[s]);
    checkNoLiveOverlap(g, plan);
    const auto copy = graph::planMemory(g);
    EXPECT_EQ(copy.sliceOf[e1], -1);
    EXPECT_GE(copy.arenaBytes, plan.arenaBytes);
}

// Hints from a backend that fuses two nodes (Conv+MaxPool on the CPU): the fused kernel
// writes the second node's output at the first node's step, while that step's input is still
// being read, so the two must not share bytes; the value between them is never stored.
TEST(MemoryPlan, FusionHints) {
    graph::Graph g;
    auto value = [&](const std::string& name, Shape s) { return addValue(g, name, std::move(s)); };
    const int x = value("x", {1, 8, 16, 16}), c = value("conv", {1, 8, 16, 16}), p = value("pool", {1, 8, 8, 8}), y = value("y", {1, 8, 8, 8});
    g.inputs = {x};
    g.outputs = {y};
    auto node = [&](const std::string& op, int in, int out) {
        graph::Node n;
        n.op = *graph::opKindFromName(op);
        n.name = op + std::to_string(g.nodes.size());
        n.inputs = {in};
        n.outputs = {out};
        g.nodes.push_back(n);
    };
    node("Relu", x, c);  // stands for the conv
    node("Relu", c, p);  // the pool
    node("Relu", p, y);
    graph::PlanHints hints;
    hints.bornAt.assign(g.values.size(), -1);
    hints.elided.assign(g.values.size(), false);
    hints.bornAt[static_cast<size_t>(p)] = 0;
    hints.elided[static_cast<size_t>(c)] = true;
    const auto plan = graph::planMemory(g, 4, 64, graph::ConcatPlacement::InPlace, hints);
    EXPECT_EQ(plan.offsets[static_cast<size_t>(c)], -1);
    const int64_t xb = 8 * 16 * 16 * 4, pb = 8 * 8 * 8 * 4;
    const int64_t xo = plan.offsets[static_cast<size_t>(x)], po = plan.offsets[static_cast<size_t>(p)];
    EXPECT_TRUE(po + pb <= xo || xo + xb <= po) << "the pool output overlaps the input it is computed from";
    // Without the hint, the pool output may reuse the input's bytes (the input is dead by then).
    const auto plain = graph::planMemory(g, 4, 64, graph::ConcatPlacement::InPlace);
    EXPECT_GE(plain.offsets[static_cast<size_t>(c)], 0);
    EXPECT_LT(plan.arenaBytes, plain.arenaBytes);
}

// Views share their input's bytes: a Reshape/Flatten/Squeeze/Unsqueeze whose input nothing reads
// after it gets the input's offset (a chain of views too), and those bytes stay reserved while
// either is live; a view whose input is read later, and one with a fused activation, keep
// their own bytes. Every pair of values that are live together and not views of each other
// still has separate bytes.
TEST(MemoryPlan, ViewsShareTheirInputsBytes) {
    graph::Graph g;
    auto value = [&](const std::string& name, Shape s) { return addValue(g, name, std::move(s)); };
    auto node = [&](const std::string& op, int in, int out) {
        graph::Node n;
        n.op = *graph::opKindFromName(op);
        n.name = op + std::to_string(g.nodes.size());
        n.inputs = {in};
        n.outputs = {out};
        g.nodes.push_back(n);
        return g.nodes.size() - 1;
    };
    const int x = value("x", {1, 8, 4, 4}), a = value("a", {1, 8, 4, 4}), r = value("r", {1, 128}), u = value("u", {1, 1, 128});
    const int b = value("b", {1, 1, 128}), f = value("f", {1, 128}), c = value("c", {1, 128}), late = value("late", {1, 1, 128});
    const int s = value("s", {128}), y = value("y", {128});
    g.inputs = {x};
    node("Relu", x, a);
    node("Reshape", a, r);     // a is not read again: r shows a's bytes
    node("Unsqueeze", r, u);   // a chain: u shows a's bytes too
    node("Relu", u, b);
    node("Flatten", b, f);     // b is read again below: f gets its own bytes
    node("Relu", b, late);
    node("Relu", f, c);
    const size_t sq = node("Squeeze", late, s);
    g.nodes[sq].act.kind = graph::Activation::Relu;  // a fused activation writes: no sharing
    node("Relu", s, y);
    g.outputs = {c, y};
    const auto plan = graph::planMemory(g);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(r)], a);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(u)], a);
    EXPECT_EQ(plan.offsets[static_cast<size_t>(r)], plan.offsets[static_cast<size_t>(a)]);
    EXPECT_EQ(plan.offsets[static_cast<size_t>(u)], plan.offsets[static_cast<size_t>(a)]);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(f)], -1);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(s)], -1);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(a)], -1);
    // u is read at step 3, after a's own last reader: b (written at step 3) must not land on them.
    const int64_t ab = 8 * 16 * 4, bb = 128 * 4;
    const int64_t ao = plan.offsets[static_cast<size_t>(a)], bo = plan.offsets[static_cast<size_t>(b)];
    EXPECT_TRUE(bo + bb <= ao || ao + ab <= bo) << "b overlaps the bytes u still shows";
    checkNoLiveOverlap(g, plan);
    // The same graph with Concat placement in place and fusion hints plans alike.
    checkNoLiveOverlap(g, graph::planMemory(g, 4, 64, graph::ConcatPlacement::InPlace));
}

// PlanHints::readUntil: a value a later step reads in place of the nodes it stands for (a
// Vulkan MatMul reading its operand's chain root: graph::matMulOperandViews) stays live until
// that step, so nothing written before then lands on its bytes.
TEST(MemoryPlan, ReadUntilKeepsAValueLive) {
    graph::Graph g;
    auto relu = [&](int in, int out) { addNode(g, graph::OpKind::Relu, in, out); };
    const int x = addValue(g, "x", {1, 256}), a = addValue(g, "a", {1, 256}), b = addValue(g, "b", {1, 256});
    const int c = addValue(g, "c", {1, 256}), y = addValue(g, "y", {1, 256});
    g.inputs = {x};
    relu(x, a);  // step 0
    relu(a, b);  // step 1: a's last reader
    relu(b, c);  // step 2
    relu(c, y);  // step 3
    g.outputs = {y};
    const int64_t bytes = 256 * 4;
    auto disjoint = [&](const graph::MemoryPlan& p, int u, int v) {
        const int64_t uo = p.offsets[static_cast<size_t>(u)], vo = p.offsets[static_cast<size_t>(v)];
        return uo + bytes <= vo || vo + bytes <= uo;
    };
    EXPECT_FALSE(disjoint(graph::planMemory(g), a, c)) << "without the hint c reuses a's bytes";
    graph::PlanHints hints;
    hints.readUntil.assign(g.values.size(), -1);
    hints.readUntil[static_cast<size_t>(a)] = 2;
    const auto plan = graph::planMemory(g, 4, 64, graph::ConcatPlacement::Copy, hints);
    EXPECT_TRUE(disjoint(plan, a, c));
    checkNoLiveOverlap(g, plan);
}

// A Transpose that only moves axes of extent 1 (ViT's batch-first swap, [1,197,768] <->
// [197,1,768]) keeps its input's values in order: a view like a Reshape, no copy. One that
// reorders real axes is not.
TEST(MemoryPlan, IdentityTransposesAreViews) {
    graph::Graph g;
    auto value = [&](const std::string& name, Shape s) { return addValue(g, name, std::move(s)); };
    auto transpose = [&](int in, int out, std::vector<int64_t> perm) {
        graph::Attribute& a = addNode(g, graph::OpKind::Transpose, in, out).attrs["perm"];
        a.kind = graph::Attribute::Kind::Ints;
        a.ints = std::move(perm);
    };
    auto relu = [&](int in, int out) { addNode(g, graph::OpKind::Relu, in, out); };
    const int x = value("x", {1, 6, 8}), a = value("a", {1, 6, 8}), swapped = value("swapped", {6, 1, 8});
    const int b = value("b", {6, 1, 8}), reordered = value("reordered", {6, 8, 1}), c = value("c", {8, 6, 1}), y = value("y", {8, 6, 1});
    g.inputs = {x};
    relu(x, a);
    transpose(a, swapped, {1, 0, 2});    // moves the extent-1 axis only: a view of a
    relu(swapped, b);
    transpose(b, reordered, {0, 2, 1});  // [6,1,8] -> [6,8,1]: the extent-1 axis moves, a view
    transpose(reordered, c, {1, 0, 2});  // [6,8,1] -> [8,6,1]: reorders, a copy
    relu(c, y);
    g.outputs = {y};
    const auto plan = graph::planMemory(g);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(swapped)], a);
    EXPECT_EQ(plan.offsets[static_cast<size_t>(swapped)], plan.offsets[static_cast<size_t>(a)]);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(reordered)], b);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(c)], -1);
    checkNoLiveOverlap(g, plan);
}

// PlanHints::inPlaceOf: a residual Add's output (written at the conv's step) takes over its
// addend's bytes, both reserved while either is live; refused for a graph input, a value
// another view shows, or a value of another size.
TEST(MemoryPlan, InPlaceHints) {
    graph::Graph g;
    auto value = [&](const std::string& name, Shape s) { return addValue(g, name, std::move(s)); };
    auto node = [&](const std::string& op, std::vector<int> in, int out) { addNode(g, *graph::opKindFromName(op), std::move(in), out); };
    const int x = value("x", {1, 8, 8, 8}), skip = value("skip", {1, 8, 8, 8}), d = value("dw", {1, 8, 8, 8});
    const int c = value("conv", {1, 8, 8, 8}), y = value("y", {1, 8, 8, 8}), z = value("z", {1, 8, 8, 8});
    const int small = value("small", {1, 4, 8, 8}), w = value("w", {1, 4, 8, 8});
    g.inputs = {x};
    node("Relu", {x}, skip);       // 0: the block's input
    node("Relu", {skip}, d);       // 1: the depthwise conv
    node("Relu", {d}, c);          // 2: the 1x1 conv, fused with the Add: writes y here
    node("Add", {c, skip}, y);     // 3
    node("Relu", {y}, z);          // 4
    node("Relu", {z}, small);      // 5 (stands for a conv to 4 channels)
    node("Relu", {small}, w);      // 6
    g.outputs = {w};
    graph::PlanHints hints;
    hints.bornAt.assign(g.values.size(), -1);
    hints.elided.assign(g.values.size(), false);
    hints.inPlaceOf.assign(g.values.size(), -1);
    hints.bornAt[static_cast<size_t>(y)] = 2;
    hints.elided[static_cast<size_t>(c)] = true;
    hints.inPlaceOf[static_cast<size_t>(y)] = skip;
    auto plan = graph::planMemory(g, 4, 64, graph::ConcatPlacement::Copy, hints);
    EXPECT_EQ(plan.aliasOf[static_cast<size_t>(y)], skip);
    EXPECT_EQ(plan.offsets[static_cast<size_t>(y)], plan.offsets[static_cast<size_t>(skip)]);
    // dw is live at step 2, when y (= skip's bytes) is written: they must not share.
    const int64_t b = 8 * 8 * 8 * 4, so = plan.offsets[static_cast<size_t>(skip)], dwo = plan.offsets[static_cast<size_t>(d)];
    EXPECT_TRUE(dwo + b <= so || so + b <= dwo);
    checkNoLiveOverlap(g, plan);
    // Refused: a graph input as the addend, and values of different sizes.
    hints.inPlaceOf[static_cast<size_t>(y)] = x;
    EXPECT_EQ(graph::planMemory(g, 4, 64, graph::ConcatPlacement::Copy, hints).aliasOf[static_cast<size_t>(y)], -1);
    hints.inPlaceOf[static_cast<size_t>(y)] = -1;
    hints.inPlaceOf[static_cast<size_t>(small)] = z;
    EXPECT_EQ(graph::planMemory(g, 4, 64, graph::ConcatPlacement::Copy, hints).aliasOf[static_cast<size_t>(small)], -1);
}

// Residual blocks in a row: each block's output takes over the last block's, which took over
// the one before it. The whole chain shares the first value's bytes (ResNet-50's layer1.1 had
// written its 3.2 MB output to fresh memory because its addend was itself taken over).
TEST(MemoryPlan, InPlaceChains) {
    graph::Graph g;
    auto value = [&](const std::string& name) { return addValue(g, name, {1, 8, 8, 8}); };
    auto node = [&](const std::string& op, std::vector<int> in, int out) { addNode(g, *graph::opKindFromName(op), std::move(in), out); };
    const int x = value("x"), skip = value("skip"), d1 = value("d1"), c1 = value("c1"), y1 = value("y1");
    const int d2 = value("d2"), c2 = value("c2"), y2 = value("y2"), d3 = value("d3"), c3 = value("c3"), y3 = value("y3"), out = value("out");
    g.inputs = {x};
    node("Relu", {x}, skip);     // 0
    node("Relu", {skip}, d1);    // 1
    node("Relu", {d1}, c1);      // 2: conv + Add, writes y1 over skip
    node("Add", {c1, skip}, y1); // 3
    node("Relu", {y1}, d2);      // 4
    node("Relu", {d2}, c2);      // 5: writes y2 over y1
    node("Add", {c2, y1}, y2);   // 6
    node("Relu", {y2}, d3);      // 7
    node("Relu", {d3}, c3);      // 8: writes y3 over y2
    node("Add", {c3, y2}, y3);   // 9
    node("Relu", {y3}, out);     // 10
    g.outputs = {out};
    graph::PlanHints hints;
    hints.bornAt.assign(g.values.size(), -1);
    hints.elided.assign(g.values.size(), false);
    hints.inPlaceOf.assign(g.values.size(), -1);
    const std::pair<int, int> blocks[] = {{y1, skip}, {y2, y1}, {y3, y2}};
    const int convs[] = {c1, c2, c3};
    for (size_t k = 0; k < 3; ++k) {
        hints.bornAt[static_cast<size_t>(blocks[k].first)] = 2 + 3 * static_cast<int>(k);
        hints.elided[static_cast<size_t>(convs[k])] = true;
        hints.inPlaceOf[static_cast<size_t>(blocks[k].first)] = blocks[k].second;
    }
    const auto plan = graph::planMemory(g, 4, 64, graph::ConcatPlacement::Copy, hints);
    for (int y : {y1, y2, y3}) {
        EXPECT_EQ(plan.aliasOf[static_cast<size_t>(y)], skip) << g.value(y).name;
        EXPECT_EQ(plan.offsets[static_cast<size_t>(y)], plan.offsets[static_cast<size_t>(skip)]) << g.value(y).name;
    }
    // Each block's inner value is live while the chain's bytes are written: never on them.
    const int64_t b = 8 * 8 * 8 * 4, so = plan.offsets[static_cast<size_t>(skip)];
    for (int d : {d1, d2, d3}) {
        const int64_t o = plan.offsets[static_cast<size_t>(d)];
        EXPECT_TRUE(o + b <= so || so + b <= o) << g.value(d).name;
    }
    checkNoLiveOverlap(g, plan);
}

}  // namespace
}  // namespace percept::testing
