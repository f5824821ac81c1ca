// SPDX-License-Identifier: Apache-2.0
// The indexed copies against naive references written from ONNX's definitions: Gather (every
// axis, multi-axis and negative indices, indices constant or computed at run time),
// GatherElements, GatherND (batch_dims), ScatterElements and ScatterND (every reduction,
// duplicate indices applied in order).
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace percept::optest {
namespace {

class GatherTest : public OpTest {};

int64_t norm(int64_t v, int64_t dim) { return v < 0 ? v + dim : v; }

// Random integer indices in [-dim, dim) (negative ones count from the end).
std::vector<int64_t> randomIndices(size_t n, int64_t dim, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int64_t> d(-dim, dim - 1);
    std::vector<int64_t> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

graph::ConstPtr intTensor(const Shape& s, const std::vector<int64_t>& v) {
    auto d = std::make_shared<graph::TensorData>();
    d->dtype = graph::DType::Int64;
    d->shape = s;
    d->i = v;
    return d;
}

// Indices given to the graph either as a constant or as a float input cast to int64 at run
// time (a computed index tensor, held as exact fp32 integers).
int indexInput(OpGraph& g, const Shape& s, const std::vector<int64_t>& v, bool computed, std::vector<Tensor>& inputs) {
    if (!computed) return g.g.addConstant("idx", intTensor(s, v));
    Tensor t(s);
    for (size_t k = 0; k < v.size(); ++k) t.data[k] = static_cast<float>(v[k]);
    inputs.push_back(t);
    const int asInt = g.value("idx_int");
    setInt(g.node("Cast", {g.input("idx_f", s)}, {asInt}), "to", 7);
    return asInt;
}

TEST_P(GatherTest, Gather) {
    struct Case {
        Shape data, idx;
        int64_t axis;
    };
    const std::vector<Case> cases = {
        {{5, 4}, {3}, 0}, {{5, 4}, {2, 3}, 1}, {{2, 6, 3}, {4}, -2}, {{10}, {}, 0}, {{3, 4, 5}, {2, 2}, 2}, {{1000, 64}, {7}, 0},  // an embedding table
    };
    uint32_t seed = 30000;
    for (bool computed : {false, true})
        for (const auto& c : cases) {
            if (computed && c.idx.empty()) continue;  // graph inputs cannot be scalars
            SCOPED_TRACE(shapeToString(c.data) + " indices " + shapeToString(c.idx) + " axis " + std::to_string(c.axis) + (computed ? " computed" : ""));
            const Tensor x = randomTensor(c.data, ++seed);
            const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(c.data.size()) : c.axis;
            const auto idx = randomIndices(static_cast<size_t>(elementCount(c.idx)), c.data[axis], ++seed);
            OpGraph g;
            std::vector<Tensor> inputs = {x};
            const int xi = g.input("x", c.data);
            const int ii = indexInput(g, c.idx, idx, computed, inputs);
            setInt(g.node("Gather", {xi, ii}, {g.output("y")}), "axis", c.axis);
            Shape os(c.data.begin(), c.data.begin() + axis);
            os.insert(os.end(), c.idx.begin(), c.idx.end());
            os.insert(os.end(), c.data.begin() + axis + 1, c.data.end());
            Tensor want(os);
            for (int64_t i = 0; i < elementCount(os); ++i) {
                const auto o = unravel(i, os);
                std::vector<int64_t> src(o.begin(), o.begin() + axis);
                const std::vector<int64_t> ii_(o.begin() + axis, o.begin() + axis + static_cast<int64_t>(c.idx.size()));
                src.push_back(norm(idx[static_cast<size_t>(ravel(ii_, c.idx))], c.data[axis]));
                src.insert(src.end(), o.begin() + axis + static_cast<int64_t>(c.idx.size()), o.end());
                want.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel(src, c.data))];
            }
            EXPECT_TRUE(allClose(run1(g, inputs), want, 0.0));
        }
}

// A computed index out of range reads 0 (the backends cannot raise an error mid-frame).
TEST_P(GatherTest, ComputedIndexOutOfRangeReadsZero) {
    const Tensor x = randomTensor({4, 3}, 30100);
    OpGraph g;
    std::vector<Tensor> inputs = {x};
    const int xi = g.input("x", x.shape);
    const int ii = indexInput(g, {3}, {1, 7, -9}, true, inputs);
    g.node("Gather", {xi, ii}, {g.output("y")});
    const Tensor y = run1(g, inputs);
    const std::vector<float> want = {x.data[3], x.data[4], x.data[5], 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(y.data, want);
}

TEST_P(GatherTest, GatherElements) {
    struct Case {
        Shape data, idx;
        int64_t axis;
    };
    const std::vector<Case> cases = {{{3, 4}, {3, 4}, 0}, {{3, 4}, {2, 6}, 1}, {{2, 5, 3}, {2, 2, 3}, -2}, {{6}, {9}, 0}};
    uint32_t seed = 30200;
    for (bool computed : {false, true})
        for (const auto& c : cases) {
            SCOPED_TRACE(shapeToString(c.data) + " indices " + shapeToString(c.idx) + " axis " + std::to_string(c.axis));
            const Tensor x = randomTensor(c.data, ++seed);
            const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(c.data.size()) : c.axis;
            const auto idx = randomIndices(static_cast<size_t>(elementCount(c.idx)), c.data[axis], ++seed);
            OpGraph g;
            std::vector<Tensor> inputs = {x};
            const int xi = g.input("x", c.data);
            setInt(g.node("GatherElements", {xi, indexInput(g, c.idx, idx, computed, inputs)}, {g.output("y")}), "axis", c.axis);
            Tensor want(c.idx);
            for (int64_t i = 0; i < elementCount(c.idx); ++i) {
                auto o = unravel(i, c.idx);
                o[axis] = norm(idx[static_cast<size_t>(i)], c.data[axis]);
                want.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel(o, c.data))];
            }
            EXPECT_TRUE(allClose(run1(g, inputs), want, 0.0));
        }
}

