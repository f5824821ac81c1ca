// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the quantised nodes that are not products (Add, Concat, MaxPool,
// AveragePool, GlobalAveragePool, the views, unary functions as tables), QLinearConv and
// QLinearMatMul as ONNX writes them, a QDQ op with no int8 kernel running standalone, and what
// is refused -- against the QDQ reference at every ISA level.
#include "int8_test_util.h"

namespace percept::optest::int8 {
namespace {

using graph::Activation;

class Int8OpsTest : public Int8Test {};

TEST_P(Int8OpsTest, Add) {
    for (DType t : {DType::UInt8, DType::Int8}) {
        for (bool relu : {false, true}) {
            for (bool floatOut : {false, true}) {
                SCOPED_TRACE(std::string(graph::dtypeName(t)) + (relu ? " relu" : "") + (floatOut ? " float out" : ""));
                const Shape s = {1, 5, 17, 19};
                const Tensor a = randomTensor(s, 1, -1.0f, 2.0f), c = randomTensor(s, 2, -3.0f, 0.5f);
                const Q qa = covering(-1.0f, 2.0f, t), qc = covering(-3.0f, 0.5f, t);
                OpGraph b;
                const int ia = b.input("a", s), ic = b.input("c", s);
                const int y = b.value("sum");
                b.node("Add", {quantDequant(b, ia, qa, "a"), quantDequant(b, ic, qc, "c")}, {y});
                int last = y;
                if (relu) {
                    last = b.value("relu");
                    b.node("Relu", {y}, {last});
                }
                Tensor real = ref::binary(qdqAll(a, qa), qdqAll(c, qc), [](float u, float v) { return u + v; });
                if (relu) real = ref::actAll(real, Activation::Relu);
                const Q yq = covering(-4.0f, 2.5f, t);
                if (floatOut) b.g.outputs.push_back(last);
                else quantizeOutput(b, last, yq, "y");
                PERCEPT_INT8_SKIP_IF_REFUSED(b);
                Stats stats;
                const Tensor got = run(b, {a, c}, &stats)[0];
                if (floatOut) {
                    EXPECT_TRUE(allClose(got, real, 1e-5));
                } else {
                    EXPECT_TRUE(checkSteps(got, qdqAll(real, yq), yq.scale));
                }
                expectInt8Layer(stats, "Add");
            }
        }
    }
}

TEST_P(Int8OpsTest, Concat) {
    // Parts with the output's parameters are copied (or written in place); others rescaled.
    const Shape s1 = {1, 3, 6, 7}, s2 = {1, 5, 6, 7};
    const Tensor a = randomTensor(s1, 3, -1.0f, 1.0f), c = randomTensor(s2, 4, -0.5f, 3.0f);
    for (bool same : {true, false}) {
        SCOPED_TRACE(same ? "same parameters" : "different parameters");
        const Q qy = covering(-1.0f, 3.0f, DType::UInt8);
        const Q qa = same ? qy : covering(-1.0f, 1.0f, DType::UInt8), qc = same ? qy : covering(-0.5f, 3.0f, DType::UInt8);
        OpGraph b;
        const int ia = b.input("a", s1), ic = b.input("c", s2);
        // Each part made by an op (a Relu table), as in a network, so the plan may place it in the output.
        const int ra = b.value("ra"), rc = b.value("rc");
        b.node("Relu", {quantDequant(b, ia, qa, "a")}, {ra});
        b.node("Relu", {quantDequant(b, ic, qc, "c")}, {rc});
        const int y = b.value("cat");
        setInt(b.node("Concat", {quantDequant(b, ra, qa, "ra"), quantDequant(b, rc, qc, "rc")}, {y}), "axis", 1);
        quantizeOutput(b, y, qy, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        Stats stats;
        const Tensor got = run(b, {a, c}, &stats)[0];
        const Tensor want = qdqAll(ref::concat({ref::actAll(qdqAll(a, qa), Activation::Relu), ref::actAll(qdqAll(c, qc), Activation::Relu)}, 1), qy);
        EXPECT_TRUE(checkSteps(got, want, qy.scale));
        expectInt8Layer(stats, "Concat");
    }
}

TEST_P(Int8OpsTest, Pools) {
    const Shape s = {1, 4, 11, 77};  // wide enough for the SIMD rows of the 3-wide stride-2 max
    const Tensor x = randomTensor(s, 5, -2.0f, 2.0f);
    struct Case {
        const char* op;
        ref::PoolParams p;
        bool sameParams;
    };
    ref::PoolParams max3;
    max3.kernel = {3, 3};
    max3.strides = {2, 2};
    max3.ceilMode = true;
    ref::PoolParams maxPad = max3;  // ResNet's: the first and last windows cut by the pads (2 tall)
    maxPad.pads = {1, 1, 1, 1};
    maxPad.ceilMode = false;
    ref::PoolParams avgPad;
    avgPad.kernel = {3, 3};
    avgPad.strides = {1, 1};
    avgPad.pads = {1, 1, 1, 1};
    ref::PoolParams maxDilated;
    maxDilated.kernel = {2, 3};
    maxDilated.strides = {1, 2};
    maxDilated.pads = {1, 0, 0, 1};
    maxDilated.dilations = {2, 2};
    ref::PoolParams avgIncl = avgPad;
    avgIncl.countIncludePad = true;
    avgIncl.strides = {2, 2};
    const std::vector<Case> cases = {{"MaxPool", max3, true},           {"MaxPool", max3, false},          {"MaxPool", maxDilated, false},
                                     {"MaxPool", maxPad, true},
                                     {"AveragePool", avgPad, true},     {"AveragePool", avgIncl, false},   {"GlobalAveragePool", {}, false}};
    // Both byte types: int8 codes are compared with their sign bit flipped, uint8 as they are.
    for (DType type : {DType::Int8, DType::UInt8})
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.op) + (c.sameParams ? " same parameters" : " rescaled") + (type == DType::Int8 ? ", int8" : ", uint8"));
        const Q qx = covering(-2.0f, 2.0f, type), qy = c.sameParams ? qx : covering(-1.5f, 2.5f, type);
        OpGraph b;
        const int in = b.input("x", s);
        const int y = b.value("pool");
        graph::Node& n = b.node(c.op, {quantDequant(b, in, qx, "x")}, {y});
        const bool global = std::string(c.op) == "GlobalAveragePool";
        if (!global) {
            setInts(n, "kernel_shape", c.p.kernel);
            setInts(n, "strides", c.p.strides);
            setInts(n, "pads", c.p.pads);
            setInt(n, "ceil_mode", c.p.ceilMode ? 1 : 0);
            if (std::string(c.op) == "MaxPool") setInts(n, "dilations", c.p.dilations);
            if (std::string(c.op) == "AveragePool") setInt(n, "count_include_pad", c.p.countIncludePad ? 1 : 0);
        }
        quantizeOutput(b, y, qy, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        Stats stats;
        const Tensor got = run1(b, {x}, &stats);
        const Tensor xr = qdqAll(x, qx);
        const Tensor real = global ? ref::globalAveragePool(xr) : ref::pool2d(xr, c.p, std::string(c.op) == "MaxPool");
        EXPECT_TRUE(checkSteps(got, qdqAll(real, qy), qy.scale));
        expectInt8Layer(stats, c.op);
    }
}

TEST_P(Int8OpsTest, ViewsAndTables) {
    const Shape s = {1, 6, 5, 4};
    const Tensor x = randomTensor(s, 6, -4.0f, 4.0f);
    const Q qx = covering(-4.0f, 4.0f, DType::UInt8);
    struct Case {
        const char* op;
        Activation act;
        Q out;
    };
    const std::vector<Case> cases = {
        {"Flatten", Activation::None, qx},                                  // same bytes: a view
        {"Flatten", Activation::None, covering(-3.0f, 5.0f, DType::Int8)},  // rescaled (and to int8) by a table
        {"Sigmoid", Activation::Sigmoid, covering(0.0f, 1.0f, DType::UInt8)},
        {"HardSwish", Activation::HardSwish, covering(-0.5f, 4.0f, DType::Int8)},
        {"Tanh", Activation::Tanh, covering(-1.0f, 1.0f, DType::Int8)},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.op);
        OpGraph b;
        const int in = b.input("x", s);
        const int y = b.value("y_real");
        b.node(c.op, {quantDequant(b, in, qx, "x")}, {y});
        quantizeOutput(b, y, c.out, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        Stats stats;
        Tensor got = run1(b, {x}, &stats);
        Tensor want = qdqAll(ref::actAll(qdqAll(x, qx), c.act), c.out);
        if (std::string(c.op) == "Flatten") want.shape = {1, 120};
        EXPECT_TRUE(checkSteps(got, want, c.out.scale, 0.0));  // a table is exact
        expectInt8Layer(stats, c.op);
    }
}

// QLinearConv and QLinearMatMul as ONNX defines them, on uint8 tensors made by QuantizeLinear.
TEST_P(Int8OpsTest, QLinearOps) {
    const Shape s = {1, 6, 8, 8};
    const Tensor x = randomTensor(s, 8, 0.0f, 2.0f);
    const Q qx = covering(0.0f, 2.0f, DType::UInt8);
    OpGraph b;
    const int in = b.input("x", s);
    auto px = params(b, qx, "x");
    const int xq = b.value("xq");
    b.node("QuantizeLinear", {in, px[0], px[1]}, {xq});
    Tensor w;
    std::vector<float> ws, bias;
    // Weights, bias, and the reference conv.
    std::mt19937 rng(9);
    std::uniform_int_distribution<int> qd(-100, 100);
    std::vector<int32_t> wq(4 * 6 * 3 * 3);
    for (auto& v : wq) v = qd(rng);
    ws = {0.01f, 0.02f, 0.015f, 0.005f};
    w = Tensor({4, 6, 3, 3});
    for (size_t e = 0; e < wq.size(); ++e) w.data[e] = static_cast<float>(wq[e]) * ws[e / 54];
    std::vector<int64_t> bq = {100, -200, 50, 0};
    for (size_t m = 0; m < 4; ++m) bias.push_back(static_cast<float>(static_cast<double>(bq[m]) * qx.scale * ws[m]));
    ref::ConvParams p;
    p.pads = {1, 1, 1, 1};
    const Tensor real = ref::conv2d(qdqAll(x, qx), w, bias.data(), p);
    const auto [lo, hi] = std::minmax_element(real.data.begin(), real.data.end());
    const Q qy = covering(*lo, *hi, DType::UInt8);
    auto py = params(b, qy, "y");
    const int wv = b.g.addConstant("w", byteData({4, 6, 3, 3}, wq, DType::Int8));
    const int wsv = b.constant("ws", Tensor({4}, ws));
    const int wz = b.g.addConstant("wz", byteData({4}, {0, 0, 0, 0}, DType::Int8));
    const int bv = b.g.addConstant("bias", int64Data({4}, bq));
    const int yq = b.value("yq");
    setInts(b.node("QLinearConv", {xq, px[0], px[1], wv, wsv, wz, py[0], py[1], bv}, {yq}), "pads", {1, 1, 1, 1});
    // Then a QLinearMatMul of the flattened result by an int8 matrix, per-column scales.
    const int flat = b.value("flat");
    setInt(b.node("Flatten", {yq}, {flat}), "axis", 1);
    const int64_t K = 4 * 8 * 8, N = 5;
    std::vector<int32_t> mq(static_cast<size_t>(K * N));
    for (auto& v : mq) v = qd(rng);
    const std::vector<float> ms = {0.001f, 0.002f, 0.0015f, 0.003f, 0.0005f};
    Tensor mw({K, N});
    for (size_t e = 0; e < mq.size(); ++e) mw.data[e] = static_cast<float>(mq[e]) * ms[e % 5];
    const Tensor yFlat = [&] {
        Tensor t = qdqAll(real, qy);
        t.shape = {1, K};
        return t;
    }();
    const Tensor real2 = ref::gemm(yFlat, mw, nullptr, false, false, 1.0f, 0.0f);
    const auto [lo2, hi2] = std::minmax_element(real2.data.begin(), real2.data.end());
    const Q qz = covering(*lo2, *hi2, DType::UInt8);
    auto pz = params(b, qz, "z");
    const int mv = b.g.addConstant("m", byteData({K, N}, mq, DType::Int8));
    const int msv = b.constant("ms", Tensor({N}, ms));
    const int mz = b.g.addConstant("mz", byteData({N}, {0, 0, 0, 0, 0}, DType::Int8));
    const int zq = b.value("zq"), out = b.output("z");
    b.node("QLinearMatMul", {flat, py[0], py[1], mv, msv, mz, pz[0], pz[1]}, {zq});
    b.node("DequantizeLinear", {zq, pz[0], pz[1]}, {out});
    PERCEPT_INT8_SKIP_IF_REFUSED(b);
    Stats stats;
    const Tensor got = run1(b, {x}, &stats);
    // The first product may round one step apart, which moves the second by a few of its steps.
    EXPECT_TRUE(allClose(got, qdqAll(real2, qz), 4.0 * qz.scale / std::max(1.0f, std::fabs(*hi2))));
    expectInt8Layer(stats, "Conv");
    expectInt8Layer(stats, "MatMul");
}

// An op with no int8 kernel between DQ and Q (Softmax) runs as the file says: DQ, the float
// op, Q, each on its own.
TEST_P(Int8OpsTest, UnfusedOpRunsStandalone) {
    const Shape s = {1, 10};
    const Tensor x = randomTensor(s, 10, -3.0f, 3.0f);
    const Q qx = covering(-3.0f, 3.0f, DType::UInt8), qy = covering(0.0f, 1.0f, DType::UInt8);
    OpGraph b;
    const int in = b.input("x", s);
    const int y = b.value("soft");
    setInt(b.node("Softmax", {quantDequant(b, in, qx, "x")}, {y}), "axis", -1);
    quantizeOutput(b, y, qy, "y");
    PERCEPT_INT8_SKIP_IF_REFUSED(b);
    Stats stats;
    const Tensor got = run1(b, {x}, &stats);
    EXPECT_TRUE(checkSteps(got, qdqAll(ref::softmax(qdqAll(x, qx), -1, 13), qy), qy.scale));
    ASSERT_EQ(stats.layers.size(), 5u);  // Q, DQ, Softmax, Q, DQ
    EXPECT_EQ(stats.layers[2].op, "Softmax");
}

PERCEPT_OP_TEST_SUITE(Int8OpsTest);

// What is refused, with the reason: an 8-bit tensor read by an op with no int8 kernel, the
// quantisation ops' unsupported forms; Vulkan refuses the same op for the same reason.
TEST(Int8Refusals, Reasons) {
    const Shape s = {1, 2, 3, 4};
    auto load = [](OpGraph& b) { return detail::modelFromGraph(b.g, "int8-test"); };
    {
        OpGraph b;
        const int in = b.input("x", s);
        auto p = params(b, Q{0.1f, 0, DType::UInt8}, "x");
        const int q = b.value("q"), t = b.value("t"), out = b.output("y");
        b.node("QuantizeLinear", {in, p[0], p[1]}, {q});
        setInts(b.node("Transpose", {q}, {t}), "perm", {0, 1, 3, 2});
        b.node("DequantizeLinear", {t, p[0], p[1]}, {out});
        const Model m = load(b);
        const auto why = m.unsupportedOps(Backend::Cpu);
        ASSERT_EQ(why.size(), 1u);
        EXPECT_NE(why[0].find("Transpose"), std::string::npos) << why[0];
        EXPECT_NE(why[0].find("no int8 kernel"), std::string::npos) << why[0];
        EXPECT_THROW(Session::create(m, SessionOptions{}), Error);
        const auto vk = m.unsupportedOps(Backend::Vulkan);
        ASSERT_EQ(vk.size(), 1u);
        EXPECT_NE(vk[0].find("Transpose on Vulkan: no int8 kernel"), std::string::npos) << vk[0];
    }
    auto expectLoadError = [&](OpGraph& b, const std::string& part) {
        try {
            load(b);
            ADD_FAILURE() << "loaded; expected an error containing '" << part << "'";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
        }
    };
    {  // a computed scale
        OpGraph b;
        const int in = b.input("x", s), sc = b.input("s", {1});
        const int q = b.value("q"), out = b.output("y");
        b.node("QuantizeLinear", {in, sc}, {q});
        b.node("DequantizeLinear", {q, b.constant("s2", Tensor({}, {1.0f}))}, {out});
        expectLoadError(b, "must be a constant");
    }
    {  // a zero scale, and blocked quantisation
        for (int which = 0; which < 2; ++which) {
            OpGraph b(21);
            const int in = b.input("x", s);
            const int q = b.value("q"), out = b.output("y");
            graph::Node& n = b.node("QuantizeLinear", {in, b.constant("s", Tensor({}, {which == 0 ? 0.0f : 1.0f}))}, {q});
            if (which == 1) setInt(n, "block_size", 2);
            b.node("DequantizeLinear", {q, b.constant("s2", Tensor({}, {1.0f}))}, {out});
            expectLoadError(b, which == 0 ? "scales must be positive" : "block_size");
        }
    }
    {  // a uint8 graph output (the public Tensor is fp32)
        OpGraph b;
        const int in = b.input("x", s);
        b.node("QuantizeLinear", {in, b.constant("s", Tensor({}, {0.5f}))}, {b.output("q")});
        expectLoadError(b, "uint8");
    }
}

}  // namespace
}  // namespace percept::optest::int8
