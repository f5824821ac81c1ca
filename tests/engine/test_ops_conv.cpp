// SPDX-License-Identifier: Apache-2.0
// Conv against the seven-loop reference: every algorithm (1x1-gemm, depthwise, im2col-gemm),
// odd channel counts, strides, asymmetric pads, dilations, groups, batch > 1, fused
// activations, and im2col shapes large enough to need several column tiles; 1-D and 3-D convs
// against an N-D reference (auto_pad included).
#include <gtest/gtest.h>

#include "cpu/conv.h"
#include "cpu/isa.h"
#include "cpu/op_util.h"
#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;
using ref::convParams;

struct ConvCase {
    std::string name;
    Shape x;                         // N, C, H, W
    int64_t M, kh, kw;
    ref::ConvParams p;
    bool bias = true;
    Activation act = Activation::None;
    float a0 = 0.0f, a1 = 0.0f;      // activation parameters (LeakyRelu alpha / Clip min, max)
    int64_t opset = 13;
    std::string algo;                // expected CPU algorithm
};


// A grouped 3x3 or 7x7 conv with a multiple of 4 output channels per group (up to 16): the
// direct SIMD kernel where there is one.
std::string grouped() { return testIsa() == cpu::Isa::Generic ? "im2col-gemm" : "group-direct"; }

// An ungrouped 3x3 or 7x7 conv of at most 4 input channels (a stem) and a multiple of 4
// outputs: the same direct kernel.
std::string stem() { return testIsa() == cpu::Isa::Generic ? "im2col-gemm" : "direct"; }

// A depthwise conv (square kernel of 3, 5 or 7, stride 1 or 2, no dilation) with C channels
// and an OH x OW output: the channels-in-lanes kernel where the level has it and the plane is
// narrow enough, else the per-plane kernel.
std::string depthwiseAlgo(int64_t C, int64_t OH, int64_t OW) {
    const cpu::CpuKernels& k = cpu::cpuKernels(testIsa());
    return cpu::depthwiseLanesTakes(k, 3, 1, OH, OW, C, k.depthwiseLanesMaxWidth) ? "depthwise-lanes" : "depthwise";
}

// A 1x1 conv on a 1x1 plane is a matrix-vector product: the SIMD dot kernel where there is one.
std::string gemv() { return testIsa() == cpu::Isa::Generic ? "1x1-gemm" : "1x1-gemv"; }

class ConvTest : public OpTest {
protected:
    void check(const ConvCase& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const Tensor x = randomTensor(c.x, seed);
        const Tensor w = randomTensor({c.M, c.x[1] / c.p.group, c.kh, c.kw}, seed + 1, -0.5f, 0.5f);
        const Tensor b = randomTensor({c.M}, seed + 2);
        OpGraph g(c.opset);
        const int in = g.input("x", c.x);
        std::vector<int> ins = {in, g.constant("w", w)};
        if (c.bias) ins.push_back(g.constant("b", b));
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        graph::Node& n = g.node("Conv", ins, {y});
        setInts(n, "kernel_shape", {c.kh, c.kw});
        setInts(n, "strides", c.p.strides);
        setInts(n, "pads", c.p.pads);
        setInts(n, "dilations", c.p.dilations);
        setInt(n, "group", c.p.group);
        if (c.act != Activation::None) addActivation(g, c.act, y, c.a0, c.a1);

        Stats stats;
        const Tensor got = run1(g, {x}, &stats);
        const Tensor want = ref::actAll(ref::conv2d(x, w, c.bias ? b.data.data() : nullptr, c.p), c.act, c.a0, c.a1);
        EXPECT_TRUE(allClose(got, want, tol()));
        // The activation was fused: one layer, which ran the fused path.
        ASSERT_EQ(stats.layers.size(), 1u);
        EXPECT_EQ(stats.layers[0].op, c.act == Activation::None ? std::string("Conv") : std::string("Conv+") + graph::activationName(c.act));
        if (backend() == Backend::Cpu && !c.algo.empty()) {
            // The family; the SIMD variants name their ISA after a '/' ("1x1-gemm/avx512").
            const std::string& algo = stats.layers[0].algo;
            EXPECT_EQ(algo.substr(0, algo.find('/')), c.algo);
            // ... and the level that ran is the session's (NEON on arm64, AVX2/AVX-512 on x86-64).
            if (algo.find('/') != std::string::npos) {
                EXPECT_EQ(algo.substr(algo.find('/') + 1), cpu::isaName(testIsa()));
            }
        }
    }
};