TEST_P(GatherTest, GatherND) {
    struct Case {
        Shape data, idx;
        int64_t batch;
    };
    const std::vector<Case> cases = {
        {{4, 5}, {3, 2}, 0}, {{4, 5}, {3, 1}, 0}, {{2, 3, 4}, {2, 2, 2}, 0}, {{2, 3, 4}, {2, 5, 1}, 1}, {{2, 3, 4, 5}, {2, 3, 2}, 1}, {{3, 4}, {2}, 0},
    };
    uint32_t seed = 30300;
    for (bool computed : {false, true})
        for (const auto& c : cases) {
            SCOPED_TRACE(shapeToString(c.data) + " indices " + shapeToString(c.idx) + " batch_dims " + std::to_string(c.batch));
            const Tensor x = randomTensor(c.data, ++seed);
            const int64_t k = c.idx.back(), b = c.batch;
            std::vector<int64_t> idx(static_cast<size_t>(elementCount(c.idx)));
            std::mt19937 rng(++seed);
            for (size_t e = 0; e < idx.size(); ++e) {
                const int64_t dim = c.data[static_cast<size_t>(b) + e % static_cast<size_t>(k)];
                idx[e] = std::uniform_int_distribution<int64_t>(-dim, dim - 1)(rng);
            }
            OpGraph g;
            std::vector<Tensor> inputs = {x};
            const int xi = g.input("x", c.data);
            setInt(g.node("GatherND", {xi, indexInput(g, c.idx, idx, computed, inputs)}, {g.output("y")}), "batch_dims", b);
            Shape os(c.idx.begin(), c.idx.end() - 1);
            os.insert(os.end(), c.data.begin() + b + k, c.data.end());
            Tensor want(os);
            const Shape tuples(c.idx.begin(), c.idx.end() - 1);
            for (int64_t i = 0; i < elementCount(os); ++i) {
                const auto o = unravel(i, os);
                const std::vector<int64_t> t(o.begin(), o.begin() + static_cast<int64_t>(tuples.size()));
                const int64_t at = ravel(t, tuples) * k;
                std::vector<int64_t> src(o.begin(), o.begin() + b);  // batch axes
                for (int64_t j = 0; j < k; ++j) src.push_back(norm(idx[static_cast<size_t>(at + j)], c.data[static_cast<size_t>(b + j)]));
                src.insert(src.end(), o.begin() + static_cast<int64_t>(tuples.size()), o.end());
                want.data[static_cast<size_t>(i)] = x.data[static_cast<size_t>(ravel(src, c.data))];
            }
            EXPECT_TRUE(allClose(run1(g, inputs), want, 0.0));
        }
}

