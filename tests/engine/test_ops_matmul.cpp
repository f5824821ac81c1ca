// SPDX-License-Identifier: Apache-2.0
// Gemm and MatMul against the naive references: every Gemm attribute form, C broadcasts,
// constant and computed B; MatMul's numpy batching and broadcasting, 1-D operands; the
// products of attention (both operands computed, per head), of a transformer's MLP (a
// constant B against a 3-D A: one product over all rows), batched constant B; the fused
// activation of any kind; and which CPU algorithm each takes (packed SIMD GEMM, GEMV,
// OpenBLAS at the generic level).
#include <gtest/gtest.h>

#include "cpu/isa.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

bool simdLevel() { return testIsa() != cpu::Isa::Generic; }

// The CPU algorithm's family ("packed-gemm/avx512" -> "packed-gemm").
std::string family(const Stats& s) {
    const std::string& a = s.layers.at(0).algo;
    return a.substr(0, a.find('/'));
}

// Pointwise functions beyond the in-register ones, set on the node as graph::fuseActivations
// sets them (the standalone ops' schemas belong to the pointwise family), checked in double.
struct WideAct {
    graph::FusedActivation act;
    double (*f)(double);
};
std::vector<WideAct> wideActivations() {
    std::vector<WideAct> out;
    auto add = [&](Activation k, double (*f)(double)) {
        graph::FusedActivation a;
        a.kind = k;
        out.push_back({a, f});
    };
    add(Activation::Gelu, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
    add(Activation::HardSwish, [](double v) { return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0); });
    add(Activation::Silu, [](double v) { return v / (1.0 + std::exp(-v)); });
    add(Activation::Tanh, [](double v) { return std::tanh(v); });
    add(Activation::Sigmoid, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
    return out;
}

// ---- Gemm --------------------------------------------------------------------------------

class GemmTest : public OpTest {};

TEST_P(GemmTest, Variants) {
    struct Case {
        std::string name;
        int64_t M, K, N;
        bool ta, tb;
        float alpha, beta;
        Shape c;            // empty vector + hasC=false: no C
        bool hasC;
        bool bConst = true;  // B as an initializer (weights) or as a second graph input
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {"classifier 1x1024 . 1000x1024^T + C[1000]", 1, 1024, 1000, false, true, 1.0f, 1.0f, {1000}, true},
        {"plain", 5, 7, 3, false, false, 1.0f, 1.0f, {}, false},
        {"transA", 5, 7, 3, true, false, 1.0f, 1.0f, {}, false},
        {"transA transB", 6, 4, 9, true, true, 1.0f, 1.0f, {6, 9}, true},
        {"alpha beta C[1,N]", 4, 13, 11, false, true, 0.5f, 2.0f, {1, 11}, true},
        {"C[M,1]", 4, 5, 6, false, false, 1.0f, -1.5f, {4, 1}, true},
        {"scalar C", 3, 5, 7, false, false, 2.0f, 0.25f, {}, true},
        {"beta 0 ignores C", 3, 5, 7, false, false, 1.0f, 0.0f, {3, 7}, true},
        {"B as input", 7, 9, 5, false, false, 1.0f, 1.0f, {5}, true, false},
        {"B as input, transposed", 7, 9, 5, true, true, 1.5f, 1.0f, {7, 5}, true, false},
        {"wide (splits N)", 8, 200, 300, false, true, 1.0f, 1.0f, {300}, true},
        {"tall (splits M)", 300, 64, 8, false, false, 1.0f, 1.0f, {8}, true},
        {"fused Relu", 2, 33, 47, false, true, 1.0f, 1.0f, {47}, true, true, Activation::Relu},
        {"fused Sigmoid", 2, 33, 47, false, false, 1.0f, 1.0f, {}, false, true, Activation::Sigmoid},
        // One row against B^T takes the SIMD dot kernel: K and N off the vector width and the
        // 4-row group, alpha/beta, C broadcast, B as an input, a fused activation.
        {"gemv odd 1x1283 . 1001x1283^T", 1, 1283, 1001, false, true, 0.5f, 2.0f, {1, 1001}, true, true, Activation::Relu},
        {"gemv tiny 1x3 . 5x3^T scalar C", 1, 3, 5, false, true, 1.0f, 1.0f, {}, true},
        {"gemv B as input", 1, 37, 6, false, true, 1.0f, 1.0f, {6}, true, false},
        {"gemv of a [K x N] constant", 1, 70, 33, false, false, 2.0f, 1.0f, {33}, true},
        // The packed GEMM with B packed ahead (alpha folded in): odd M (not whole 14/6-row
        // panels), N off the strip width, K over one KC block, K deep enough to bound the packed
        // rows (several row chunks), C broadcasts before the activation.
        {"packed odd 45x300 . 300x77", 45, 300, 77, false, false, 1.5f, 1.0f, {77}, true, true, Activation::Relu},
        {"packed transB 29x67 . 99x67^T C[M,1]", 29, 67, 99, false, true, 1.0f, 0.5f, {29, 1}, true, true, Activation::Sigmoid},
        {"packed deep K 60x3000 . 3000x70", 60, 3000, 70, false, true, 1.0f, 1.0f, {}, false},
        {"packed wide 8x64 . 64x700 Clip", 8, 64, 700, false, false, 1.0f, 1.0f, {700}, true, true, Activation::Clip},
    };
    uint32_t seed = 5000;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const Tensor a = randomTensor(c.ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, ++seed);
        const Tensor b = randomTensor(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, ++seed);
        const Tensor cc = randomTensor(c.c, ++seed);
        OpGraph g;
        std::vector<int> ins = {g.input("a", a.shape)};
        ins.push_back(c.bConst ? g.constant("b", b) : g.input("b", b.shape));
        if (c.hasC) ins.push_back(g.constant("c", cc));
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        graph::Node& n = g.node("Gemm", ins, {y});
        setInt(n, "transA", c.ta);
        setInt(n, "transB", c.tb);
        setFloat(n, "alpha", c.alpha);
        setFloat(n, "beta", c.beta);
        if (c.act != Activation::None) addActivation(g, c.act, y, 0.0f, 0.5f);
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        Stats stats;
        const Tensor got = run1(g, feeds, &stats);
        const Tensor want = ref::actAll(ref::gemm(a, b, c.hasC ? &cc : nullptr, c.ta, c.tb, c.alpha, c.beta), c.act, 0.0f, 0.5f);
        EXPECT_TRUE(allClose(got, want, tol()));
        ASSERT_EQ(stats.layers.size(), 1u);
        if (backend() == Backend::Cpu) {
            // One row against B^T or a constant: GEMV; a constant B (not transA): the packed GEMM.
            const std::string want = !simdLevel()                                         ? "gemm"
                                     : c.M == 1 && !c.ta && (c.tb || c.bConst)            ? "gemv"
                                     : c.bConst && !c.ta                                  ? "packed-gemm"
                                                                                          : "gemm";
            EXPECT_EQ(family(stats), want);
        }
    }
}

