// SPDX-License-Identifier: Apache-2.0
// A session's graph inputs as the kernels see them: the CPU backend reads an input from the
// caller's tensor itself where nothing writes over its bytes, so each run must read that
// run's tensor (another object, or the same one changed in place), in every node reading it;
// and an input that is also an output, or that a view shares, still comes back as given.
#include "op_test_util.h"

namespace percept::optest {
namespace {

class SessionInputTest : public ::testing::TestWithParam<OpParam> {};

// y = Relu(x) + x * x and z = Conv1x1(x, w): three nodes read x, one of them a kernel that
// streams it in vectors (the conv's GEMM).
struct ThreeReaders {
    static constexpr int64_t C = 3, M = 4, H = 9, W = 7;
    Tensor w = randomTensor({M, C, 1, 1}, 7101);

    graph::Graph graph() const {
        OpGraph g;
        const int x = g.input("x", {1, C, H, W});
        const int r = g.value("r"), sq = g.value("sq");
        g.node("Relu", {x}, {r});
        g.node("Mul", {x, x}, {sq});
        g.node("Add", {r, sq}, {g.output("y")});
        g.node("Conv", {x, g.constant("w", w)}, {g.output("z")});
        return std::move(g.g);
    }
    std::vector<Tensor> expected(const Tensor& x) const {
        Tensor y(x.shape), z({1, M, H, W});
        for (size_t i = 0; i < x.data.size(); ++i) y.data[i] = std::max(0.0f, x.data[i]) + x.data[i] * x.data[i];
        for (int64_t m = 0; m < M; ++m)
            for (int64_t p = 0; p < H * W; ++p) {
                double s = 0;
                for (int64_t c = 0; c < C; ++c) s += double(w.data[m * C + c]) * x.data[c * H * W + p];
                z.data[m * H * W + p] = static_cast<float>(s);
            }
        return {y, z};
    }
};

// allClose at 1e-5 of each output's largest value: within 1e-4 * (1 + |want|) of every element.
void expectOutputs(const std::vector<Tensor>& got, const std::vector<Tensor>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t k = 0; k < got.size(); ++k) EXPECT_TRUE(allClose(got[k], want[k], 1e-5)) << what << ", output " << k;
}

std::unique_ptr<Session> sessionFor(graph::Graph g, const OpParam& param) {
    SessionOptions opt;
    opt.backend = std::get<0>(param), opt.threads = std::get<1>(param), opt.tuning = Tuning::fromEnvironment();
    return Session::create(detail::modelFromGraph(std::move(g), "op-test"), opt);
}

TEST_P(SessionInputTest, EachRunReadsThatRunsTensor) {
    const ThreeReaders t;
    auto session = sessionFor(t.graph(), GetParam());
    Tensor a = randomTensor({1, t.C, t.H, t.W}, 7102, -2.0f, 2.0f);
    const Tensor b = randomTensor({1, t.C, t.H, t.W}, 7103, -2.0f, 2.0f);
    expectOutputs(session->run(std::vector<Tensor>{a}), t.expected(a), "first tensor");
    expectOutputs(session->run(std::vector<Tensor>{b}), t.expected(b), "a second tensor");
    const std::vector<Tensor> aAgain{a};
    expectOutputs(session->run(aAgain), t.expected(a), "the first again");
    for (float& v : a.data) v = -v * 0.5f;  // the same object, changed in place
    expectOutputs(session->run(std::vector<Tensor>{a}), t.expected(a), "the first, changed");
    EXPECT_EQ(session->run(std::vector<Tensor>{b})[1].data, session->run(std::vector<Tensor>{b})[1].data);
}

// The input is also a graph output (handed back as given) and is read through a view (a
// Flatten sharing its bytes): both keep their own copy of the input.
TEST_P(SessionInputTest, AnInputThatIsAlsoAnOutputOrAViewComesBackAsGiven) {
    OpGraph g;
    const int x = g.input("x", {2, 3, 4});
    g.g.outputs.push_back(x);
    const int flat = g.value("flat");
    setInt(g.node("Flatten", {x}, {flat}), "axis", 1);
    g.node("Relu", {flat}, {g.output("y")});
    const Tensor a = randomTensor({2, 3, 4}, 7104), b = randomTensor({2, 3, 4}, 7105);
    auto session = sessionFor(std::move(g.g), GetParam());
    for (const Tensor* in : {&a, &b}) {
        const std::vector<Tensor> out = session->run(std::vector<Tensor>{*in});
        ASSERT_EQ(out.size(), 2u);
        EXPECT_EQ(out[0].data, in->data);
        ASSERT_EQ(out[1].data.size(), in->data.size());
        for (size_t i = 0; i < in->data.size(); ++i) EXPECT_EQ(out[1].data[i], std::max(0.0f, in->data[i]));
    }
}

PERCEPT_OP_TEST_SUITE(SessionInputTest);

}  // namespace
}  // namespace percept::optest