TEST_P(ConvTest, OneByOne) {
    const std::vector<ConvCase> cases = {
        {"1x1 C13->M7", {1, 13, 9, 11}, 7, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 no bias", {1, 5, 6, 7}, 3, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), false, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 groups 2", {1, 6, 5, 5}, 4, 1, 1, convParams(2, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 on 1x1 spatial", {1, 32, 1, 1}, 10, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, gemv()},
        {"1x1 on 1x1 classifier C1283 M1001", {1, 1283, 1, 1}, 1001, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, gemv()},
        {"1x1 on 1x1 groups 3 batch 2", {2, 51, 1, 1}, 21, 1, 1, convParams(3, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, -0.2f, 0.3f, 13, gemv()},
        {"1x1 wide (splits columns)", {1, 24, 40, 41}, 19, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"1x1 15x15 (a share's edge inside a strip)", {1, 40, 15, 15}, 50, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"1x1 10x10 to 120 (4 strips, M > N: row panels on 2 threads)", {1, 40, 10, 10}, 120, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"1x1 tall (splits rows)", {1, 64, 3, 3}, 200, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 batch 2", {2, 7, 4, 6}, 5, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        // Ragged column strips (cpu's column tiles): a 7x7 plane over two KC blocks of K, a 5x5
        // one (16 + 9 columns at AVX-512), 14x14 (4 past the last whole strip), 3x3 (9 alone).
        {"1x1 7x7 K 300 (two KC blocks), Silu", {1, 300, 7, 7}, 33, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Silu, 0, 0, 13, "1x1-gemm"},
        {"1x1 5x5, HardSwish", {1, 40, 5, 5}, 20, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::HardSwish, 0, 0, 14, "1x1-gemm"},
        {"1x1 14x14, Clip", {1, 24, 14, 14}, 30, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, 0.0f, 0.4f, 13, "1x1-gemm"},
        {"1x1 3x3, no bias", {1, 17, 3, 3}, 29, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), false, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 stride 2", {1, 8, 9, 10}, 6, 1, 1, convParams(1, {2, 2}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        // Stride-2 rows longer than the widest vector, with ragged ends (copyStride2's whole
        // vectors, then its bounded tail): 35 and 34 columns from odd and even widths.
        {"1x1 stride 2 wide rows", {1, 3, 5, 70}, 4, 1, 1, convParams(1, {2, 2}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 stride 2 wide rows", {1, 2, 5, 67}, 3, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"1x1 padded", {1, 3, 4, 4}, 2, 1, 1, convParams(1, {1, 1}, {1, 0, 0, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
    };
    uint32_t seed = 100;
    for (const auto& c : cases) check(c, seed += 10);
}

TEST_P(ConvTest, Im2col) {
    const std::vector<ConvCase> cases = {
        {"3x3 pad 1 C3", {1, 3, 7, 9}, 5, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 stride 2 asym pads", {1, 5, 10, 9}, 13, 3, 3, convParams(1, {2, 2}, {1, 0, 0, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 stride 2 TF-same pads", {1, 7, 11, 12}, 8, 3, 3, convParams(1, {2, 2}, {0, 0, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"5x5 dilation 2", {1, 7, 13, 12}, 3, 5, 5, convParams(1, {1, 1}, {2, 2, 2, 2}, {2, 2}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 dilation 2 stride 2", {1, 4, 15, 14}, 6, 3, 3, convParams(1, {2, 2}, {2, 1, 2, 1}, {2, 2}), false, Activation::None, 0, 0, 13, "im2col-gemm"},
        // (10 and 6 outputs: not a multiple of 4, so not the direct kernel's stems)
        {"7x7 stride 2 pad 3 (stem)", {1, 3, 32, 30}, 10, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, "im2col-gemm"},
        {"rect 1x3 stride (2,1)", {1, 5, 8, 9}, 4, 1, 3, convParams(1, {2, 1}, {0, 1, 0, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"rect 3x1", {1, 5, 8, 9}, 4, 3, 1, convParams(1, {1, 1}, {1, 0, 1, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"2x2 stride 2 no pad", {1, 6, 9, 7}, 5, 2, 2, convParams(1, {2, 2}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        // Stride 2 across on rows of up to 32 outputs: each input row split into even and odd
        // columns once, every kernel column copied from one (im2colTileStride2): odd and even
        // kernels, pads wider than the plane, a dilation down only, the widest such row.
        {"5x5 stride 2 pad 2, 32 wide", {1, 4, 12, 64}, 6, 5, 5, convParams(1, {2, 2}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"4x4 stride 2 pad 1", {1, 3, 11, 13}, 5, 4, 4, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"7x7 stride 2 pad 3 on a 3-wide plane", {1, 3, 9, 3}, 6, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 stride 2, dilation 2 down only", {1, 4, 15, 14}, 6, 3, 3, convParams(1, {2, 2}, {2, 1, 2, 1}, {2, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        // A kernel row far wider than its 30 outputs: its reach past them would not fit the
        // split row (the gather takes it).
        {"1x2100 stride 2, 30 outputs", {1, 1, 1, 2160}, 3, 1, 2100, convParams(1, {2, 2}, {0, 1, 0, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"kernel larger than input", {1, 3, 1, 1}, 4, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, stem()},
        // A stem's rows in bands, one per thread (odd, and fewer rows than a band of 2 x threads).
        {"3x3 s2 stem, 17 rows, HardSwish", {1, 3, 34, 30}, 16, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::HardSwish, 0, 0, 14, stem()},
        {"3x3 s1 stem, 3 rows, Silu", {1, 2, 3, 21}, 8, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Silu, 0, 0, 13, stem()},
        {"3x3 s2 stem, 1 row", {1, 3, 2, 40}, 4, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, stem()},
        {"kernel 3x3 on 2x2 pad 2", {1, 2, 2, 2}, 3, 3, 3, convParams(1, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"groups 2", {1, 4, 9, 8}, 8, 3, 3, convParams(2, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, grouped()},
        {"groups 3", {1, 9, 7, 7}, 6, 3, 3, convParams(3, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"depth multiplier 2", {1, 5, 8, 8}, 10, 3, 3, convParams(5, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"batch 2 groups 3", {2, 6, 6, 5}, 9, 3, 3, convParams(3, {1, 2}, {0, 1, 2, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
    };
    uint32_t seed = 200;
    for (const auto& c : cases) check(c, seed += 10);
}

TEST_P(ConvTest, Depthwise) {
    const std::vector<ConvCase> cases = {
        {"dw 3x3 s1 p1 C13", {1, 13, 12, 10}, 13, 3, 3, convParams(13, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(13, 12, 10)},
        {"dw 3x3 s2 p1 C7", {1, 7, 15, 16}, 7, 3, 3, convParams(7, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(7, 8, 8)},
        {"dw 3x3 s2 TF-same", {1, 5, 8, 8}, 5, 3, 3, convParams(5, {2, 2}, {0, 0, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(5, 4, 4)},
        {"dw 3x3 s1 no pad", {1, 3, 6, 20}, 3, 3, 3, convParams(3, {1, 1}, {0, 0, 0, 0}), false, Activation::None, 0, 0, 13, depthwiseAlgo(3, 4, 18)},
        {"dw 3x3 s1 asym pads", {1, 4, 7, 9}, 4, 3, 3, convParams(4, {1, 1}, {2, 0, 0, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(4, 7, 9)},
        {"dw 3x3 on 1x1", {1, 6, 1, 1}, 6, 3, 3, convParams(6, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(6, 1, 1)},
        {"dw 3x3 on 2x2 s2", {1, 6, 2, 2}, 6, 3, 3, convParams(6, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(6, 1, 1)},
        {"dw 3x3 dilation 2", {1, 5, 11, 9}, 5, 3, 3, convParams(5, {1, 1}, {2, 2, 2, 2}, {2, 2}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw 5x5 dilation 2 s2", {1, 3, 14, 13}, 3, 5, 5, convParams(3, {2, 2}, {4, 3, 4, 3}, {2, 2}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw 5x5 s1 p2", {1, 8, 9, 9}, 8, 5, 5, convParams(8, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(8, 9, 9)},
        {"dw 3x3 s3", {1, 4, 10, 11}, 4, 3, 3, convParams(4, {3, 3}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw batch 2", {2, 5, 6, 7}, 5, 3, 3, convParams(5, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(5, 6, 7)},
        // Split by output rows on 2 threads (27 rows: 14 and 13), the first share ending inside
        // the second image, at stride 1 and 2.
        {"dw batch 3 row shares", {3, 5, 9, 7}, 5, 3, 3, convParams(5, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(5, 9, 7)},
        {"dw batch 3 row shares s2", {3, 4, 18, 20}, 4, 3, 3, convParams(4, {2, 2}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(4, 9, 10)},
        {"dw 3x3 dilation (2,1)", {1, 6, 12, 10}, 6, 3, 3, convParams(6, {1, 1}, {2, 1, 2, 1}, {2, 1}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw 3x3 stride (1,2)", {1, 5, 9, 17}, 5, 3, 3, convParams(5, {1, 2}, {1, 0, 1, 1}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw 3x3 stride (2,1) wide", {1, 3, 7, 70}, 3, 3, 3, convParams(3, {2, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "depthwise"},
        {"dw 3x3 s1 pad 2 (all-border rows)", {1, 4, 3, 3}, 4, 3, 3, convParams(4, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(4, 5, 5)},
        {"dw 1 channel", {1, 1, 5, 5}, 1, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(1, 5, 5)},
    };
    uint32_t seed = 300;
    for (const auto& c : cases) check(c, seed += 10);
}

TEST_P(ConvTest, FusedActivations) {
    const std::vector<ConvCase> cases = {
        {"im2col + Relu", {1, 5, 8, 7}, 6, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, "im2col-gemm"},
        {"im2col + Clip(0,6) opset 13", {1, 5, 8, 7}, 6, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, "im2col-gemm"},
        {"im2col + Clip opset 10", {1, 5, 8, 7}, 6, 3, 3, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, -0.2f, 0.25f, 10, "im2col-gemm"},
        {"1x1 + LeakyRelu", {1, 9, 6, 6}, 7, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::LeakyRelu, 0.1f, 0, 13, "1x1-gemm"},
        {"1x1 + Clip", {1, 9, 6, 6}, 7, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, 0.0f, 0.5f, 13, "1x1-gemm"},
        {"1x1 + Sigmoid", {1, 9, 6, 6}, 7, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13, "1x1-gemm"},
        {"dw + Clip (MobileNet ReLU6)", {1, 7, 9, 9}, 7, 3, 3, convParams(7, {2, 2}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.4f, 13, depthwiseAlgo(7, 5, 5)},
        {"dw + Relu", {1, 7, 9, 9}, 7, 3, 3, convParams(7, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(7, 9, 9)},
        {"dw + Clip opset 10", {1, 7, 9, 9}, 7, 3, 3, convParams(7, {1, 1}, {1, 1, 1, 1}), true, Activation::Clip, -0.1f, 0.2f, 10, depthwiseAlgo(7, 9, 9)},
        {"grouped + LeakyRelu", {1, 6, 7, 7}, 6, 3, 3, convParams(3, {1, 1}, {1, 1, 1, 1}), false, Activation::LeakyRelu, 0.2f, 0, 13, "im2col-gemm"},
    };
    uint32_t seed = 400;
    for (const auto& c : cases) check(c, seed += 10);
}

// Every algorithm with activations beyond the in-register ones (Relu, Clip, LeakyRelu) that
// the SIMD epilogues compute: HardSigmoid, HardSwish (MobileNetV3), Silu (EfficientNet),
// Gelu, Tanh, Elu. The activation is set on the conv as graph::fuseActivations sets it (the
// standalone ops' schemas belong to the pointwise family), and checked against libm in double.
double actRef(const graph::FusedActivation& a, double v) {
    switch (a.kind) {
        case Activation::HardSigmoid: return std::clamp(a.alpha * v + a.beta, 0.0, 1.0);
        case Activation::HardSwish: return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0);
        case Activation::Silu: return v / (1.0 + std::exp(-v));
        case Activation::Gelu: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        case Activation::Tanh: return std::tanh(v);
        case Activation::Elu: return v < 0 ? a.alpha * std::expm1(v) : v;
        default: throw std::invalid_argument("actRef");
    }
}

std::vector<graph::FusedActivation> wideActivations() {
    std::vector<graph::FusedActivation> acts(6);
    acts[0].kind = Activation::HardSigmoid, acts[0].alpha = 1.0f / 6.0f, acts[0].beta = 0.5f;
    acts[1].kind = Activation::HardSwish;
    acts[2].kind = Activation::Silu;
    acts[3].kind = Activation::Gelu;
    acts[4].kind = Activation::Tanh;
    acts[5].kind = Activation::Elu, acts[5].alpha = 0.7f;
    return acts;
}

TEST_P(ConvTest, EveryActivationOnEveryPath) {
    struct Shape2 {
        std::string name;
        Shape x;
        int64_t M, k, group, stride, pad;
    };
    const std::vector<Shape2> shapes = {
        {"1x1 packed", {1, 20, 9, 11}, 18, 1, 1, 1, 0},
        {"1x1 gemv", {1, 40, 1, 1}, 21, 1, 1, 1, 0},
        {"im2col packed", {1, 7, 10, 9}, 17, 3, 1, 2, 1},
        {"depthwise 3x3 SIMD", {1, 6, 12, 37}, 6, 3, 6, 1, 1},
        {"depthwise 5x5", {1, 4, 9, 9}, 4, 5, 4, 1, 2},
        {"depthwise 7x7 s2 wide", {1, 3, 11, 40}, 3, 7, 3, 2, 3},
        {"depthwise channels in lanes 7x7", {1, 20, 7, 7}, 20, 3, 20, 1, 1},
        {"depthwise 5x5 14x14 (lanes on AVX-512 and AVX2)", {1, 18, 14, 14}, 18, 5, 18, 1, 2},
        {"grouped direct 3x3 s2", {1, 16, 9, 20}, 16, 3, 2, 2, 1},
        {"stem direct 3->12 s2 (channels shared by the threads)", {1, 3, 13, 20}, 12, 3, 1, 2, 1},
        {"winograd", {1, 16, 20, 20}, 16, 3, 1, 1, 1},
    };
    uint32_t seed = 480;
    for (const auto& sh : shapes)
        for (const auto& act : wideActivations()) {
            SCOPED_TRACE(sh.name + " + " + graph::activationName(act.kind));
            const Tensor x = randomTensor(sh.x, seed += 3, -2.0f, 2.0f);
            const Tensor w = randomTensor({sh.M, sh.x[1] / sh.group, sh.k, sh.k}, seed + 1, -0.5f, 0.5f);
            const Tensor b = randomTensor({sh.M}, seed + 2);
            OpGraph g;
            graph::Node& n = g.node("Conv", {g.input("x", sh.x), g.constant("w", w), g.constant("b", b)}, {g.output("y")});
            setInts(n, "kernel_shape", {sh.k, sh.k});
            setInts(n, "strides", {sh.stride, sh.stride});
            setInts(n, "pads", {sh.pad, sh.pad, sh.pad, sh.pad});
            setInt(n, "group", sh.group);
            n.act = act;
            Tensor want = ref::conv2d(x, w, b.data.data(), convParams(sh.group, {sh.stride, sh.stride}, {sh.pad, sh.pad, sh.pad, sh.pad}));
            for (float& v : want.data) v = static_cast<float>(actRef(act, v));
            EXPECT_TRUE(allClose(run1(g, {x}), want, tol()));
        }
}

// Shapes for the packed SIMD kernels (PERCEPT_CPU_ISA picks AVX-512 / AVX2 / generic; the
// op tests run under each level): several full and one partial row panel (14 / 6 rows), several
// KC blocks (K > 256), more column strips than one packed chunk, partial strips, every fused
// activation in the epilogue, and depthwise rows longer than one vector with masked tails.
TEST_P(ConvTest, PackedKernelShapes) {
    const std::vector<ConvCase> cases = {
        {"1x1 M33 K300 P150", {1, 300, 10, 15}, 33, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 M29 K70 P333 Sigmoid", {1, 70, 9, 37}, 29, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13, "1x1-gemm"},
        {"1x1 M45 K17 P49 LeakyRelu", {1, 17, 7, 7}, 45, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::LeakyRelu, 0.15f, 0, 13, "1x1-gemm"},
        {"1x1 M28 K40 P48 (16-column strip end)", {1, 40, 6, 8}, 28, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"1x1 M30 K300 P41 (9-column strip end)", {1, 300, 1, 41}, 30, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, -0.1f, 0.2f, 13, "1x1-gemm"},
        {"1x1 M20 K600 P9 Clip", {1, 600, 3, 3}, 20, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Clip, -0.1f, 0.2f, 13, "1x1-gemm"},
        {"1x1 M16 K300 P70 (B read in place: 2 whole strips, 2 KC blocks)", {1, 300, 7, 10}, 16, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true,
         Activation::LeakyRelu, 0.1f, 0, 13, "1x1-gemm"},
        {"1x1 M24 K24 P3136 (B in place, many strips)", {1, 24, 56, 56}, 24, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13,
         "1x1-gemm"},
        // Small planes with a long K (ConvNeXt-T's and ResNet-50's 7x7 stages, shrunk): partial
        // row panels and column strips, two KC blocks, batch 2, no bias.
        {"1x1 M96 K300 P49", {1, 300, 7, 7}, 96, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "1x1-gemm"},
        {"1x1 M80 K520 P41 Sigmoid, batch 2", {2, 520, 1, 41}, 80, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13,
         "1x1-gemm"},
        {"1x1 M64 K384 P49 no bias, Relu", {1, 384, 7, 7}, 64, 1, 1, convParams(1, {1, 1}, {0, 0, 0, 0}), false, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"1x1 groups 3 M42", {2, 27, 6, 11}, 42, 1, 1, convParams(3, {1, 1}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, "1x1-gemm"},
        {"3x3 M15 C35 13x15", {1, 35, 13, 15}, 15, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, "im2col-gemm"},
        {"3x3 s2 asym M17 C29", {1, 29, 17, 14}, 17, 3, 3, convParams(1, {2, 2}, {1, 0, 0, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, "im2col-gemm"},
        {"7x7 s2 5 channels wide rows (SIMD stride-2 im2col)", {1, 5, 40, 100}, 16, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, "im2col-gemm"},
        {"3x3 s2 no pad, last column read at the plane's end", {1, 4, 9, 69}, 5, 3, 3, convParams(1, {2, 2}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 M15 C64 7x7", {1, 64, 7, 7}, 15, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), false, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"3x3 on 1x1 M15 C40", {1, 40, 1, 1}, 15, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"5x5 s2 groups 2 M28", {1, 18, 21, 19}, 28, 5, 5, convParams(2, {2, 2}, {2, 1, 2, 2}), true, Activation::LeakyRelu, 0.1f, 0, 13, "im2col-gemm"},
        {"dw s1 wide 37x41 Clip", {1, 5, 37, 41}, 5, 3, 3, convParams(5, {1, 1}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, depthwiseAlgo(5, 37, 41)},
        {"dw s2 wide 35x70 Relu", {1, 3, 35, 70}, 3, 3, 3, convParams(3, {2, 2}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(3, 18, 35)},
        {"dw s2 odd 33x33 asym", {1, 4, 33, 33}, 4, 3, 3, convParams(4, {2, 2}, {0, 0, 1, 1}), true, Activation::None, 0, 0, 13, depthwiseAlgo(4, 16, 16)},
        {"dw s2 34x34 pad 1", {1, 4, 34, 34}, 4, 3, 3, convParams(4, {2, 2}, {1, 1, 1, 1}), true, Activation::LeakyRelu, 0.2f, 0, 13, depthwiseAlgo(4, 17, 17)},
        {"dw s1 no pad 5x18 Sigmoid", {1, 6, 5, 18}, 6, 3, 3, convParams(6, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13, depthwiseAlgo(6, 3, 16)},
        {"dw s1 7x7 C19", {1, 19, 7, 7}, 19, 3, 3, convParams(19, {1, 1}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.4f, 13, depthwiseAlgo(19, 7, 7)},
    };
    uint32_t seed = 450;
    for (const auto& c : cases) check(c, seed += 10);
}

// The SIMD depthwise template at 5x5 (EfficientNet, MobileNetV3) and 7x7 (ConvNeXt): rows
// longer than one vector with ragged tails, stride 2 (even and odd widths, TF-same asymmetric
// pads), planes smaller than the kernel (every tap row and column clipped), fused activations.
TEST_P(ConvTest, DepthwiseLargeKernels) {
    const std::vector<ConvCase> cases = {
        {"dw 5x5 s1 p2 wide 23x45 Sigmoid", {1, 5, 23, 45}, 5, 5, 5, convParams(5, {1, 1}, {2, 2, 2, 2}), true, Activation::Sigmoid, 0, 0, 13, depthwiseAlgo(5, 23, 45)},
        {"dw 5x5 s2 p2 40x40 Relu", {1, 4, 40, 40}, 4, 5, 5, convParams(4, {2, 2}, {2, 2, 2, 2}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(4, 20, 20)},
        {"dw 5x5 s2 odd 41x77 TF-same", {1, 3, 41, 77}, 3, 5, 5, convParams(3, {2, 2}, {1, 1, 2, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(3, 20, 38)},
        {"dw 5x5 s2 no pad 19x70", {1, 3, 19, 70}, 3, 5, 5, convParams(3, {2, 2}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(3, 8, 33)},
        {"dw 5x5 s1 on 3x3 (kernel wider than the plane)", {1, 6, 3, 3}, 6, 5, 5, convParams(6, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(6, 3, 3)},
        {"dw 5x5 s1 7x7 C17", {1, 17, 7, 7}, 17, 5, 5, convParams(17, {1, 1}, {2, 2, 2, 2}), false, Activation::Sigmoid, 0, 0, 13, depthwiseAlgo(17, 7, 7)},
        {"dw 7x7 s1 p3 30x37", {1, 4, 30, 37}, 4, 7, 7, convParams(4, {1, 1}, {3, 3, 3, 3}), true, Activation::None, 0, 0, 13, depthwiseAlgo(4, 30, 37)},
        {"dw 7x7 s1 p3 7x7 C9", {1, 9, 7, 7}, 9, 7, 7, convParams(9, {1, 1}, {3, 3, 3, 3}), true, Activation::LeakyRelu, 0.1f, 0, 13, depthwiseAlgo(9, 7, 7)},
        {"dw 7x7 s2 p3 33x66", {1, 3, 33, 66}, 3, 7, 7, convParams(3, {2, 2}, {3, 3, 3, 3}), true, Activation::Clip, -0.2f, 0.3f, 13, depthwiseAlgo(3, 17, 33)},
        {"dw 7x7 s1 asym pads 12x20", {1, 2, 12, 20}, 2, 7, 7, convParams(2, {1, 1}, {1, 4, 5, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(2, 12, 20)},
        // Stride 2 read in place (AVX-512): a kernel wider than the plane (every row and column
        // load partly or wholly masked), one output row, no bias (every activation on this path:
        // EveryActivationOnEveryPath).
        {"dw 7x7 s2 p3 on 4x5", {1, 3, 4, 5}, 3, 7, 7, convParams(3, {2, 2}, {3, 3, 3, 3}), true, Activation::None, 0, 0, 13, depthwiseAlgo(3, 2, 3)},
        {"dw 3x3 s2 one row 3x50", {1, 2, 3, 50}, 2, 3, 3, convParams(2, {2, 2}, {0, 1, 0, 1}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(2, 1, 25)},
        {"dw 5x5 s2 p2 29x58 Sigmoid", {1, 3, 29, 58}, 3, 5, 5, convParams(3, {2, 2}, {2, 2, 2, 2}), false, Activation::Sigmoid, 0, 0, 13, depthwiseAlgo(3, 15, 29)},
        // Planes padded in several bands of rows (simd_depthwise.inc, kDwBandBytes), the last
        // band of 3 rows at stride 2 and of a partial block at stride 1.
        {"dw 3x3 s2 p1 118x200 (bands)", {1, 2, 118, 200}, 2, 3, 3, convParams(2, {2, 2}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, depthwiseAlgo(2, 59, 100)},
        {"dw 5x5 s1 p2 101x190 (bands)", {1, 2, 101, 190}, 2, 5, 5, convParams(2, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, depthwiseAlgo(2, 101, 190)},
    };
    uint32_t seed = 700;
    for (const auto& c : cases) check(c, seed += 10);
}

// The channels-in-lanes kernel for small planes (MobileNets' 7x7 and 10x10 stages): channel
// counts that leave a partial last block (37 = 2 x 16 + 5 = 4 x 8 + 5 = 9 x 4 + 1), every
// kernel size, stride 2 from even and odd planes, TF-same and asymmetric pads, padding wider
// than the plane, planes of one pixel, a batch, every in-register activation and one that is
// not. At the generic level (and where a plane is too wide) the per-plane kernel runs the same
// cases, so every level checks one of the two against the reference.
TEST_P(ConvTest, DepthwiseChannelsInLanes) {
    auto dw = [](std::string name, Shape x, int64_t k, int64_t s, std::vector<int64_t> pads, Activation act, float a0, float a1) {
        const int64_t C = x[1];
        const int64_t OH = (x[2] + pads[0] + pads[2] - k) / s + 1, OW = (x[3] + pads[1] + pads[3] - k) / s + 1;
        return ConvCase{name, x, C, k, k, convParams(C, {s, s}, pads), true, act, a0, a1, 13, depthwiseAlgo(C, OH, OW)};
    };
    const std::vector<ConvCase> cases = {
        dw("3x3 s1 7x7 C37 Clip", {1, 37, 7, 7}, 3, 1, {1, 1, 1, 1}, Activation::Clip, 0.0f, 0.4f),
        dw("3x3 s2 14x14 -> 7x7 C37 Relu", {1, 37, 14, 14}, 3, 2, {1, 1, 1, 1}, Activation::Relu, 0, 0),
        dw("3x3 s2 15x15 -> 8x8 C33", {1, 33, 15, 15}, 3, 2, {1, 1, 1, 1}, Activation::None, 0, 0),
        dw("3x3 s2 TF-same 10x10 -> 5x5 C20", {1, 20, 10, 10}, 3, 2, {0, 0, 1, 1}, Activation::None, 0, 0),
        dw("3x3 s1 10x10 C16 (whole blocks)", {1, 16, 10, 10}, 3, 1, {1, 1, 1, 1}, Activation::Clip, 0.0f, 0.3f),
        dw("3x3 s1 14x14 C24", {1, 24, 14, 14}, 3, 1, {1, 1, 1, 1}, Activation::None, 0, 0),
        dw("3x3 s1 no pad 9x6 C18", {1, 18, 9, 6}, 3, 1, {0, 0, 0, 0}, Activation::LeakyRelu, 0.1f, 0),
        dw("3x3 s1 asym pads 6x7 C21", {1, 21, 6, 7}, 3, 1, {2, 0, 0, 2}, Activation::None, 0, 0),
        dw("3x3 s1 on 1x1 C40", {1, 40, 1, 1}, 3, 1, {1, 1, 1, 1}, Activation::Relu, 0, 0),
        dw("3x3 s2 on 2x2 C17", {1, 17, 2, 2}, 3, 2, {1, 1, 1, 1}, Activation::None, 0, 0),
        dw("5x5 s1 7x7 C37 Sigmoid", {1, 37, 7, 7}, 5, 1, {2, 2, 2, 2}, Activation::Sigmoid, 0, 0),
        dw("5x5 s2 14x14 -> 7x7 C19", {1, 19, 14, 14}, 5, 2, {2, 2, 2, 2}, Activation::Clip, -0.2f, 0.3f),
        dw("5x5 s1 on 3x3 pad 2 C16", {1, 16, 3, 3}, 5, 1, {2, 2, 2, 2}, Activation::None, 0, 0),
        dw("7x7 s1 7x7 pad 3 C23", {1, 23, 7, 7}, 7, 1, {3, 3, 3, 3}, Activation::None, 0, 0),
        dw("7x7 s2 13x13 -> 7x7 C18", {1, 18, 13, 13}, 7, 2, {3, 3, 3, 3}, Activation::Relu, 0, 0),
        dw("3x3 s1 5x9 C37 batch 2", {2, 37, 5, 9}, 3, 1, {1, 1, 1, 1}, Activation::Clip, 0.0f, 0.4f),
    };
    uint32_t seed = 800;
    for (const auto& c : cases) check(c, seed += 10);
}

// The direct grouped kernel (RegNet: 8 channels in and out per group; and stems of <= 4 input
// channels, ungrouped): stride 1 and 2, 8 and
// 4 output channels per block (12 = 8 + 4, 16), fewer or more inputs than outputs per group,
// rows wider than one vector with ragged ends, odd planes, asymmetric pads, batch 2, planes
// smaller than the kernel's reach, fused activations; and the shapes it leaves to im2col.
TEST_P(ConvTest, GroupedDirect) {
    const std::string algo = grouped();
    const std::vector<ConvCase> cases = {
        {"g6 8->8 s1 28x28 Relu", {1, 48, 28, 28}, 48, 3, 3, convParams(6, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo},
        {"g4 8->8 s2 29x35", {1, 32, 29, 35}, 32, 3, 3, convParams(4, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo},
        {"g3 8->12 s1 7x7", {1, 24, 7, 7}, 36, 3, 3, convParams(3, {1, 1}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, algo},
        {"g2 4->16 s2 TF-same 20x41", {1, 8, 20, 41}, 32, 3, 3, convParams(2, {2, 2}, {0, 0, 1, 1}), false, Activation::LeakyRelu, 0.1f, 0, 13, algo},
        {"g5 12->4 s1 no pad 9x50 Sigmoid", {1, 60, 9, 50}, 20, 3, 3, convParams(5, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13, algo},
        {"g2 8->8 s1 batch 2 asym", {2, 16, 11, 13}, 16, 3, 3, convParams(2, {1, 1}, {2, 0, 0, 2}), true, Activation::Relu, 0, 0, 13, algo},
        {"g2 8->8 s2 on 2x2", {1, 16, 2, 2}, 16, 3, 3, convParams(2, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo},
        {"g2 8->8 s1 pad 2 on 3x3", {1, 16, 3, 3}, 16, 3, 3, convParams(2, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, algo},
        {"stem 3->32 s2 37x45 Clip", {1, 3, 37, 45}, 32, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.4f, 13, stem()},
        {"stem 3->16 s2 TF-same 40x40", {1, 3, 40, 40}, 16, 3, 3, convParams(1, {2, 2}, {0, 0, 1, 1}), true, Activation::Relu, 0, 0, 13, stem()},
        {"stem 1->8 s1 batch 2", {2, 1, 19, 21}, 8, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), false, Activation::None, 0, 0, 13, stem()},
        {"stem 4->12 s1 no pad", {1, 4, 10, 33}, 12, 3, 3, convParams(1, {1, 1}, {0, 0, 0, 0}), true, Activation::Sigmoid, 0, 0, 13, stem()},
        // 7x7: ResNet's stem (stride 2, pad 3, 64 outputs: eight 8-channel blocks), stride 1,
        // TF's SAME padding on an odd plane, grouped, a plane narrower than the kernel.
        {"7x7 stem 3->64 s2 pad 3 Relu", {1, 3, 45, 38}, 64, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, stem()},
        {"7x7 stem 1->12 s1 batch 2", {2, 1, 23, 19}, 12, 7, 7, convParams(1, {1, 1}, {3, 3, 3, 3}), false, Activation::None, 0, 0, 13, stem()},
        {"7x7 stem 3->20 s2 TF-same 33x41 Clip", {1, 3, 33, 41}, 20, 7, 7, convParams(1, {2, 2}, {2, 2, 3, 3}), true, Activation::Clip, 0.0f, 0.5f, 13, stem()},
        {"7x7 g2 8->8 s1 17x21 Sigmoid", {1, 16, 17, 21}, 16, 7, 7, convParams(2, {1, 1}, {3, 3, 3, 3}), true, Activation::Sigmoid, 0, 0, 13, algo},
        {"7x7 g3 4->4 s2 no pad 15x16", {1, 12, 15, 16}, 12, 7, 7, convParams(3, {2, 2}, {0, 0, 0, 0}), true, Activation::None, 0, 0, 13, algo},
        {"7x7 stem 3->8 s2 on 4x5", {1, 3, 4, 5}, 8, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, stem()},
        {"5 inputs ->32 (im2col)", {1, 5, 12, 12}, 32, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"g2 32->32 (im2col)", {1, 64, 9, 9}, 64, 3, 3, convParams(2, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
        {"g4 dilation 2 (im2col)", {1, 32, 12, 12}, 32, 3, 3, convParams(4, {1, 1}, {2, 2, 2, 2}, {2, 2}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
    };
    uint32_t seed = 800;
    for (const auto& c : cases) check(c, seed += 10);
}

// Winograd F(4x4, 3x3) (3x3 stride 1, >= 16 channels each side, >= 16 tiles; else F(2x2, 3x3)
// when that has >= 16 tiles) on odd shapes:
// channels not multiples of 8/16, odd and non-multiple-of-4 sizes (partial tiles), asymmetric and
// no pads, rows wider than one vector of tiles, two KC blocks (C > 256), batch 2, every fused
// activation, per-thread blocks (56x56) and the shared-block path (F(2x2) on 10x10 on 2
// threads). On several threads a plane with too few 4x4 tiles for a block per thread but
// enough 2x2 ones takes F(2x2) (onThreads: most of the F(4x4) cases on 2 threads). Generic
// (no packed SGEMM) keeps im2col, and so do planes of too few tiles.
TEST_P(ConvTest, Winograd) {
    const std::string algo = testIsa() == cpu::Isa::Generic ? "im2col-gemm" : "winograd";
    const std::string algo2 = testIsa() == cpu::Isa::Generic ? "im2col-gemm" : "winograd2x2";
    const std::vector<ConvCase> cases = {
        {"C17 M19 23x21 pad 1", {1, 17, 23, 21}, 19, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo},
        {"C35 M31 25x27 pad 1", {1, 35, 25, 27}, 31, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo},
        {"C16 M16 26x26 no pad", {1, 16, 26, 26}, 16, 3, 3, convParams(1, {1, 1}, {0, 0, 0, 0}), false, Activation::None, 0, 0, 13, algo},
        {"C20 M24 22x23 asym pads", {1, 20, 22, 23}, 24, 3, 3, convParams(1, {1, 1}, {2, 0, 0, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, algo},
        {"C16 M21 9x70 wide rows", {1, 16, 9, 70}, 21, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::LeakyRelu, 0.1f, 0, 13, algo},
        {"C300 M18 22x21 two KC blocks", {1, 300, 22, 21}, 18, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Sigmoid, 0, 0, 13, algo},
        {"C64 M70 56x56 blocks", {1, 64, 56, 56}, 70, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo},
        {"C200 M40 22x22 (36 tiles)", {1, 200, 22, 22}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo},
        {"batch 2 C18 M17 23x22", {2, 18, 23, 22}, 17, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo},
        {"C40 M40 14x14 (16 tiles)", {1, 40, 14, 14}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo},
        // Few tiles across (2 TX <= the vector's lanes): the output transform takes a vector of
        // tiles whatever their tile row; 3 across makes runs that start mid-row at every level.
        {"C24 M20 24x12 (3 tiles across)", {1, 24, 24, 12}, 20, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo},
        {"C19 M23 27x27 (7 tiles across)", {1, 19, 27, 27}, 23, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, algo},
        // F(2x2, 3x3) where 4x4 tiles are too few.
        {"F2 C40 M40 10x10", {1, 40, 10, 10}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, algo2},
        {"F2 C33 M40 7x7", {1, 33, 7, 7}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, algo2},
        {"F2 C20 M17 9x11 asym pads", {1, 20, 9, 11}, 17, 3, 3, convParams(1, {1, 1}, {2, 0, 0, 1}), true, Activation::Clip, 0.0f, 0.3f, 13, algo2},
        {"F2 C300 M18 7x7 two KC blocks", {1, 300, 7, 7}, 18, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Sigmoid, 0, 0, 13, algo2},
        {"F2 C16 M21 2x40 wide rows", {1, 16, 2, 40}, 21, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::LeakyRelu, 0.1f, 0, 13, algo2},
        {"F2 batch 2 C17 M16 10x11 no pad", {2, 17, 10, 11}, 16, 3, 3, convParams(1, {1, 1}, {0, 0, 0, 0}), false, Activation::None, 0, 0, 13, algo2},
        {"C40 M40 6x6 too few tiles", {1, 40, 6, 6}, 40, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"},
    };
    // On T > 1 threads, F(4x4) only where it has 24 T tiles or F(2x2) fewer than 24 T.
    auto onThreads = [&](ConvCase c) {
        const int64_t OH = c.x[2] + c.p.pads[0] + c.p.pads[2] - 2, OW = c.x[3] + c.p.pads[1] + c.p.pads[3] - 2;
        const int64_t tiles4 = (OH + 3) / 4 * ((OW + 3) / 4), tiles2 = (OH + 1) / 2 * ((OW + 1) / 2), perThread = 24 * threads();
        if (c.algo == "winograd" && threads() > 1 && tiles4 < perThread && tiles2 >= perThread) c.algo = "winograd2x2";
        return c;
    };
    uint32_t seed = 470;
    for (const auto& c : cases) check(onThreads(c), seed += 10);
}

// A conv whose only reader is a MaxPool runs as one Conv+MaxPool kernel on the CPU (bands
// of pooled rows computed from the conv rows they need): stems (SqueezeNet's 3x3 s2, ResNet's
// 7x7 s2 pad 3 + pool pad 1), ceil_mode, pooling with stride 1, planes tall enough for many
// bands (band edges recomputed), output channels not a multiple of the GEMM panel, batch 2,
// fused activations before the pool. Where the conv's output has a second reader, or the
// conv takes another path (Winograd), the two stay separate.
TEST_P(ConvTest, ConvThenMaxPool) {
    struct Case {
        std::string name;
        ConvCase conv;
        ref::PoolParams pool;
        bool fused;   // on AVX2/AVX-512
        bool direct;  // the conv rows by the direct kernel (a 7x7 stem groupConvApplies takes), not im2col
    };
    auto poolParams = [](std::vector<int64_t> k, std::vector<int64_t> st, std::vector<int64_t> pads, bool ceil) {
        ref::PoolParams p;
        p.kernel = std::move(k), p.strides = std::move(st), p.pads = std::move(pads), p.ceilMode = ceil;
        return p;
    };
    const std::vector<Case> cases = {
        {"SqueezeNet stem", {"", {1, 3, 57, 59}, 64, 3, 3, convParams(1, {2, 2}, {0, 0, 0, 0}), true, Activation::Relu, 0, 0, 13, ""}, poolParams({3, 3}, {2, 2}, {0, 0, 0, 0}, true), true, false},
        {"ResNet stem", {"", {1, 3, 64, 62}, 20, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, ""}, poolParams({3, 3}, {2, 2}, {1, 1, 1, 1}, false), true, true},
        {"ResNet stem, 64 outputs, many bands", {"", {1, 3, 300, 37}, 64, 7, 7, convParams(1, {2, 2}, {3, 3, 3, 3}), true, Activation::Relu, 0, 0, 13, ""}, poolParams({3, 3}, {2, 2}, {1, 1, 1, 1}, false), true, true},
        {"direct 7x7 stride 1, tall plane", {"", {1, 1, 260, 23}, 8, 7, 7, convParams(1, {1, 1}, {3, 3, 3, 3}), false, Activation::Clip, 0.0f, 0.3f, 13, ""}, poolParams({2, 2}, {2, 2}, {0, 0, 0, 0}, false), true, true},
        {"tall plane, many bands", {"", {1, 2, 400, 41}, 17, 3, 3, convParams(1, {2, 2}, {1, 1, 1, 1}), false, Activation::Clip, 0.0f, 0.3f, 13, ""}, poolParams({2, 2}, {2, 2}, {0, 0, 0, 0}, false), true, false},
        {"pool stride 1 pad 1", {"", {1, 4, 30, 33}, 9, 5, 5, convParams(1, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, ""}, poolParams({3, 3}, {1, 1}, {1, 1, 1, 1}, false), true, false},
        {"batch 2 asym pads", {"", {2, 3, 35, 36}, 30, 3, 3, convParams(1, {2, 2}, {1, 0, 0, 1}), true, Activation::LeakyRelu, 0.1f, 0, 13, ""}, poolParams({3, 3}, {2, 2}, {0, 1, 1, 0}, true), true, false},
        {"batch 2 asym pads, direct", {"", {2, 3, 35, 36}, 32, 7, 7, convParams(1, {2, 2}, {3, 2, 2, 3}), true, Activation::LeakyRelu, 0.1f, 0, 13, ""}, poolParams({3, 3}, {2, 2}, {0, 1, 1, 0}, true), true, true},
        {"Winograd conv stays separate", {"", {1, 16, 24, 24}, 16, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, ""}, poolParams({2, 2}, {2, 2}, {0, 0, 0, 0}, false), false, false},
    };
    const bool simd = testIsa() != cpu::Isa::Generic;
    uint32_t seed = 700;
    for (const auto& c : cases) {
        for (bool secondReader : {false, true}) {
            SCOPED_TRACE(c.name + (secondReader ? " (conv output read twice)" : ""));
            const ConvCase& cc = c.conv;
            seed += 10;
            const Tensor x = randomTensor(cc.x, seed);
            const Tensor w = randomTensor({cc.M, cc.x[1], cc.kh, cc.kw}, seed + 1, -0.5f, 0.5f);
            const Tensor b = randomTensor({cc.M}, seed + 2);
            OpGraph g;
            std::vector<int> ins = {g.input("x", cc.x), g.constant("w", w)};
            if (cc.bias) ins.push_back(g.constant("b", b));
            const int convOut = g.value("c");
            graph::Node& conv = g.node("Conv", ins, {convOut}, "conv");
            setInts(conv, "kernel_shape", {cc.kh, cc.kw});
            setInts(conv, "strides", cc.p.strides);
            setInts(conv, "pads", cc.p.pads);
            int pooled = convOut;
            if (cc.act != Activation::None) {
                pooled = g.value("a");
                switch (cc.act) {
                    case Activation::Relu: g.node("Relu", {convOut}, {pooled}); break;
                    case Activation::LeakyRelu: setFloat(g.node("LeakyRelu", {convOut}, {pooled}), "alpha", cc.a0); break;
                    default: g.node("Clip", {convOut, g.constant("lo", Tensor({}, {cc.a0})), g.constant("hi", Tensor({}, {cc.a1}))}, {pooled}); break;
                }
            }
            graph::Node& pool = g.node("MaxPool", {pooled}, {g.output("y")}, "pool");
            setInts(pool, "kernel_shape", c.pool.kernel);
            setInts(pool, "strides", c.pool.strides);
            setInts(pool, "pads", c.pool.pads);
            if (c.pool.ceilMode) setInt(pool, "ceil_mode", 1);
            if (secondReader) g.node("Relu", {pooled}, {g.output("also")});
            Stats stats;
            const auto got = run(g, {x}, &stats);
            const Tensor convRef = ref::actAll(ref::conv2d(x, w, cc.bias ? b.data.data() : nullptr, cc.p), cc.act, cc.a0, cc.a1);
            ASSERT_FALSE(got.empty());
            EXPECT_TRUE(allClose(got[0], ref::pool2d(convRef, c.pool, true), tol()));
            if (backend() == Backend::Cpu) {
                const bool fused = simd && c.fused && !secondReader;
                ASSERT_EQ(stats.layers.size(), secondReader ? 3u : 2u);
                EXPECT_EQ(stats.layers[0].algo.rfind(c.direct ? "direct+maxpool" : "im2col-gemm+maxpool", 0) == 0, fused) << stats.layers[0].algo;
                EXPECT_EQ(stats.layers[1].algo == "in conv", fused) << stats.layers[1].algo;
            }
        }
    }
}

// A 1x1 conv whose only reader is a 3x3 depthwise conv runs with it as one kernel on the CPU
// where its output would not stay in cache (cpu::pointwiseDepthwisePays): the depthwise output
// a band of rows at a time from the expanded rows it reads, the rows two bands share kept in
// the band buffer. MobileNetV2's stride-2 block (pad 1) and TF's SAME padding (bottom/right
// only), stride 1 with many bands (256 channels of 64-wide rows: 6 output rows a band), odd
// widths, output channels not a multiple of the GEMM panel, batch 2, the activations the
// MobileNets and EfficientNet fuse into either conv. A second reader of the 1x1 output, a 5x5
// depthwise conv, a small plane, or a grouped second conv keep the two apart.
TEST_P(ConvTest, PointwiseThenDepthwise) {
    struct Case {
        std::string name;
        Shape x;            // the 1x1 conv's input
        int64_t M;          // its output channels, the depthwise conv's
        int64_t k, stride;  // the depthwise conv's kernel and stride
        std::vector<int64_t> pads;
        Activation act1, act2;
        int64_t group;      // the second conv's group (M: depthwise)
        bool fused;         // where the level has the SIMD kernels, on 1 thread
    };
    const std::vector<Case> cases = {
        {"MobileNetV2 stride 2", {1, 16, 72, 60}, 64, 3, 2, {1, 1, 1, 1}, Activation::Clip, Activation::Clip, 64, true},
        {"TF SAME stride 2, odd width", {1, 8, 64, 49}, 72, 3, 2, {0, 0, 1, 1}, Activation::Relu, Activation::None, 72, true},
        {"stride 2, 20 output rows (10 a thread on 2)", {1, 16, 40, 90}, 64, 3, 2, {1, 1, 1, 1}, Activation::Clip, Activation::Clip, 64, true},
        {"stride 1, many bands", {1, 4, 48, 64}, 256, 3, 1, {1, 1, 1, 1}, Activation::Silu, Activation::Silu, 256, true},
        {"stride 1, 61 wide, M 70", {1, 24, 50, 61}, 70, 3, 1, {1, 1, 1, 1}, Activation::HardSwish, Activation::Relu, 70, true},
        {"batch 2, no pads", {2, 12, 40, 64}, 80, 3, 1, {0, 0, 0, 0}, Activation::None, Activation::Clip, 80, true},
        {"5x5 stays separate", {1, 8, 40, 40}, 144, 5, 1, {2, 2, 2, 2}, Activation::Silu, Activation::Silu, 144, false},
        {"small plane stays separate", {1, 16, 20, 20}, 96, 3, 1, {1, 1, 1, 1}, Activation::Clip, Activation::Clip, 96, false},
        {"grouped conv stays separate", {1, 8, 40, 64}, 96, 3, 1, {1, 1, 1, 1}, Activation::Relu, Activation::Relu, 48, false},
    };
    const bool simd = testIsa() != cpu::Isa::Generic;
    const float clipLo = 0.0f, clipHi = 0.6f;
    // act(from) as a node of the graph, into value `name` (the Clip's bounds clipLo, clipHi).
    auto addAct = [&](OpGraph& g, Activation a, int from, const std::string& name, int to) {
        if (a == Activation::None) return from;
        const int out = to >= 0 ? to : g.value(name);
        switch (a) {
            case Activation::Relu: g.node("Relu", {from}, {out}); break;
            case Activation::HardSwish: g.node("HardSwish", {from}, {out}); break;
            case Activation::Silu: {
                const int sg = g.value(name + "_sigmoid");
                g.node("Sigmoid", {from}, {sg});
                g.node("Mul", {from, sg}, {out});
                break;
            }
            default:
                g.node("Clip", {from, g.constant(name + "_lo", Tensor({}, {clipLo})), g.constant(name + "_hi", Tensor({}, {clipHi}))}, {out});
                break;
        }
        return out;
    };
    uint32_t seed = 900;
    for (const auto& c : cases) {
        for (bool secondReader : {false, true}) {
            SCOPED_TRACE(c.name + (secondReader ? " (1x1 output read twice)" : ""));
            seed += 10;
            const Tensor x = randomTensor(c.x, seed);
            const Tensor w1 = randomTensor({c.M, c.x[1], 1, 1}, seed + 1, -0.5f, 0.5f);
            const Tensor b1 = randomTensor({c.M}, seed + 2);
            const Tensor w2 = randomTensor({c.M, c.M / c.group, c.k, c.k}, seed + 3, -0.5f, 0.5f);
            const Tensor b2 = randomTensor({c.M}, seed + 4);
            OpGraph g(14);  // HardSwish
            const int e = g.value("e");
            g.node("Conv", {g.input("x", c.x), g.constant("w1", w1), g.constant("b1", b1)}, {e}, "expand");
            const int ea = addAct(g, c.act1, e, "ea", -1);
            const int d = c.act2 == Activation::None ? g.output("y") : g.value("d");
            graph::Node& dw = g.node("Conv", {ea, g.constant("w2", w2), g.constant("b2", b2)}, {d}, "depthwise");
            setInts(dw, "kernel_shape", {c.k, c.k});
            setInts(dw, "strides", {c.stride, c.stride});
            setInts(dw, "pads", c.pads);
            setInt(dw, "group", c.group);
            addAct(g, c.act2, d, "da", c.act2 == Activation::None ? -1 : g.output("y"));
            if (secondReader) g.node("Relu", {ea}, {g.output("also")});
            Stats stats;
            const auto got = run(g, {x}, &stats);
            const float a1 = c.act1 == Activation::Clip ? clipLo : 0.0f, a1b = c.act1 == Activation::Clip ? clipHi : 0.0f;
            const float a2 = c.act2 == Activation::Clip ? clipLo : 0.0f, a2b = c.act2 == Activation::Clip ? clipHi : 0.0f;
            const Tensor expanded = ref::actAll(ref::conv2d(x, w1, b1.data.data(), convParams(1, {1, 1}, {0, 0, 0, 0})), c.act1, a1, a1b);
            const Tensor want =
                ref::actAll(ref::conv2d(expanded, w2, b2.data.data(), convParams(c.group, {c.stride, c.stride}, c.pads)), c.act2, a2, a2b);
            ASSERT_FALSE(got.empty());
            EXPECT_TRUE(allClose(got[0], want, tol()));
            if (backend() == Backend::Cpu) {
                const int64_t OH = (c.x[2] + c.pads[0] + c.pads[2] - c.k) / c.stride + 1;
                const bool fused = simd && c.fused && !secondReader && cpu::pointwiseDepthwisePays(c.M, c.x[2] * c.x[3], c.k, c.stride, OH, threads());
                ASSERT_GE(stats.layers.size(), 2u);
                EXPECT_EQ(stats.layers[0].algo.rfind("1x1-gemm+depthwise", 0) == 0, fused) << stats.layers[0].algo;
                EXPECT_EQ(stats.layers[1].algo == "in expand", fused) << stats.layers[1].algo;
            }
        }
    }
}

// Reduction depths whose column matrix is far over the tile budget: the output is built from
// several im2col tiles (down to one column per tile), and the workspace stays bounded.
TEST_P(ConvTest, LargeKUsesSeveralIm2colTiles) {
    struct Big {
        ConvCase c;
        int64_t minTiles;
    };
    const std::vector<Big> cases = {
        {{"C256 3x3 16x16", {1, 256, 16, 16}, 8, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::Relu, 0, 0, 13, "im2col-gemm"}, 2},
        {{"C600 5x5 8x8", {1, 600, 8, 8}, 4, 5, 5, convParams(1, {1, 1}, {2, 2, 2, 2}), true, Activation::None, 0, 0, 13, "im2col-gemm"}, 4},
        {{"C30000 3x3 2x2 (1-column tiles)", {1, 30000, 2, 2}, 2, 3, 3, convParams(1, {1, 1}, {1, 1, 1, 1}), true, Activation::None, 0, 0, 13, "im2col-gemm"}, 4},
        {{"groups 2 C512 3x3 s2", {1, 512, 24, 24}, 6, 3, 3, convParams(2, {2, 2}, {1, 1, 0, 0}), true, Activation::None, 0, 0, 13, "im2col-gemm"}, 2},
    };
    uint32_t seed = 500;
    for (const auto& b : cases) {
        const ConvCase& c = b.c;
        const int64_t K = c.x[1] / c.p.group * c.kh * c.kw;
        const int64_t OH = (c.x[2] + c.p.pads[0] + c.p.pads[2] - c.kh) / c.p.strides[0] + 1;
        const int64_t OW = (c.x[3] + c.p.pads[1] + c.p.pads[3] - c.kw) / c.p.strides[1] + 1;
        const int64_t P = OH * OW;
        ASSERT_GT(K * P * 4, cpu::kIm2colTileBytes) << c.name << ": the column matrix should exceed one tile";
        const int64_t tile = cpu::im2colTileColumns(K, P);
        EXPECT_GE(tile, 1);
        EXPECT_LE(tile * K * 4, std::max<int64_t>(cpu::kIm2colTileBytes, K * 4)) << c.name;
        EXPECT_GE((P + tile - 1) / tile, b.minTiles) << c.name;
        check(c, seed += 10);
        // The session's workspace is the tile buffers: bounded by threads x 1 MiB (plus each
        // thread's slice rounded to whole pages, op_util.h threadStride).
        OpGraph g;
        const int in = g.input("x", c.x);
        graph::Node& n = g.node("Conv", {in, g.constant("w", Tensor({c.M, c.x[1] / c.p.group, c.kh, c.kw}))}, {g.output("y")});
        setInts(n, "pads", c.p.pads);
        setInts(n, "strides", c.p.strides);
        setInt(n, "group", c.p.group);
        const Model model = detail::modelFromGraph(g.g, "ws");
        if (backend() == Backend::Cpu) {
            SessionOptions opt;
            opt.threads = threads();
            auto session = Session::create(model, opt);
            EXPECT_LE(session->stats().workspaceBytes, static_cast<size_t>(threads()) * (static_cast<size_t>(std::max<int64_t>(cpu::kIm2colTileBytes, K * 4)) + cpu::kWorkspacePageBytes))
                << c.name;
        }
    }
}

// The tile planner itself, on its boundaries.
TEST(Im2colPlan, TileColumns) {
    EXPECT_EQ(cpu::im2colTileColumns(9, 100), 100);                         // small: one tile
    EXPECT_EQ(cpu::im2colTileColumns(1 << 20, 50), 1);                      // K alone over budget: 1 column
    EXPECT_EQ(cpu::im2colTileColumns(2304, 100000) % 16, 0);                // whole SIMD widths
    EXPECT_LE(cpu::im2colTileColumns(2304, 100000) * 2304 * 4, cpu::kIm2colTileBytes);
    EXPECT_EQ(cpu::im2colTileColumns(4, 0), 1);
}

PERCEPT_OP_TEST_SUITE(ConvTest);

// ---- 1-D and 3-D convolutions --------------------------------------------------------------

struct ConvNdCase {
    std::string name;
    Shape x;  // N, C, spatial...
    int64_t M = 1;
    std::vector<int64_t> kernel = {};
    int64_t group = 1;
    std::vector<int64_t> strides = {}, pads = {}, dilations = {};  // empty: absent (defaults)
    std::string autoPad = "";
    Activation act = Activation::None;
    std::string algo = "";  // expected CPU algorithm family
};

// The conv of ONNX's definition on any number of spatial axes, from explicit begin pads and the
// output's spatial shape, in double.
Tensor convNdRef(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group, const std::vector<int64_t>& strides,
                 const std::vector<int64_t>& padBegin, const std::vector<int64_t>& dil, const Shape& outSpatial) {
    const size_t sp = outSpatial.size();
    const int64_t N = x.shape[0], C = x.shape[1], M = w.shape[0], Cg = C / group, Mg = M / group;
    const Shape xs(x.shape.begin() + 2, x.shape.end()), ks(w.shape.begin() + 2, w.shape.end());
    const int64_t taps = elementCount(ks), inPlane = elementCount(xs), outPlane = elementCount(outSpatial);
    Shape os = {N, M};
    os.insert(os.end(), outSpatial.begin(), outSpatial.end());
    Tensor y(os);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t o = 0; o < outPlane; ++o) {
                const auto oi = unravel(o, outSpatial);
                double acc = b.data[m];
                for (int64_t c = 0; c < Cg; ++c)
                    for (int64_t t = 0; t < taps; ++t) {
                        const auto kk = unravel(t, ks);
                        std::vector<int64_t> ii(sp);
                        bool inside = true;
                        for (size_t a = 0; a < sp; ++a) {
                            ii[a] = oi[a] * strides[a] - padBegin[a] + kk[a] * dil[a];
                            inside = inside && ii[a] >= 0 && ii[a] < xs[a];
                        }
                        if (inside)
                            acc += static_cast<double>(x.data[(n * C + (m / Mg) * Cg + c) * inPlane + ravel(ii, xs)]) *
                                   w.data[(m * Cg + c) * taps + t];
                    }
                y.data[(n * M + m) * outPlane + o] = static_cast<float>(acc);
            }
    return y;
}

class ConvNdTest : public OpTest {
protected:
    void check(const ConvNdCase& c, uint32_t seed) {
        SCOPED_TRACE(c.name);
        const size_t sp = c.kernel.size();
        Shape ws = {c.M, c.x[1] / c.group};
        ws.insert(ws.end(), c.kernel.begin(), c.kernel.end());
        const Tensor x = randomTensor(c.x, seed), w = randomTensor(ws, seed + 1, -0.5f, 0.5f), b = randomTensor({c.M}, seed + 2);
        OpGraph g;
        const int y = c.act == Activation::None ? g.output("y") : g.value("y");
        graph::Node& n = g.node("Conv", {g.input("x", c.x), g.constant("w", w), g.constant("b", b)}, {y});
        if (c.group != 1) setInt(n, "group", c.group);
        if (!c.strides.empty()) setInts(n, "strides", c.strides);
        if (!c.pads.empty()) setInts(n, "pads", c.pads);
        if (!c.dilations.empty()) setInts(n, "dilations", c.dilations);
        if (!c.autoPad.empty()) setString(n, "auto_pad", c.autoPad);
        if (c.act != Activation::None) addActivation(g, c.act, y);
        // The output size and begin pads, from ONNX's formulas (auto_pad SAME: ceil(in / stride),
        // the odd pad at the end for SAME_UPPER).
        std::vector<int64_t> st(sp, 1), dl(sp, 1), pb(sp, 0);
        Shape out(sp);
        for (size_t a = 0; a < sp; ++a) {
            if (!c.strides.empty()) st[a] = c.strides[a];
            if (!c.dilations.empty()) dl[a] = c.dilations[a];
            const int64_t in = c.x[2 + a], ext = (c.kernel[a] - 1) * dl[a] + 1;
            if (c.autoPad == "SAME_UPPER" || c.autoPad == "SAME_LOWER") {
                out[a] = (in + st[a] - 1) / st[a];
                const int64_t total = std::max<int64_t>(0, (out[a] - 1) * st[a] + ext - in);
                pb[a] = c.autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
            } else {
                const int64_t p0 = c.pads.empty() ? 0 : c.pads[a], p1 = c.pads.empty() ? 0 : c.pads[sp + a];
                pb[a] = p0;
                out[a] = (in + p0 + p1 - ext) / st[a] + 1;
            }
        }
        Stats stats;
        const Tensor got = run1(g, {x}, &stats);
        EXPECT_TRUE(allClose(got, ref::actAll(convNdRef(x, w, b, c.group, st, pb, dl, out), c.act), tol()));
        ASSERT_EQ(stats.layers.size(), 1u);
        if (backend() == Backend::Cpu && !c.algo.empty()) {
            const std::string& algo = stats.layers[0].algo;
            EXPECT_EQ(algo.substr(0, algo.find('/')), c.algo);
            // ... and the level that ran is the session's (NEON on arm64, AVX2/AVX-512 on x86-64).
            if (algo.find('/') != std::string::npos) {
                EXPECT_EQ(algo.substr(algo.find('/') + 1), cpu::isaName(testIsa()));
            }
        }
    }
};

// 1-D convs run as 2-D planes of one row: every 2-D algorithm applies.
TEST_P(ConvNdTest, OneD) {
    const std::vector<ConvNdCase> cases = {
        {"k3", {1, 4, 17}, 5, {3}, 1, {}, {}, {}, "", Activation::None, "im2col-gemm"},
        {"k5 stride 2 asym pads", {2, 3, 20}, 6, {5}, 1, {2}, {2, 1}, {}, "", Activation::None, "im2col-gemm"},
        {"dilation 3 pad 3", {1, 5, 15}, 4, {3}, 1, {}, {3, 3}, {3}, "", Activation::None, "im2col-gemm"},
        {"groups 2", {1, 6, 11}, 4, {3}, 2, {1}, {1, 1}, {}, "", Activation::None, "im2col-gemm"},
        {"depthwise k5 stride 2", {1, 7, 23}, 7, {5}, 7, {2}, {2, 2}, {}, "", Activation::Relu, "depthwise"},
        {"1x1", {1, 9, 31}, 5, {1}, 1, {}, {}, {}, "", Activation::None, "1x1-gemm"},
        {"SAME_UPPER stride 2", {1, 3, 10}, 4, {4}, 1, {2}, {}, {}, "SAME_UPPER", Activation::None, "im2col-gemm"},
        {"SAME_LOWER", {1, 3, 9}, 4, {4}, 1, {}, {}, {}, "SAME_LOWER", Activation::None, "im2col-gemm"},
        {"VALID", {1, 3, 9}, 2, {3}, 1, {2}, {}, {}, "VALID", Activation::None, "im2col-gemm"},
        {"long (wav2vec-like k10 s5) Clip", {1, 8, 400}, 16, {10}, 1, {5}, {}, {}, "", Activation::Clip, "im2col-gemm"},
    };
    uint32_t seed = 600;
    for (const auto& c : cases) check(c, seed += 10);
}

// 3-D convs: im2col over (c, kz, ky, kx), 1x1x1 as a plain GEMM.
TEST_P(ConvNdTest, ThreeD) {
    const std::vector<ConvNdCase> cases = {
        {"3x3x3", {1, 3, 5, 6, 7}, 4, {3, 3, 3}, 1, {}, {}, {}, "", Activation::None, "im2col-gemm"},
        {"3x3x3 pad 1 stride 2", {1, 4, 7, 6, 9}, 5, {3, 3, 3}, 1, {2, 2, 2}, {1, 1, 1, 1, 1, 1}, {}, "", Activation::Relu, "im2col-gemm"},
        {"asym pads strides (1,2,3)", {1, 2, 6, 7, 8}, 3, {2, 3, 2}, 1, {1, 2, 3}, {1, 0, 1, 0, 2, 1}, {}, "", Activation::None, "im2col-gemm"},
        {"dilation (2,1,2)", {1, 3, 7, 5, 7}, 2, {3, 2, 3}, 1, {}, {2, 0, 2, 2, 1, 2}, {2, 1, 2}, "", Activation::None, "im2col-gemm"},
        {"groups 2 batch 2", {2, 4, 4, 5, 5}, 6, {3, 1, 3}, 2, {}, {1, 0, 1, 1, 0, 1}, {}, "", Activation::None, "im2col-gemm"},
        {"depthwise 3-D", {1, 5, 4, 6, 6}, 5, {3, 3, 3}, 5, {1, 2, 2}, {1, 1, 1, 1, 1, 1}, {}, "", Activation::None, "im2col-gemm"},
        {"1x1x1", {1, 13, 3, 4, 5}, 7, {1, 1, 1}, 1, {}, {}, {}, "", Activation::Sigmoid, "1x1-gemm"},
        {"SAME_UPPER stride 2", {1, 3, 5, 6, 7}, 4, {3, 3, 3}, 1, {2, 2, 2}, {}, {}, "SAME_UPPER", Activation::None, "im2col-gemm"},
        {"C40 M24 (packed panels, tiles)", {1, 40, 6, 12, 12}, 24, {3, 3, 3}, 1, {}, {1, 1, 1, 1, 1, 1}, {}, "", Activation::None, "im2col-gemm"},
    };
    uint32_t seed = 650;
    for (const auto& c : cases) check(c, seed += 10);
}

PERCEPT_OP_TEST_SUITE(ConvNdTest);



}  // namespace
}  // namespace percept::optest