// Every path (packed with and without C, GEMV, OpenBLAS with a computed B) with activations
// that no SIMD epilogue computes in registers.
TEST_P(GemmTest, WideActivations) {
    struct Case {
        std::string name;
        int64_t M, K, N;
        bool tb, hasC, bConst;
    };
    const std::vector<Case> cases = {
        {"packed, C", 19, 40, 50, true, true, true},
        {"packed, no C", 19, 40, 50, false, false, true},
        {"gemv", 1, 64, 45, true, true, true},
        {"computed B", 7, 30, 20, false, true, false},
    };
    uint32_t seed = 5300;
    for (const auto& c : cases)
        for (const auto& wa : wideActivations()) {
            SCOPED_TRACE(c.name + " + " + graph::activationName(wa.act.kind));
            const Tensor a = randomTensor({c.M, c.K}, ++seed), b = randomTensor(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, ++seed);
            const Tensor cc = randomTensor({c.N}, ++seed);
            OpGraph g;
            std::vector<int> ins = {g.input("a", a.shape), c.bConst ? g.constant("b", b) : g.input("b", b.shape)};
            if (c.hasC) ins.push_back(g.constant("c", cc));
            graph::Node& n = g.node("Gemm", ins, {g.output("y")});
            setInt(n, "transB", c.tb);
            n.act = wa.act;
            std::vector<Tensor> feeds = {a};
            if (!c.bConst) feeds.push_back(b);
            Tensor want = ref::gemm(a, b, c.hasC ? &cc : nullptr, false, c.tb, 1.0f, 1.0f);
            for (float& v : want.data) v = static_cast<float>(wa.f(v));
            EXPECT_TRUE(allClose(run1(g, feeds), want, tol()));
        }
}

