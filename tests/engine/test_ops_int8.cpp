// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): QuantizeLinear / DequantizeLinear as standalone ops (per tensor and per axis,
// halves rounding to even, saturation), and QDQ convolutions, Gemm and MatMul fused into int8
// kernels -- every path (1x1 direct, im2col tiles, matrix-vector, depthwise fast and direct,
// groups), uint8 and int8 activations, per-tensor and per-channel weights, 8-bit and float
// outputs, clamp and general activations -- against the QDQ reference, at every ISA level.
#include "cpu/int8_conv.h"
#include "int8_test_util.h"

namespace percept::optest::int8 {
namespace {

using graph::Activation;
using ref::convParams;

class Int8QuantTest : public Int8Test {};

TEST_P(Int8QuantTest, QuantizeDequantizePerTensor) {
    for (DType type : {DType::UInt8, DType::Int8}) {
        SCOPED_TRACE(graph::dtypeName(type));
        // Halves (to even), values past both ends (saturation), and random ones.
        Tensor x({1, 3, 5, 7});
        std::mt19937 rng(7);
        std::uniform_real_distribution<float> d(-3.0f, 3.0f);
        for (float& v : x.data) v = d(rng);
        const std::vector<float> special = {0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 100.0f, -100.0f, 0.0f};
        std::copy(special.begin(), special.end(), x.data.begin());
        const Q q{0.5f, type == DType::UInt8 ? 128 : 3, type};
        OpGraph b;
        const int in = b.input("x", x.shape);
        quantizeOutput(b, in, q, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        const Tensor got = run1(b, {x});
        const Tensor want = qdqAll(x, q);
        EXPECT_EQ(got.data, want.data);
        // 0.25 / 0.5 = 0.5 rounds to 0 and 0.75 / 0.5 = 1.5 to 2 (halves to even).
        EXPECT_EQ(got.data[0], 0.0f);
        EXPECT_EQ(got.data[1], 1.0f);
    }
}

TEST_P(Int8QuantTest, QuantizeDequantizePerAxis) {
    const Tensor x = randomTensor({1, 4, 3, 5}, 11, -2.0f, 2.0f);
    const std::vector<float> scales = {0.01f, 0.02f, 0.005f, 0.03f};
    const std::vector<int32_t> zeros = {0, 10, -20, 5};
    OpGraph b;
    const int in = b.input("x", x.shape);
    const int s = b.constant("s", Tensor({4}, scales));
    const int z = b.g.addConstant("z", byteData({4}, zeros, DType::Int8));
    const int qv = b.value("q"), out = b.output("y");
    setInt(b.node("QuantizeLinear", {in, s, z}, {qv}), "axis", 1);
    setInt(b.node("DequantizeLinear", {qv, s, z}, {out}), "axis", -3);
    PERCEPT_INT8_SKIP_IF_REFUSED(b);
    const Tensor got = run1(b, {x});
    Tensor want = x;
    for (size_t e = 0; e < want.data.size(); ++e) {
        const size_t c = (e / 15) % 4;
        want.data[e] = qdq(x.data[e], Q{scales[c], zeros[c], DType::Int8});
    }
    EXPECT_EQ(got.data, want.data);
}

// No zero point: uint8, zero 0. The scale is a one-element 1-D tensor: per tensor, as ONNX
// Runtime reads it (not per axis over an axis of size 9).
TEST_P(Int8QuantTest, DefaultZeroPointIsUint8) {
    const Tensor x = randomTensor({2, 9}, 3, -1.0f, 2.0f);
    OpGraph b;
    const int in = b.input("x", x.shape);
    const int s = b.constant("s", Tensor({1}, {0.01f}));
    const int qv = b.value("q"), out = b.output("y");
    b.node("QuantizeLinear", {in, s}, {qv});
    b.node("DequantizeLinear", {qv, s}, {out});
    PERCEPT_INT8_SKIP_IF_REFUSED(b);
    EXPECT_EQ(run1(b, {x}).data, qdqAll(x, Q{0.01f, 0, DType::UInt8}).data);  // negatives saturate to 0
}

PERCEPT_OP_TEST_SUITE(Int8QuantTest);

// ---- Conv ----------------------------------------------------------------------------------

struct ConvCase {
    std::string name;
    Shape x;  // 1, C, H, W
    int64_t M, kh, kw;
    ref::ConvParams p;
    DType act8 = DType::UInt8;  // activations' type
    bool perChannel = true;
    Activation act = Activation::None;
    float a0 = 0, a1 = 0;
    bool floatOut = false;  // no QuantizeLinear after the conv
    std::string algo;       // the CPU algorithm's family
    WeightForm weights = WeightForm::Symmetric;
};


class Int8ConvTest : public Int8Test {
protected:
    void check(const ConvCase& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const Tensor x = randomTensor(c.x, seed, -1.0f, 1.5f);
        const Q xq = covering(-1.0f, 1.5f, c.act8);
        OpGraph b;
        const int in = b.input("x", c.x);
        const int xd = quantDequant(b, in, xq, "x");
        Tensor w;
        std::vector<float> ws, bias;
        const int wv = int8Weights(b, {c.M, c.x[1] / c.p.group, c.kh, c.kw}, 0, c.perChannel, seed + 1, w, ws, c.weights);
        const int bv = int32Bias(b, c.M, xq.scale, ws, seed + 2, bias);
        const int y = b.value("conv");
        graph::Node& n = b.node("Conv", {xd, wv, bv}, {y});
        setInts(n, "strides", c.p.strides);
        setInts(n, "pads", c.p.pads);
        setInts(n, "dilations", c.p.dilations);
        setInt(n, "group", c.p.group);
        int last = y;
        if (c.act != Activation::None) {
            addActivation(b, c.act, y, c.a0, c.a1);
            last = b.g.outputs.back();
            b.g.outputs.pop_back();
        }
        // The reference, and the output's parameters from its range.
        const Tensor real = ref::actAll(ref::conv2d(qdqAll(x, xq), w, bias.data(), c.p), c.act, c.a0, c.a1);
        const auto [lo, hi] = std::minmax_element(real.data.begin(), real.data.end());
        const Q yq = covering(*lo, *hi, c.act8);
        if (c.floatOut) b.g.outputs.push_back(last);
        else quantizeOutput(b, last, yq, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        Stats stats;
        const Tensor got = run1(b, {x}, &stats);
        if (c.floatOut) {
            EXPECT_TRUE(allClose(got, real, 1e-4));
        } else {
            EXPECT_TRUE(checkSteps(got, qdqAll(real, yq), yq.scale));
        }
        if (const std::optional<Tensor> gpu = runGpuForms(b, {x})) {
            SCOPED_TRACE("Vulkan's GPU forms (split k)");
            EXPECT_TRUE(c.floatOut ? allClose(*gpu, real, 1e-4) : checkSteps(*gpu, qdqAll(real, yq), yq.scale));
        }
        expectInt8Layer(stats, "Conv");
        if (backend() == Backend::Cpu && !c.algo.empty()) {
            for (const LayerStats& l : stats.layers) {
                if (l.op.rfind("Conv", 0) == 0) {
                    EXPECT_EQ(l.algo.substr(0, l.algo.find('/')), c.algo);
                }
            }
        }
        // Every Q/DQ around the conv is gone: the input's QuantizeLinear, the conv, and (8-bit
        // output) the output's DequantizeLinear remain.
        if (!c.floatOut && c.act == Activation::None) {
            EXPECT_EQ(stats.layers.size(), 3u);
        }
    }
};

TEST_P(Int8ConvTest, Gemm) {
    const std::vector<ConvCase> cases = {
        {"1x1 C13->M7", {1, 13, 9, 11}, 7, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"1x1 int8 acts, per-tensor weights", {1, 16, 6, 6}, 24, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::Int8, false, Activation::None, 0, 0, false, "int8-gemm"},
        {"3x3 pad 1", {1, 5, 10, 9}, 11, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Relu, 0, 0, false, "int8-gemm"},
        {"3x3 stride 2 asymmetric pads, int8", {1, 8, 13, 12}, 9, 3, 3, convParams(1, {2, 2}, {0, 0, 1, 1}), DType::Int8, true, Activation::Clip, 0.0f, 6.0f, false, "int8-gemm"},
        {"7x7 stride 2 pad 3 (a stem)", {1, 3, 33, 31}, 16, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), DType::UInt8, true, Activation::Relu, 0, 0, false, "int8-gemm"},
        {"dilated 3x3", {1, 6, 11, 11}, 5, 3, 3, convParams(1, {1, 1}, {2, 2, 2, 2}, {2, 2}), DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"dilated 3x3 stride 2, 1x4 window", {1, 4, 13, 12}, 6, 1, 4, convParams(1, {2, 3}, {0, 1, 2, 0}, {1, 2}), DType::Int8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"1x1 stride 2 (a shortcut)", {1, 8, 9, 9}, 10, 1, 1, convParams(1, {2, 2}, {0, 0, 0, 0}), DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"groups 2", {1, 8, 7, 7}, 6, 3, 3, convParams(2, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"many columns (several tiles)", {1, 64, 40, 41}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Relu, 0, 0, false, "int8-gemm"},
        {"deep K (few columns, panels split)", {1, 300, 5, 5}, 70, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), DType::Int8, true, Activation::None, 0, 0, false, "int8-gemm"},
        {"float output", {1, 10, 8, 8}, 12, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Relu, 0, 0, true, "int8-gemm"},
        {"general activation (LeakyRelu)", {1, 7, 6, 5}, 9, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::LeakyRelu, 0.1f, 0, false, "int8-gemm"},
        {"general activation (Sigmoid), float output", {1, 7, 6, 5}, 9, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::Int8, true, Activation::Sigmoid, 0, 0, true, "int8-gemm"},
    };
    uint32_t seed = 100;
    for (const ConvCase& c : cases) check(c, seed += 10);
}

TEST_P(Int8ConvTest, MatrixVector) {
    const std::vector<ConvCase> cases = {
        {"1x1 on 1x1 (classifier)", {1, 67, 1, 1}, 21, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemv"},
        {"1x1 on 1x1, float logits", {1, 256, 1, 1}, 100, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::Int8, true, Activation::None, 0, 0, true, "int8-gemv"},
        {"3x3 valid on 3x3", {1, 9, 3, 3}, 17, 3, 3, convParams(1, {1, 1}, {0, 0, 0, 0}), DType::UInt8, false, Activation::Relu, 0, 0, false, "int8-gemv"},
    };
    uint32_t seed = 300;
    for (const ConvCase& c : cases) check(c, seed += 10);
}

// A k x k depthwise conv (stride s, no dilation) with C channels and an OH x OW output: the
// channels-in-lanes path where the level has it and the plane is small, else the others.
std::string int8Depthwise(int64_t C, int64_t k, int64_t s, int64_t OH, int64_t OW) {
    const cpu::CpuKernels& kern = cpu::cpuKernels(testIsa());
    return cpu::depthwiseLanesTakes(kern, k, s, OH, OW, C, cpu::int8::kInt8DepthwiseLanesMaxWidth) ? "int8-depthwise-lanes" : "int8-depthwise";
}

TEST_P(Int8ConvTest, Depthwise) {
    const std::vector<ConvCase> cases = {
        {"3x3 stride 1", {1, 12, 9, 10}, 12, 3, 3, convParams(12, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Clip, 0.0f, 6.0f, false, int8Depthwise(12, 3, 1, 9, 10)},
        {"3x3 stride 1, rows wider than 64 (several blocks)", {1, 3, 5, 150}, 3, 3, 3, convParams(3, {1, 1}, {1, 1, 1, 1}), DType::Int8, true, Activation::None, 0, 0, false, "int8-depthwise"},
        {"3x3 stride 2 (TF pads)", {1, 8, 14, 14}, 8, 3, 3, convParams(8, {2, 2}, {0, 0, 1, 1}), DType::Int8, true, Activation::Relu, 0, 0, false, int8Depthwise(8, 3, 2, 7, 7)},
        {"5x5 stride 1", {1, 6, 9, 9}, 6, 5, 5, convParams(6, {1, 1}, {2, 2, 2, 2}), DType::UInt8, true, Activation::None, 0, 0, false, int8Depthwise(6, 5, 1, 9, 9)},
        // Stride 2 on planes wider than the lanes path takes: the byte kernel where the level has
        // one (partial and several 16-output blocks, TF and symmetric pads, odd sizes).
        {"3x3 stride 2, wide plane", {1, 5, 40, 38}, 5, 3, 3, convParams(5, {2, 2}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Relu, 0, 0, false, int8Depthwise(5, 3, 2, 20, 19)},
        {"3x3 stride 2 (TF pads), odd plane", {1, 4, 33, 35}, 4, 3, 3, convParams(4, {2, 2}, {0, 0, 1, 1}), DType::Int8, true, Activation::None, 0, 0, false, int8Depthwise(4, 3, 2, 16, 17)},
        {"3x3 stride 2, rows of 35 outputs, float output", {1, 3, 9, 70}, 3, 3, 3, convParams(3, {2, 2}, {1, 1, 1, 1}), DType::Int8, false, Activation::None, 0, 0, true, int8Depthwise(3, 3, 2, 5, 35)},
        {"3x3 dilated", {1, 4, 9, 9}, 4, 3, 3, convParams(4, {1, 1}, {2, 2, 2, 2}, {2, 2}), DType::Int8, false, Activation::None, 0, 0, false, "int8-depthwise"},
        {"3x3 float output", {1, 5, 7, 7}, 5, 3, 3, convParams(5, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::None, 0, 0, true, int8Depthwise(5, 3, 1, 7, 7)},
        // The channels-in-lanes path: a partial last block (37 channels), both byte types,
        // stride 2, 5x5, a float output, per-tensor weights.
        {"lanes 3x3 7x7 C37", {1, 37, 7, 7}, 37, 3, 3, convParams(37, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Clip, 0.0f, 6.0f, false, int8Depthwise(37, 3, 1, 7, 7)},
        {"lanes 3x3 s2 14x14 C37 int8", {1, 37, 14, 14}, 37, 3, 3, convParams(37, {2, 2}, {1, 1, 1, 1}), DType::Int8, true, Activation::Relu, 0, 0, false, int8Depthwise(37, 3, 2, 7, 7)},
        {"lanes 3x3 14x14 C20 per tensor", {1, 20, 14, 14}, 20, 3, 3, convParams(20, {1, 1}, {1, 1, 1, 1}), DType::Int8, false, Activation::None, 0, 0, false, int8Depthwise(20, 3, 1, 14, 14)},
        {"lanes 5x5 7x7 C17 float output", {1, 17, 7, 7}, 17, 5, 5, convParams(17, {1, 1}, {2, 2, 2, 2}), DType::UInt8, true, Activation::None, 0, 0, true, int8Depthwise(17, 5, 1, 7, 7)},
    };
    uint32_t seed = 500;
    for (const ConvCase& c : cases) check(c, seed += 10);
}

// Weights with zero points: asymmetric int8 (one per channel, or one) and uint8, on every path.
TEST_P(Int8ConvTest, WeightZeroPoints) {
    const ref::ConvParams one = convParams(1, {1, 1}, {0, 0, 0, 0}), pad1 = convParams(1, {1, 1}, {1, 1, 1, 1});
    std::vector<ConvCase> cases = {
        {"1x1 int8 zero points", {1, 13, 9, 11}, 7, 1, 1, one, DType::UInt8, true, Activation::Relu, 0, 0, false, "int8-gemm", WeightForm::Int8ZeroPoint},
        {"3x3 uint8 weights, per tensor", {1, 5, 10, 9}, 11, 3, 3, pad1, DType::Int8, false, Activation::None, 0, 0, false, "int8-gemm", WeightForm::UInt8},
        {"3x3 uint8 weights, per channel", {1, 6, 8, 8}, 9, 3, 3, pad1, DType::UInt8, true, Activation::None, 0, 0, true, "int8-gemm", WeightForm::UInt8},
        {"matrix-vector", {1, 40, 1, 1}, 19, 1, 1, one, DType::UInt8, true, Activation::None, 0, 0, false, "int8-gemv", WeightForm::Int8ZeroPoint},
        {"depthwise fast", {1, 8, 12, 12}, 8, 3, 3, convParams(8, {1, 1}, {1, 1, 1, 1}), DType::UInt8, true, Activation::Clip, 0.0f, 6.0f, false, int8Depthwise(8, 3, 1, 12, 12), WeightForm::Int8ZeroPoint},
        {"depthwise lanes", {1, 21, 7, 7}, 21, 3, 3, convParams(21, {1, 1}, {1, 1, 1, 1}), DType::Int8, true, Activation::None, 0, 0, false, int8Depthwise(21, 3, 1, 7, 7), WeightForm::UInt8},
        {"depthwise stride 2 bytes", {1, 6, 30, 31}, 6, 3, 3, convParams(6, {2, 2}, {1, 1, 1, 1}), DType::UInt8, true, Activation::None, 0, 0, false, int8Depthwise(6, 3, 2, 15, 16), WeightForm::Int8ZeroPoint},
        {"depthwise stride 2 bytes, uint8 weights", {1, 5, 31, 40}, 5, 3, 3, convParams(5, {2, 2}, {0, 0, 1, 1}), DType::Int8, true, Activation::Relu, 0, 0, false, int8Depthwise(5, 3, 2, 16, 20), WeightForm::UInt8},
        {"depthwise direct", {1, 4, 9, 9}, 4, 5, 5, convParams(4, {2, 2}, {2, 2, 2, 2}), DType::Int8, true, Activation::None, 0, 0, false, int8Depthwise(4, 5, 2, 5, 5), WeightForm::UInt8},
    };
    uint32_t seed = 700;
    for (const ConvCase& c : cases) check(c, seed += 10);
}

// A quantised conv whose output goes (alone) into a residual Add with a tensor made earlier:
// Vulkan fuses the Add into the conv's store (graph::fusedAddCandidates, vk_int8_linear.cpp),
// which must round the conv onto its own grid first, as the unfused nodes do; the conv's output
// as the Add's first or second operand, int8 or uint8, with and without a Relu.
TEST_P(Int8ConvTest, ResidualAdd) {
    const Shape xs = {1, 16, 9, 9}, ys = {1, 24, 9, 9};
    uint32_t seed = 900;
    for (DType t : {DType::UInt8, DType::Int8})
        for (bool convFirst : {true, false})
            for (bool relu : {false, true}) {
                SCOPED_TRACE(std::string(graph::dtypeName(t)) + (convFirst ? ", conv + skip" : ", skip + conv") + (relu ? ", relu" : ""));
                seed += 10;
                const Tensor x = randomTensor(xs, seed, -1.0f, 1.5f), sk = randomTensor(ys, seed + 5, -2.0f, 1.0f);
                const Q xq = covering(-1.0f, 1.5f, t), sq = covering(-2.0f, 1.0f, t);
                OpGraph b;
                const int in = b.input("x", xs), skipIn = b.input("skip", ys);
                Tensor w;
                std::vector<float> ws, bias;
                const int wv = int8Weights(b, {ys[1], xs[1], 3, 3}, 0, true, seed + 1, w, ws);
                const int bv = int32Bias(b, ys[1], xq.scale, ws, seed + 2, bias);
                const int y = b.value("conv");
                const ref::ConvParams cp = convParams(1, {1, 1}, {1, 1, 1, 1});
                graph::Node& n = b.node("Conv", {quantDequant(b, in, xq, "x"), wv, bv}, {y});
                setInts(n, "pads", cp.pads);
                const Tensor convReal = ref::conv2d(qdqAll(x, xq), w, bias.data(), cp);
                const auto [lo, hi] = std::minmax_element(convReal.data.begin(), convReal.data.end());
                const Q cq = covering(*lo, *hi, t);
                const int cd = quantDequant(b, y, cq, "c"), sd = quantDequant(b, skipIn, sq, "s");
                const int sum = b.value("sum");
                b.node("Add", convFirst ? std::vector<int>{cd, sd} : std::vector<int>{sd, cd}, {sum});
                int last = sum;
                if (relu) {
                    last = b.value("relu");
                    b.node("Relu", {sum}, {last});
                }
                Tensor real = ref::binary(qdqAll(convReal, cq), qdqAll(sk, sq), [](float u, float v) { return u + v; });
                if (relu) real = ref::actAll(real, Activation::Relu);
                const auto [rlo, rhi] = std::minmax_element(real.data.begin(), real.data.end());
                const Q yq = covering(*rlo, *rhi, t);
                quantizeOutput(b, last, yq, "y");
                PERCEPT_INT8_SKIP_IF_REFUSED(b);
                Stats stats;
                const Tensor got = run(b, {x, sk}, &stats)[0];
                // The conv's codes may be one step off where fp32 rounding straddles a half; one
                // step of the conv's grid moves the sum by cq.scale.
                const float step = yq.scale + cq.scale;
                EXPECT_TRUE(checkSteps(got, qdqAll(real, yq), step));
                if (backend() == Backend::Vulkan) {
                    bool fused = false;
                    for (const LayerStats& l : stats.layers) fused = fused || (l.op.rfind("Conv+Add", 0) == 0 && l.algo.rfind("int8", 0) == 0);
                    EXPECT_TRUE(fused) << "Vulkan ran the Add on its own";
                    if (const std::optional<Tensor> gpu = runGpuForms(b, {x, sk})) {
                        SCOPED_TRACE("Vulkan's GPU forms (split k)");
                        EXPECT_TRUE(checkSteps(*gpu, qdqAll(real, yq), step));
                    }
                }
            }
}

PERCEPT_OP_TEST_SUITE(Int8ConvTest);

// ---- Gemm and MatMul -------------------------------------------------------------------------

class Int8LinearTest : public Int8Test {
protected:
    // rows x K times the weights (Gemm: transB as given; MatMul: [K, N]).
    void check(const char* op, int64_t rows, int64_t K, int64_t N, bool transB, bool bias, bool floatOut, DType t, uint32_t seed,
               WeightForm form = WeightForm::Symmetric) {
        SCOPED_TRACE(std::string(op) + " rows " + std::to_string(rows) + " K " + std::to_string(K) + " N " + std::to_string(N));
        const Tensor x = randomTensor({rows, K}, seed, -2.0f, 1.0f);
        const Q xq = covering(-2.0f, 1.0f, t);
        OpGraph b;
        const int in = b.input("x", x.shape);
        const int xd = quantDequant(b, in, xq, "x");
        Tensor w;
        std::vector<float> ws, bv;
        const int wv = int8Weights(b, transB ? Shape{N, K} : Shape{K, N}, transB ? 0 : 1, true, seed + 1, w, ws, form);
        std::vector<int> ins = {xd, wv};
        if (bias) ins.push_back(int32Bias(b, N, xq.scale, ws, seed + 2, bv));
        const int y = b.value("y_real");
        graph::Node& n = b.node(op, ins, {y});
        if (std::string(op) == "Gemm") setInt(n, "transB", transB ? 1 : 0);
        Tensor real = ref::gemm(qdqAll(x, xq), w, nullptr, false, transB, 1.0f, 0.0f);
        if (bias)
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t c = 0; c < N; ++c) real.data[static_cast<size_t>(r * N + c)] += bv[static_cast<size_t>(c)];
        const auto [lo, hi] = std::minmax_element(real.data.begin(), real.data.end());
        const Q yq = covering(*lo, *hi, t);
        if (floatOut) b.g.outputs.push_back(y);
        else quantizeOutput(b, y, yq, "y");
        PERCEPT_INT8_SKIP_IF_REFUSED(b);
        Stats stats;
        const Tensor got = run1(b, {x}, &stats);
        if (floatOut) {
            EXPECT_TRUE(allClose(got, real, 1e-4));
        } else {
            EXPECT_TRUE(checkSteps(got, qdqAll(real, yq), yq.scale));
        }
        if (const std::optional<Tensor> gpu = runGpuForms(b, {x})) {
            SCOPED_TRACE("Vulkan's GPU forms (split k)");
            EXPECT_TRUE(floatOut ? allClose(*gpu, real, 1e-4) : checkSteps(*gpu, qdqAll(real, yq), yq.scale));
        }
        expectInt8Layer(stats, op);
    }
};

TEST_P(Int8LinearTest, Gemm) {
    check("Gemm", 1, 100, 37, true, true, true, DType::UInt8, 1);    // a classifier: float logits
    check("Gemm", 1, 64, 33, false, true, false, DType::Int8, 2);
    check("Gemm", 6, 45, 19, true, true, false, DType::UInt8, 3);    // several rows: the GEMM, transposed out
    check("Gemm", 35, 17, 70, false, false, true, DType::Int8, 4);
}

TEST_P(Int8LinearTest, MatMul) {
    check("MatMul", 1, 30, 50, false, false, false, DType::UInt8, 5);
    check("MatMul", 9, 33, 10, false, false, false, DType::Int8, 6);
    check("MatMul", 1, 70, 12, false, false, false, DType::UInt8, 7, WeightForm::UInt8);      // zero points: matrix-vector
    check("Gemm", 7, 20, 30, true, true, false, DType::Int8, 8, WeightForm::Int8ZeroPoint);  // and the GEMM
    check("Gemm", 3, 300, 40, true, true, false, DType::UInt8, 9, WeightForm::Int8ZeroPoint);  // deep: Vulkan splits k (column sums too)
}

// A float Mul by a scalar between the quantised input and a MatMul by int8 weights (a quantiser
// that left the Mul unquantised): the product keeps the scale. Today the dequantised weights are
// folded to a constant first, so graph::foldScalarsIntoMatMul (products of two computed
// operands only) leaves the Mul alone and the MatMul runs in float; were the scale folded in as
// the product's alpha, graph::fuseWeighted refuses it (the int8 kernels have no alpha).
TEST_P(Int8LinearTest, ScaledInputKeepsItsScale) {
    const Tensor x = randomTensor({3, 24}, 51, -2.0f, 1.0f);
    const Q xq = covering(-2.0f, 1.0f, DType::UInt8);
    OpGraph b;
    const int in = b.input("x", x.shape);
    const int xd = quantDequant(b, in, xq, "x");
    const int scaled = b.value("x_scaled");
    b.node("Mul", {xd, b.constant("s", Tensor({}, {0.125f}))}, {scaled});
    Tensor w;
    std::vector<float> ws;
    const int wv = int8Weights(b, Shape{24, 10}, 1, true, 52, w, ws);
    const int y = b.value("y");
    b.node("MatMul", {scaled, wv}, {y});
    b.g.outputs.push_back(y);
    Tensor xs = qdqAll(x, xq);
    for (float& v : xs.data) v *= 0.125f;
    const Tensor real = ref::gemm(xs, w, nullptr, false, false, 1.0f, 0.0f);
    EXPECT_TRUE(allClose(run1(b, {x}), real, 1e-4));
}

PERCEPT_OP_TEST_SUITE(Int8LinearTest);

}  // namespace
}  // namespace percept::optest::int8