// Compress with a constant condition runs as a gather of the kept positions.
TEST_P(GatherTest, Compress) {
    const Tensor x = randomTensor({3, 4, 2}, 30350);
    struct Case {
        bool hasAxis;
        int64_t axis;
        std::vector<int64_t> cond;
    };
    for (const auto& c : std::vector<Case>{{true, 1, {0, 1, 1}}, {true, -1, {1}}, {true, 0, {1, 0, 1}}, {false, 0, {0, 1, 0, 0, 1, 1, 0, 1}}, {true, 1, {0, 0}}}) {
        SCOPED_TRACE((c.hasAxis ? "axis " + std::to_string(c.axis) : std::string("no axis")) + " condition " + shapeToString(c.cond));
        OpGraph g(11);
        auto cond = std::make_shared<graph::TensorData>();
        cond->dtype = graph::DType::Bool;
        cond->shape = {static_cast<int64_t>(c.cond.size())};
        cond->i = c.cond;
        graph::Node& n = g.node("Compress", {g.input("x", x.shape), g.g.addConstant("cond", cond)}, {g.output("y")});
        if (c.hasAxis) setInt(n, "axis", c.axis);
        // numpy.compress: the positions whose condition is true, along the axis (of the flattened input without one).
        const Shape s = c.hasAxis ? x.shape : Shape{24};
        const int64_t a = c.axis < 0 ? c.axis + static_cast<int64_t>(s.size()) : c.axis;
        std::vector<std::vector<int64_t>> picks;
        for (int64_t d : s) {
            std::vector<int64_t> all;
            for (int64_t i = 0; i < d; ++i) all.push_back(i);
            picks.push_back(all);
        }
        picks[a].clear();
        for (size_t k = 0; k < c.cond.size(); ++k)
            if (c.cond[k]) picks[a].push_back(static_cast<int64_t>(k));
        Shape os;
        for (const auto& p : picks) os.push_back(static_cast<int64_t>(p.size()));
        Tensor want(os);
        const Tensor flat(s, x.data);
        for (int64_t i = 0; i < elementCount(os); ++i) {
            auto o = unravel(i, os);
            for (size_t d = 0; d < o.size(); ++d) o[d] = picks[d][static_cast<size_t>(o[d])];
            want.data[static_cast<size_t>(i)] = flat.data[static_cast<size_t>(ravel(o, s))];
        }
        EXPECT_TRUE(allClose(run1(g, {x}), want, 0.0));
    }
}

float reduce(const std::string& r, float acc, float v) {
    if (r == "add") return acc + v;
    if (r == "mul") return acc * v;
    if (r == "max") return std::max(acc, v);
    if (r == "min") return std::min(acc, v);
    return v;
}