PERCEPT_OP_TEST_SUITE(GemmTest);

// ---- MatMul ------------------------------------------------------------------------------

class MatMulTest : public OpTest {};

TEST_P(MatMulTest, Shapes) {
    struct Case {
        Shape a, b;
        bool bConst;
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {{3, 4}, {4, 5}, true},
        {{3, 4}, {4, 5}, false},
        {{2, 3, 4}, {4, 5}, true},              // stacked A, shared B: one tall GEMM
        {{2, 3, 4}, {2, 4, 5}, false},          // batched
        {{2, 1, 3, 4}, {3, 4, 6}, false},       // batch broadcast both ways -> [2,3,3,6]
        {{1, 3, 4}, {5, 4, 2}, false},          // A broadcast over B's batch
        {{8, 5, 6}, {8, 6, 7}, false},          // batches >= threads
        {{4}, {4, 5}, true},                    // 1-D A -> [5]
        {{2, 3, 4}, {4}, true},                 // 1-D B -> [2,3]
        {{4}, {2, 4, 3}, false},                // 1-D A against a batch -> [2,3]
        {{1, 64}, {64, 130}, true, Activation::Relu},
        {{37, 50}, {50, 3}, true, Activation::Clip},
        {{2, 1, 5, 8}, {3, 8, 6}, true},        // constant batched B, A broadcast: each B packed once
        {{3, 20, 16}, {3, 16, 24}, true},       // constant batched B
        {{1, 45, 300}, {300, 77}, true},        // KC blocks, odd panels and strips
    };
    uint32_t seed = 6000;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.a) + " x " + shapeToString(c.b));
        const Tensor a = randomTensor(c.a, ++seed), b = randomTensor(c.b, ++seed);
        OpGraph g;
        const int in = g.input("a", c.a);
        const int bi = c.bConst ? g.constant("b", b) : g.input("b", c.b);
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        g.node("MatMul", {in, bi}, {y});
        if (c.act != Activation::None) addActivation(g, c.act, y, -0.5f, 0.5f);
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        EXPECT_TRUE(allClose(run1(g, feeds), ref::actAll(ref::matmul(a, b), c.act, -0.5f, 0.5f), tol()));
    }
}

// The products of a ViT block: attention's Q K^T and A V per head (both operands computed,
// [1, heads, tokens, d]), and the MLP's constant weights against [1, tokens, dim] (one product
// over all tokens, B packed at load), with fused activations of any kind; the CPU algorithm.
TEST_P(MatMulTest, TransformerProducts) {
    struct Case {
        std::string name;
        Shape a, b;
        bool bConst;
        std::string algo;  // at the SIMD levels
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {"Q K^T 4 heads", {1, 4, 37, 16}, {1, 4, 16, 37}, false, "packed-batched-gemm"},
        {"A V 4 heads", {1, 4, 37, 37}, {1, 4, 37, 16}, false, "packed-batched-gemm"},
        {"Q K^T 12 heads of 23 tokens (more tasks than threads)", {1, 12, 23, 8}, {1, 12, 8, 23}, false, "packed-batched-gemm"},
        {"one head, 130 tokens (rows split)", {1, 1, 130, 64}, {1, 1, 64, 130}, false, "packed-gemm"},
        {"batch 2 x 3 heads", {2, 3, 29, 8}, {2, 3, 8, 29}, false, "packed-batched-gemm"},
        {"MLP up [1,50,96] x [96,200]", {1, 50, 96}, {96, 200}, true, "packed-gemm"},
        {"MLP down [2,50,200] x [200,96] (stacked: one product)", {2, 50, 200}, {200, 96}, true, "packed-gemm"},
        {"MLP computed B", {1, 50, 96}, {96, 70}, false, "packed-gemm"},
    };
    const std::vector<WideAct> acts = wideActivations();
    uint32_t seed = 6500;
    for (const auto& c : cases)
        for (const WideAct* wa : std::vector<const WideAct*>{nullptr, &acts[0]}) {
            SCOPED_TRACE(c.name + (wa ? " + Gelu" : ""));
            const Tensor a = randomTensor(c.a, ++seed), b = randomTensor(c.b, ++seed);
            OpGraph g;
            graph::Node& n = g.node("MatMul", {g.input("a", c.a), c.bConst ? g.constant("b", b) : g.input("b", c.b)}, {g.output("y")});
            if (wa) n.act = wa->act;
            std::vector<Tensor> feeds = {a};
            if (!c.bConst) feeds.push_back(b);
            Stats stats;
            const Tensor got = run1(g, feeds, &stats);
            Tensor want = ref::matmul(a, b);
            if (wa)
                for (float& v : want.data) v = static_cast<float>(wa->f(v));
            EXPECT_TRUE(allClose(got, want, tol()));
            if (backend() == Backend::Cpu) {
                const bool batched = c.algo == "packed-batched-gemm";
                EXPECT_EQ(family(stats), simdLevel() ? c.algo : batched ? "batched-gemm" : "gemm");
            }
        }
}

