// The liveness-based planner: no two simultaneously live tensors share bytes, and on real
// models the arena is far below the naive sum of all tensors.
#include <gtest/gtest.h>

#include "common/test_data.h"
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
            const int64_t sb = elementCount(g.values[b].shape) * 4;
            const bool overlap = plan.offsets[a] < plan.offsets[b] + sb && plan.offsets[b] < plan.offsets[a] + sa;
            EXPECT_FALSE(overlap) << g.values[a].name << " and " << g.values[b].name << " are live together but share bytes";
        }
    }
}

TEST(MemoryPlan, RealModelsReuseMemory) {
    for (const auto& m : models::builtinManifests()) {
        SCOPED_TRACE(m.name);
        const std::string path = modelsDir() + "/" + m.file;
        PERCEPT_REQUIRE_DATA(path);
        Model model = Model::load(path);
        const auto plan = graph::planMemory(model.graph());
        checkNoLiveOverlap(model.graph(), plan);
        EXPECT_LT(plan.arenaBytes * 2, plan.naiveBytes) << "arena " << plan.arenaBytes << " naive " << plan.naiveBytes;
        auto session = Session::create(model);
        EXPECT_EQ(session->stats().peakArenaBytes, plan.arenaBytes);
        EXPECT_EQ(session->stats().naiveActivationBytes, plan.naiveBytes);
    }
}

}  // namespace
}  // namespace percept::testing