TEST_P(GatherTest, ScatterElements) {
    const Tensor data = randomTensor({4, 5}, 30400);
    uint32_t seed = 30401;
    for (const std::string r : {"none", "add", "mul", "max", "min"})
        for (int64_t axis : {int64_t{0}, int64_t{1}, int64_t{-1}}) {
            SCOPED_TRACE("reduction " + r + " axis " + std::to_string(axis));
            const Shape is = {3, 4};
            const int64_t a = axis < 0 ? axis + 2 : axis;
            auto idx = randomIndices(12, data.shape[a], ++seed);
            idx[1] = idx[0] = -1;  // duplicates on purpose (the same target only when the other coordinate is)
            const Tensor upd = randomTensor(is, ++seed);
            for (bool updatesComputed : {false, true}) {
                OpGraph g(18);
                std::vector<Tensor> inputs = {data};
                const int d = g.input("data", data.shape);
                int u;
                if (updatesComputed) {
                    u = g.input("upd", is);
                    inputs.push_back(upd);
                } else {
                    u = g.constant("upd", upd);
                }
                graph::Node& n = g.node("ScatterElements", {d, g.g.addConstant("idx", intTensor(is, idx)), u}, {g.output("y")});
                setInt(n, "axis", axis);
                if (r != "none") setString(n, "reduction", r);
                Tensor want = data;
                for (int64_t e = 0; e < 12; ++e) {
                    auto c = unravel(e, is);
                    c[a] = norm(idx[static_cast<size_t>(e)], data.shape[a]);
                    float& t = want.data[static_cast<size_t>(ravel(c, data.shape))];
                    t = reduce(r, t, upd.data[static_cast<size_t>(e)]);
                }
                EXPECT_TRUE(allClose(run1(g, inputs), want, 1e-5));
            }
        }
}

TEST_P(GatherTest, ScatterND) {
    const Tensor data = randomTensor({4, 3, 5}, 30500);
    uint32_t seed = 30501;
    struct Case {
        Shape idx;  // [..., k]
        std::vector<int64_t> v;
    };
    const std::vector<Case> cases = {
        {{2, 1}, {1, -1}},                           // whole [3, 5] slices
        {{3, 2}, {0, 1, 3, -3, 0, 1}},               // [5] rows, one target twice
        {{2, 2, 3}, {0, 0, 0, 1, 2, 4, 3, 1, -1, 0, 0, 0}},  // single elements, a duplicate
    };
    for (const std::string r : {"none", "add", "mul", "max", "min"})
        for (const auto& c : cases) {
            SCOPED_TRACE("reduction " + r + " indices " + shapeToString(c.idx));
            const int64_t k = c.idx.back();
            Shape us(c.idx.begin(), c.idx.end() - 1);
            us.insert(us.end(), data.shape.begin() + k, data.shape.end());
            const Tensor upd = randomTensor(us, ++seed);
            OpGraph g(18);
            graph::Node& n = g.node("ScatterND", {g.input("data", data.shape), g.g.addConstant("idx", intTensor(c.idx, c.v)), g.input("upd", us)},
                                    {g.output("y")});
            if (r != "none") setString(n, "reduction", r);
            Tensor want = data;
            int64_t slice = 1;
            for (size_t d = static_cast<size_t>(k); d < data.shape.size(); ++d) slice *= data.shape[d];
            const int64_t tuples = elementCount(c.idx) / k;
            for (int64_t m = 0; m < tuples; ++m) {
                std::vector<int64_t> at;
                for (int64_t j = 0; j < k; ++j) at.push_back(norm(c.v[static_cast<size_t>(m * k + j)], data.shape[static_cast<size_t>(j)]));
                while (at.size() < data.shape.size()) at.push_back(0);
                const int64_t base = ravel(at, data.shape);
                for (int64_t e = 0; e < slice; ++e)
                    want.data[static_cast<size_t>(base + e)] = reduce(r, want.data[static_cast<size_t>(base + e)], upd.data[static_cast<size_t>(m * slice + e)]);
            }
            EXPECT_TRUE(allClose(run1(g, {data, upd}), want, 1e-5));
        }
}

PERCEPT_OP_TEST_SUITE(GatherTest);

}  // namespace
}  // namespace percept::optest