TEST_P(MatMulTest, WideActivations) {
    uint32_t seed = 6700;
    for (const auto& wa : wideActivations())
        for (bool bConst : {true, false}) {
            SCOPED_TRACE(std::string(graph::activationName(wa.act.kind)) + (bConst ? " constant B" : " computed B"));
            const Tensor a = randomTensor({2, 9, 33}, ++seed), b = randomTensor({33, 41}, ++seed);
            OpGraph g;
            graph::Node& n = g.node("MatMul", {g.input("a", a.shape), bConst ? g.constant("b", b) : g.input("b", b.shape)}, {g.output("y")});
            n.act = wa.act;
            std::vector<Tensor> feeds = {a};
            if (!bConst) feeds.push_back(b);
            Tensor want = ref::matmul(a, b);
            for (float& v : want.data) v = static_cast<float>(wa.f(v));
            EXPECT_TRUE(allClose(run1(g, feeds), want, tol()));
        }
}

// A Linear layer exported as MatMul + Add(bias): on the CPU one product with the bias per
// column (and the Add's activation) in its epilogue, on every path (packed with constant or
// computed B, the GEMV of one row, OpenBLAS at the generic level); a bias that is not one per
// column, or not a constant, or a product read twice, stays a separate Add.
TEST_P(MatMulTest, LinearWithBias) {
    struct Case {
        std::string name;
        Shape a, b, bias;
        bool bConst, biasFirst, fused;
        Activation act = Activation::None;  // on the Add (as fuseActivations puts it)
        bool twoReaders = false, biasInput = false;
    };
    const std::vector<Case> cases = {
        {"MLP up [1,50,96] x [96,200] + b[200]", {1, 50, 96}, {96, 200}, {200}, true, false, true},
        {"b[1,1,200] + MLP up, Gelu", {1, 50, 96}, {96, 200}, {1, 1, 200}, true, true, true, Activation::Gelu},
        {"2-D [37,64] x [64,45] + b, Relu", {37, 64}, {64, 45}, {45}, true, false, true, Activation::Relu},
        {"computed B [1,50,96] x [96,70] + b", {1, 50, 96}, {96, 70}, {70}, false, false, true},
        {"one row [1,64] x [64,130] + b (gemv), Sigmoid", {1, 64}, {64, 130}, {130}, true, false, true, Activation::Sigmoid},
        {"stacked [2,3,20,16] x [16,33] + b", {2, 3, 20, 16}, {16, 33}, {1, 1, 1, 33}, true, true, true},
        {"bias per row [50,1]: separate", {50, 96}, {96, 40}, {50, 1}, true, false, false},
        {"bias computed: separate", {1, 20, 16}, {16, 24}, {24}, true, false, false, Activation::None, false, true},
        {"product read twice: separate", {1, 20, 16}, {16, 24}, {24}, true, false, false, Activation::None, true},
    };
    const auto gelu = [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); };
    uint32_t seed = 6900;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const Tensor a = randomTensor(c.a, ++seed), b = randomTensor(c.b, ++seed), bias = randomTensor(c.bias, ++seed);
        OpGraph g;
        const int y = g.value("y");
        g.node("MatMul", {g.input("a", c.a), c.bConst ? g.constant("b", b) : g.input("b", c.b)}, {y});
        const int bv = c.biasInput ? g.input("bias", c.bias) : g.constant("bias", bias);
        graph::Node& add = g.node("Add", c.biasFirst ? std::vector<int>{bv, y} : std::vector<int>{y, bv}, {g.output("z")});
        add.act.kind = c.act;
        if (c.twoReaders) g.node("Relu", {y}, {g.output("r")});
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        if (c.biasInput) feeds.push_back(bias);
        Stats stats;
        std::vector<Tensor> got = run(g, feeds, &stats);
        Tensor want = ref::matmul(a, b);
        const size_t n = static_cast<size_t>(want.shape.back());
        const bool perRow = c.bias.back() == 1;  // [50, 1]
        for (size_t i = 0; i < want.data.size(); ++i) {
            const double bb = perRow ? bias.data[i / n] : bias.data[i % n];
            const double v = want.data[i] + bb;
            want.data[i] = static_cast<float>(c.act == Activation::Gelu ? gelu(v) : c.act == Activation::None ? v : ref::act(c.act, static_cast<float>(v)));
        }
        EXPECT_TRUE(allClose(got.at(0), want, tol()));
        if (backend() == Backend::Cpu) {
            EXPECT_EQ(stats.layers.at(0).op, c.fused ? "MatMul+Add" : "MatMul");
        }
    }
}

