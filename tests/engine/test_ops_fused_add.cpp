// SPDX-License-Identifier: Apache-2.0
// Adds folded into the node before them (graph::fusedAddCandidates).
//
// Residual connections: Conv -> Add(conv, skip) (+ activation), which the Vulkan backend runs as
// one dispatch (graph::convAddCandidates; the skip is added as the conv stores its output, the
// conv's own output is never stored), and the CPU as one packed-GEMM step where the conv is a
// 1x1 (cpu::makeConvAdd: the skip added in the product's epilogue), against a reference written from the ops' definitions
// (ref::conv2d in double, plus the skip, then the activation); where the conv is a 3x3 that takes
// Winograd, in its output transform. ResNet's basic block, MobileNetV2's
// projection, either Add operand order, batch 2, grouped and 1-D convs; on the CPU every ISA
// level's tiles (partial panels, ragged strip ends, two KC blocks); on Vulkan also through
// the GPU's tiled kernel with its split reduction and in fp16 storage; and the graphs the fusion
// must leave alone (the skip made after the conv, the conv's output read twice, a broadcasting
// Add, a depthwise conv), which still compute right.
#include <gtest/gtest.h>

#include <algorithm>

#include "op_test_util.h"

namespace percept::optest {
namespace {

using graph::Activation;

struct ResidualCase {
    std::string name;
    Shape x;
    int64_t M, k;  // output channels, kernel size (square)
    ref::ConvParams p;
    Activation act = Activation::None;  // after the Add
    bool skipFirst = false;             // Add(skip, conv) rather than Add(conv, skip)
};

// extra: 0 fused form; 1 the skip is computed after the conv; 2 the conv's output is also a
// graph output; 3 the Add broadcasts a [M,1,1] skip; 4 as 0, for a depthwise conv (which Vulkan
// keeps apart: its kernel takes no residual); 5 as 0 (no activation) with the skip computed before
// the conv (Neg of the input) and the sum read by one more node (sum + sum), so that neither is a graph
// input or output and the CPU writes the sum over the skip (PlanHints::inPlaceOf), as in a chain
// of residual blocks.
struct Built {
    OpGraph g;
    Tensor x, w, b, skip;
    Tensor want;
};

Built build(const ResidualCase& c, uint32_t seed, int extra) {
    Built r;
    r.x = randomTensor(c.x, seed);
    r.w = randomTensor({c.M, c.x[1] / c.p.group, c.k, c.k}, seed + 1, -0.5f, 0.5f);
    r.b = randomTensor({c.M}, seed + 2);
    const Tensor conv = ref::conv2d(r.x, r.w, r.b.data.data(), c.p);
    const Shape skipShape = extra == 3 ? Shape{c.M, 1, 1} : conv.shape;
    r.skip = randomTensor(skipShape, seed + 3, -2.0f, 2.0f);
    OpGraph& g = r.g;
    const int xi = g.input("x", c.x);
    // The skip: a graph input, or (extra 1 / 5) Neg of one, made after / before the conv in
    // graph order.
    const int si = g.input("skip", skipShape);
    int skip = si;
    auto negateSkip = [&] {
        skip = g.value("neg_skip");
        g.node("Neg", {si}, {skip}, "neg");
    };
    if (extra == 5) negateSkip();
    const int y = extra == 2 ? g.output("conv_out") : g.value("conv_out");
    graph::Node& n = g.node("Conv", {xi, g.constant("w", r.w), g.constant("b", r.b)}, {y}, "conv");
    setInts(n, "kernel_shape", {c.k, c.k});
    setInts(n, "strides", c.p.strides);
    setInts(n, "pads", c.p.pads);
    setInt(n, "group", c.p.group);
    if (extra == 1) negateSkip();
    const int sum = c.act == Activation::None && extra != 5 ? g.output("y") : g.value("sum");
    g.node("Add", c.skipFirst ? std::vector<int>{skip, y} : std::vector<int>{y, skip}, {sum}, "add");
    if (c.act != Activation::None) addActivation(g, c.act, sum, -0.5f, 0.75f);
    if (extra == 5) g.node("Add", {sum, sum}, {g.output("y")}, "double");  // not an activation: its own step
    r.want = Tensor(conv.shape);
    const int64_t plane = conv.shape[2] * conv.shape[3];
    for (int64_t i = 0; i < elementCount(conv.shape); ++i) {
        const double s = extra == 3 ? r.skip.data[(i / plane) % c.M] : extra == 1 || extra == 5 ? -r.skip.data[i] : r.skip.data[i];
        r.want.data[i] = ref::act(c.act, static_cast<float>(conv.data[i] + s), -0.5f, 0.75f);  // Clip's bounds
        if (extra == 5) r.want.data[i] *= 2.0f;
    }
    return r;
}

// On Vulkan, once more through the kernels GPUs take (the tiled conv with its split reduction
// where the output has few tiles; the wide GEMM, and for a graph with a GEMM the tiled one
// too), in fp16 storage and with fp16 arithmetic; each session run twice (the split's arrival
// counters must be back at zero for the next run).
void checkGpuKernelsAndFp16(const OpGraph& g, const std::vector<Tensor>& inputs, const Tensor& want, double tol) {
    bool hasGemm = false;
    for (const auto& n : g.g.nodes) hasGemm = hasGemm || n.op == graph::OpKind::MatMul || n.op == graph::OpKind::Gemm;
    std::vector<Tuning::VulkanGemm> gemms = {Tuning::VulkanGemm::Wide};
    if (hasGemm) gemms.push_back(Tuning::VulkanGemm::Tiled);
    for (int precision : {0, 1, 2}) {  // fp32, fp16 storage, fp16 storage and arithmetic
        const bool fp16 = precision > 0;
        for (int kernels = 0; kernels <= static_cast<int>(gemms.size()); ++kernels) {
            const bool gpuKernels = kernels > 0;
            if (!fp16 && !gpuKernels) continue;  // the default path ran already
            SessionOptions o;
            o.backend = Backend::Vulkan;
            o.fp16Storage = fp16;
            o.fp16Arithmetic = precision == 2;
            o.tuning = Tuning::fromEnvironment();
            if (gpuKernels) {
                o.tuning.vulkanConv = Tuning::VulkanConv::Tiled;
                o.tuning.vulkanGemm = gemms[static_cast<size_t>(kernels - 1)];
            }
            auto s = Session::create(detail::modelFromGraph(g.g, "op-test"), o);
            SCOPED_TRACE(s->stats().device + (gpuKernels ? ", GPU kernels" : "") + ", " + s->stats().layers[0].algo);
            for (int run = 0; run < 2; ++run) EXPECT_TRUE(allClose(s->run(inputs).back(), want, fp16 ? 2e-2 : tol));
        }
    }
}

// The CPU fuses (cpu::makeConvAdd), at the levels with the packed GEMM: 1x1 convs (stride 1, no
// padding) on a plane of 8 or more pixels; 3x3 convs (stride 1, ungrouped) that take Winograd,
// which needs 16 or more input and output channels and 16 or more 2x2 output tiles.
bool cpuFuses(const ResidualCase& c) {
    const bool padded = std::any_of(c.p.pads.begin(), c.p.pads.end(), [](int64_t v) { return v != 0; });
    const bool strided = std::any_of(c.p.strides.begin(), c.p.strides.end(), [](int64_t v) { return v != 1; });
    const cpu::CpuKernels& k = cpu::cpuKernels(testIsa());
    if (!k.gemm) return false;
    if (c.k == 1) return !padded && !strided && c.x[2] * c.x[3] >= 8;
    const int64_t oh = c.x[2] + c.p.pads[0] + c.p.pads[2] - 2, ow = c.x[3] + c.p.pads[1] + c.p.pads[3] - 2;
    return k.winograd.input && c.k == 3 && !strided && c.p.group == 1 && c.x[1] >= 16 && c.M >= 16 && ((oh + 1) / 2) * ((ow + 1) / 2) >= 16;
}

class ConvResidualTest : public OpTest {
protected:
    void check(const ResidualCase& c, uint32_t seed, int extra = 0) {
        SCOPED_TRACE(c.name);
        Built r = build(c, seed, extra);
        Stats stats;
        const auto got = run(r.g, {r.x, r.skip}, &stats);
        ASSERT_EQ(got.size(), extra == 2 ? 2u : 1u);
        EXPECT_TRUE(allClose(got.back(), r.want, tol()));
        const bool fused = (extra == 0 || extra == 5) && (backend() == Backend::Vulkan || cpuFuses(c));
        const std::string convRow = std::string("Conv") + (fused ? "+Add" : "") +
                                    (fused && c.act != Activation::None ? std::string("+") + graph::activationName(c.act) : "");
        ASSERT_GE(stats.layers.size(), 2u);
        const size_t convAt = extra == 5 ? 1 : 0;  // the Neg of extra 1 comes after the conv, of 5 before
        EXPECT_EQ(stats.layers[convAt].op, convRow);
        const auto& addRow = stats.layers[stats.layers.size() - (extra == 5 ? 2 : 1)];
        EXPECT_EQ(addRow.algo == "in conv", fused) << addRow.algo;
        if (backend() == Backend::Vulkan && threads() == 1) checkGpuKernelsAndFp16(r.g, {r.x, r.skip}, r.want, tol());
    }
};

TEST_P(ConvResidualTest, FusedBlocks) {
    uint32_t seed = 12000;
    const ref::ConvParams same3{1, {1, 1}, {1, 1, 1, 1}};
    check({"ResNet basic block 3x3 64 ch on 14x14, Relu", {1, 64, 14, 14}, 64, 3, same3, Activation::Relu}, seed += 10);
    check({"ResNet stage 4: 3x3 128 ch on 7x7 (split reduction on the tiled kernel)", {1, 128, 7, 7}, 128, 3, same3, Activation::Relu},
          seed += 10);
    check({"MobileNetV2 projection 1x1 96 -> 24 on 28x28, no activation", {1, 96, 28, 28}, 24, 1, {}}, seed += 10);
    check({"Add(skip, conv), odd sizes", {1, 13, 9, 11}, 13, 3, same3, Activation::Relu, true}, seed += 10);
    check({"batch 2, grouped 3x3", {2, 16, 6, 7}, 16, 3, {2, {1, 1}, {1, 1, 1, 1}}, Activation::None}, seed += 10);
    check({"1x1 on a 1x1 plane (a classifier)", {1, 40, 1, 1}, 40, 1, {}, Activation::Relu}, seed += 10);
    // The CPU's tiles: ResNet-50's expansion shrunk (a 4-column strip end on 10x10), two KC
    // blocks with partial panels and a 31-column end, grouped with batch 2, Sigmoid and Clip
    // after the Add.
    check({"ResNet-50 expansion 1x1 64 -> 256 on 10x10, Relu", {1, 64, 10, 10}, 256, 1, {}, Activation::Relu}, seed += 10);
    check({"1x1 300 -> 33 on 7x9 (two KC blocks), Sigmoid", {1, 300, 7, 9}, 33, 1, {}, Activation::Sigmoid, true}, seed += 10);
    check({"1x1 grouped 2, batch 2, 12x10, Clip", {2, 24, 12, 10}, 30, 1, {2, {1, 1}, {0, 0, 0, 0}}, Activation::Clip}, seed += 10);
    // Winograd's output transform: F(4x4) on one thread and F(2x2) on two (15x13: ragged tile
    // rows and columns) with batch 2 (each image's own skip), Sigmoid (applied on the copy
    // out); per-thread blocks of tile rows (28x28), the skip first.
    check({"3x3 32 ch on 15x13, batch 2, Clip", {2, 32, 15, 13}, 32, 3, same3, Activation::Clip}, seed += 10);
    check({"3x3 24 -> 40 on 28x28, Sigmoid, Add(skip, conv)", {1, 24, 28, 28}, 40, 3, same3, Activation::Sigmoid, true}, seed += 10);
    check({"3x3 16 ch on 9x9, no activation", {1, 16, 9, 9}, 16, 3, same3, Activation::None}, seed += 10);
    // The sum written over a computed skip: Winograd's F(4x4) (per-thread tile-row blocks on 28x28
    // at 1 thread) and F(2x2), a 1x1 conv.
    check({"3x3 24 ch on 28x28 over a computed skip", {1, 24, 28, 28}, 24, 3, same3, Activation::None}, seed += 10, 5);
    check({"3x3 32 ch on 7x7 over a computed skip", {1, 32, 7, 7}, 32, 3, same3, Activation::None}, seed += 10, 5);
    check({"1x1 40 -> 64 on 12x12 over a computed skip", {1, 40, 12, 12}, 64, 1, {}, Activation::None}, seed += 10, 5);
}

TEST_P(ConvResidualTest, LeftAlone) {
    uint32_t seed = 12500;
    const ref::ConvParams same3{1, {1, 1}, {1, 1, 1, 1}};
    check({"the skip is made after the conv", {1, 8, 6, 6}, 8, 3, same3, Activation::Relu}, seed += 10, 1);
    check({"the conv's output is also a graph output", {1, 8, 6, 6}, 8, 3, same3, Activation::Relu}, seed += 10, 2);
    check({"the Add broadcasts the skip", {1, 8, 6, 6}, 8, 3, same3, Activation::Relu}, seed += 10, 3);
    check({"depthwise 3x3", {1, 8, 6, 6}, 8, 3, {8, {1, 1}, {1, 1, 1, 1}}, Activation::Relu}, seed += 10, 4);
}

PERCEPT_OP_TEST_SUITE(ConvResidualTest);

// Linear layers as transformers export them: MatMul([..., K] x constant [K, N]) -> Add(constant
// bias [N] or [1, N]) (+ activation, as ViT's and ConvNeXt's Gelu), one dispatch on Vulkan (the bias
// is the GEMM's C; A's leading axes are rows of one product); against a double reference. Left
// alone: a bias of the output's full shape, a MatMul with a batch of B matrices (still fused:
// the bias is a row), the MatMul's output read twice.
struct LinearCase {
    std::string name;
    Shape a;
    int64_t N;
    Shape bias;  // the Add's constant
    Activation act = Activation::None;
    bool batchedB = false;  // B of shape [a[0], K, N] instead of [K, N]
};

class MatMulBiasTest : public OpTest {
protected:
    void check(const LinearCase& c, uint32_t seed, bool readTwice = false) {
        SCOPED_TRACE(c.name);
        const int64_t K = c.a.back(), rowsPerB = elementCount(c.a) / K / (c.batchedB ? c.a[0] : 1);
        const Shape bs = c.batchedB ? Shape{c.a[0], K, c.N} : Shape{K, c.N};
        const Tensor a = randomTensor(c.a, seed), w = randomTensor(bs, seed + 1, -0.5f, 0.5f), bias = randomTensor(c.bias, seed + 2);
        OpGraph g;
        const int mm = readTwice ? g.output("mm") : g.value("mm");
        g.node("MatMul", {g.input("a", c.a), g.constant("w", w)}, {mm}, "matmul");
        const int sum = c.act == Activation::None ? g.output("y") : g.value("sum");
        g.node("Add", {mm, g.constant("bias", bias)}, {sum}, "add");
        if (c.act != Activation::None) addActivation(g, c.act, sum);
        Shape ys = c.a;
        ys.back() = c.N;
        Tensor want(ys);
        const int64_t rows = elementCount(c.a) / K, biasCount = elementCount(c.bias);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < c.N; ++j) {
                const int64_t wb = c.batchedB ? (r / rowsPerB) * K * c.N : 0;
                double s = 0.0;
                for (int64_t k = 0; k < K; ++k) s += static_cast<double>(a.data[r * K + k]) * w.data[wb + k * c.N + j];
                s += bias.data[biasCount == c.N ? j : r * c.N + j];
                want.data[r * c.N + j] = ref::act(c.act, static_cast<float>(s));
            }
        Stats stats;
        const auto got = run(g, {a}, &stats);
        EXPECT_TRUE(allClose(got.back(), want, tol()));
        // Both backends run the bias in the MatMul (CPU: the GEMM's epilogue; Vulkan: its C).
        const bool fused = !readTwice && biasCount == c.N;
        ASSERT_GE(stats.layers.size(), 2u);
        EXPECT_EQ(stats.layers[0].op.rfind(fused ? "MatMul+Add" : "MatMul", 0), 0u) << stats.layers[0].op;
        EXPECT_EQ(stats.layers[1].algo == "in matmul", fused) << stats.layers[1].algo;
        if (backend() == Backend::Vulkan && threads() == 1) checkGpuKernelsAndFp16(g, {a}, want, tol());
    }
};

TEST_P(MatMulBiasTest, FusedBiases) {
    uint32_t seed = 13000;
    check({"ViT MLP: [1,197,64] x [64,96] + [96], Sigmoid", {1, 197, 64}, 96, {96}, Activation::Sigmoid}, seed += 10);
    check({"ConvNeXt NHWC Linear: [1,7,7,40] x [40,24] + [24]", {1, 7, 7, 40}, 24, {24}}, seed += 10);
    check({"2-D, bias [1, N], Relu", {5, 33}, 7, {1, 7}, Activation::Relu}, seed += 10);
    check({"a batch of B matrices", {3, 4, 10}, 6, {6}}, seed += 10);
}

TEST_P(MatMulBiasTest, LeftAlone) {
    uint32_t seed = 13500;
    check({"a bias of the output's shape", {1, 6, 10}, 5, {1, 6, 5}}, seed += 10);
    check({"the product is also a graph output", {1, 6, 10}, 5, {5}, Activation::Relu}, seed += 10, true);
}

PERCEPT_OP_TEST_SUITE(MatMulBiasTest);

}  // namespace
}  // namespace percept::optest