// Attention's operands cut out of one QKV product by index mappings (graph::matMulOperandViews):
// torch's nn.MultiheadAttention export -- Reshape to [T, 3, H, d], Transpose to [3, H, T, d],
// Gathers of q, k, v (k transposed once more) -- and the older form -- a Slice of columns, a
// Reshape, a Transpose per operand. Vulkan reads the products' operands through strides where
// the chains start and records nothing for the chains' nodes; the CPU copies. Against loops
// over the QKV rows written from the ops' definitions. A Gather whose indices are not affine
// (heads in another order) stays a copy and still computes right.
TEST_P(MatMulTest, AttentionOperandsThroughViews) {
    constexpr int64_t T = 13, H = 4, d = 8, D = H * d;
    auto scalarIndex = [](OpGraph& g, const std::string& name, int64_t i) {
        auto t = std::make_shared<graph::TensorData>();
        t->dtype = graph::DType::Int64;
        t->i = {i};
        return g.g.addConstant(name, t);
    };
    // qkv[t][part * D + h * d + e]: part 0 q, 1 k, 2 v.
    const Tensor qkv = randomTensor({T, 3 * D}, 7300), p = randomTensor({H, T, T}, 7301);
    auto at = [&](int64_t part, int64_t h, int64_t t, int64_t e) { return double(qkv.data[static_cast<size_t>(t * 3 * D + part * D + h * d + e)]); };
    // The products from the definitions, q's and v's head h taken from head qvHead(h).
    auto reference = [&](auto qvHead, Tensor& scores, Tensor& context) {
        scores = Tensor({H, T, T});
        context = Tensor({H, T, d});
        for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < T; ++i) {
                for (int64_t j = 0; j < T; ++j) {
                    double acc = 0.0;
                    for (int64_t e = 0; e < d; ++e) acc += at(0, qvHead(h), i, e) * at(1, h, j, e);
                    scores.data[static_cast<size_t>((h * T + i) * T + j)] = static_cast<float>(acc);
                }
                for (int64_t e = 0; e < d; ++e) {
                    double acc = 0.0;
                    for (int64_t j = 0; j < T; ++j) acc += double(p.data[static_cast<size_t>((h * T + i) * T + j)]) * at(2, qvHead(h), j, e);
                    context.data[static_cast<size_t>((h * T + i) * d + e)] = static_cast<float>(acc);
                }
            }
    };
    for (int form = 0; form < 3; ++form) {
        SCOPED_TRACE(form == 0 ? "Reshape, Transpose, Gather" : form == 1 ? "Slice, Reshape, Transpose" : "heads gathered out of order: copies");
        OpGraph g;
        const int x = g.input("qkv", {T, 3 * D}), pin = g.input("p", {H, T, T});
        int q = -1, k = -1, v = -1;
        if (form == 0) {
            const int r = g.value("r"), tr = g.value("tr");
            g.node("Reshape", {x, g.constantInts("shape", {T, 3, H, d})}, {r});
            setInts(g.node("Transpose", {r}, {tr}), "perm", {1, 2, 0, 3});  // [3, H, T, d]
            int parts[3];
            for (int64_t part = 0; part < 3; ++part) {
                parts[part] = g.value("part" + std::to_string(part));
                setInt(g.node("Gather", {tr, scalarIndex(g, "i" + std::to_string(part), part)}, {parts[part]}), "axis", 0);
            }
            q = parts[0], v = parts[2];
            k = g.value("kT");
            setInts(g.node("Transpose", {parts[1]}, {k}), "perm", {0, 2, 1});
        } else {
            int parts[3];
            for (int64_t part = 0; part < 3; ++part) {
                const std::string n = std::to_string(part);
                const int sl = g.value("slice" + n), rs = g.value("heads" + n);
                parts[part] = g.value("part" + n);
                g.node("Slice", {x, g.constantInts("s" + n, {part * D}), g.constantInts("e" + n, {(part + 1) * D}), g.constantInts("a" + n, {1})}, {sl});
                g.node("Reshape", {sl, g.constantInts("hs" + n, {T, H, d})}, {rs});
                setInts(g.node("Transpose", {rs}, {parts[part]}), "perm", {1, 0, 2});  // [H, T, d]
            }
            q = parts[0], v = parts[2];
            k = g.value("kT");
            setInts(g.node("Transpose", {parts[1]}, {k}), "perm", {0, 2, 1});
            if (form == 2) {  // q's heads in another order: not affine
                const int qq = g.value("qq"), vv = g.value("vv");
                setInt(g.node("Gather", {q, g.constantInts("order", {1, 0, 2, 3})}, {qq}), "axis", 0);
                setInt(g.node("Gather", {v, g.constantInts("order2", {1, 0, 2, 3})}, {vv}), "axis", 0);
                q = qq, v = vv;
            }
        }
        g.node("MatMul", {q, k}, {g.output("scores")});
        g.node("MatMul", {pin, v}, {g.output("context")});
        Stats stats;
        const std::vector<Tensor> got = run(g, {qkv, p}, &stats);
        // Form 2 gathers heads 0 and 1 of q and v swapped.
        Tensor wantScores, wantContext;
        reference([&](int64_t h) { return form == 2 && h < 2 ? 1 - h : h; }, wantScores, wantContext);
        EXPECT_TRUE(allClose(got.at(0), wantScores, tol()));
        EXPECT_TRUE(allClose(got.at(1), wantContext, tol()));
        // On Vulkan the chains' nodes run inside the products; the out-of-order Gathers still copy.
        if (backend() == Backend::Vulkan) {
            int inside = 0, recorded = 0;  // chain nodes run inside a product / recording commands
            for (const auto& l : stats.layers) {
                if (l.op == "MatMul") continue;
                inside += l.algo.rfind("in ", 0) == 0;
                recorded += l.commands > 0;
            }
            if (form == 0) EXPECT_EQ(recorded, 1) << "the [3, H, T, d] Transpose, read by three chains";
            if (form == 1) EXPECT_EQ(recorded, 0);
            if (form == 2) EXPECT_GE(recorded, 2);
            EXPECT_GT(inside, 0);
        }
    }
}

// Attention's score scaling (graph::foldScalarsIntoMatMul): Q (and K) multiplied or divided by
// a constant scalar before Q K^T become the product's alpha, the Mul / Div gone from the
// layers; with a fused activation and a bias Add after it. Left as they are: a scale that is
// not one value, a scaled operand read twice, constant weights, a Mul that widens its operand.
// Against the unfolded ops computed in double.
TEST_P(MatMulTest, ScalarScalesFolded) {
    // Mul3: a Mul by a one-value constant of shape [1,1,1], which widens a 2-D operand to 3-D.
    enum class Scale { None, Mul, MulFirst, Div, PerColumn, Mul3 };
    struct Case {
        std::string name;
        Shape a, b;
        Scale sa, sb;
        bool folds;
        bool bConst = false, aReadTwice = false, bias = false;
        Activation act = Activation::None;
    };
    const std::vector<Case> cases = {
        {"Q/sqrt(d) K^T (torch's older export: Div)", {1, 4, 37, 16}, {1, 4, 16, 37}, Scale::Div, Scale::None, true},
        {"(Q s)(K^T s) (torch 2: both scaled)", {1, 12, 23, 8}, {1, 12, 8, 23}, Scale::Mul, Scale::MulFirst, true},
        {"one head, 130 tokens, Relu", {1, 1, 130, 64}, {1, 1, 64, 130}, Scale::Mul, Scale::None, true, false, false, false, Activation::Relu},
        {"scaled B only, + bias row", {2, 29, 8}, {2, 8, 29}, Scale::None, Scale::Div, true, false, false, true},
        {"per-column scale: a Mul", {1, 2, 9, 16}, {1, 2, 16, 9}, Scale::PerColumn, Scale::None, false},
        {"scaled Q read twice: a Mul", {1, 2, 9, 16}, {1, 2, 16, 9}, Scale::Mul, Scale::None, false, false, true},
        {"constant B (a Linear layer): a Mul", {1, 20, 16}, {16, 24}, Scale::Mul, Scale::None, false, true},
        {"a one-value [1,1,1] that widens [9,16]: a Mul", {9, 16}, {1, 16, 9}, Scale::Mul3, Scale::None, false},
    };
    uint32_t seed = 7100;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const Tensor a = randomTensor(c.a, ++seed), b = randomTensor(c.b, ++seed);
        const Tensor s = randomTensor({1}, ++seed, 0.2f, 0.6f), cols = randomTensor({c.a.back()}, ++seed, 0.5f, 1.5f);
        const Tensor bias = randomTensor({c.b.back()}, ++seed);
        OpGraph g;
        // Operand x scaled as the case says; `want` is xt scaled alike, in double.
        auto scaled = [&](int x, const Tensor& xt, Scale k, const std::string& name, Tensor& want) {
            want = xt;
            if (k == Scale::None) return x;
            const int y = g.value(name);
            if (k == Scale::PerColumn) {
                g.node("Mul", {x, g.constant(name + "_s", cols)}, {y});
                for (size_t i = 0; i < want.data.size(); ++i) want.data[i] = static_cast<float>(double(xt.data[i]) * cols.data[i % cols.data.size()]);
                return y;
            }
            const int sc = g.constant(name + "_s", Tensor(k == Scale::Mul3 ? Shape{1, 1, 1} : Shape{}, {s.data[0]}));
            if (k == Scale::Div) g.node("Div", {x, sc}, {y});
            else g.node("Mul", k == Scale::MulFirst ? std::vector<int>{sc, x} : std::vector<int>{x, sc}, {y});
            for (float& v : want.data) v = static_cast<float>(k == Scale::Div ? double(v) / s.data[0] : double(v) * s.data[0]);
            return y;
        };
        Tensor aw, bw;
        const int av = scaled(g.input("a", c.a), a, c.sa, "qa", aw);
        const int bv = scaled(c.bConst ? g.constant("b", b) : g.input("b", c.b), b, c.sb, "kb", bw);
        const int y = c.bias || c.act != Activation::None ? g.value("y") : g.output("y");
        g.node("MatMul", {av, bv}, {y});
        if (c.bias) g.node("Add", {y, g.constant("bias", bias)}, {g.output("z")});
        if (c.act != Activation::None) addActivation(g, c.act, y, -0.5f, 0.5f);
        if (c.aReadTwice) g.node("Relu", {av}, {g.output("r")});
        std::vector<Tensor> feeds = {a};
        if (!c.bConst) feeds.push_back(b);
        Stats stats;
        const std::vector<Tensor> got = run(g, feeds, &stats);
        Tensor want = ref::matmul(aw, bw);
        if (c.bias) want = ref::binary(want, bias, [](float x, float v) { return x + v; });
        want = ref::actAll(want, c.act, -0.5f, 0.5f);
        EXPECT_TRUE(allClose(got.at(0), want, tol()));
        int scales = 0;
        for (const auto& l : stats.layers) scales += l.op.rfind("Mul", 0) == 0 || l.op.rfind("Div", 0) == 0;
        const int written = (c.sa != Scale::None) + (c.sb != Scale::None);
        EXPECT_EQ(scales, c.folds ? 0 : written) << "Mul/Div layers left";
    }
}

PERCEPT_OP_TEST_SUITE(MatMulTest);

}  // namespace
}  // namespace percept::optest
