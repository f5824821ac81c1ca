// SPDX-License-Identifier: Apache-2.0
// A Vulkan session's behaviour beyond the op suite: stats (per-layer GPU time from timestamp
// queries, device memory), profile off, input errors, sessions used from two threads at once,
// kernels' edge cases against the CPU backend (channel-split reductions, tiny planes, fp16
// storage), and the pipeline cache on disk (first vs second start, reported).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/test_data.h"
#include "vulkan/vk_pipeline_cache.h"
#include "vulkan/vk_shaders.h"
#include "vulkan_test_util.h"

namespace percept::vktest {
namespace {

using namespace percept::optest;

SessionOptions vulkan(bool fp16 = false) {
    SessionOptions o;
    o.backend = Backend::Vulkan;
    o.fp16Storage = fp16;
    return o;
}

// y = Conv(x) with random weights (+ Relu), as a model.
Model convModel(const Shape& x, int64_t M, int64_t k, int64_t stride, int64_t group, uint32_t seed) {
    OpGraph g;
    const int in = g.input("x", x);
    const int y = g.value("y");
    graph::Node& n = g.node("Conv", {in, g.constant("w", randomTensor({M, x[1] / group, k, k}, seed, -0.5f, 0.5f)),
                                     g.constant("b", randomTensor({M}, seed + 1))},
                            {y});
    setInts(n, "pads", {k / 2, k / 2, k / 2, k / 2});
    setInts(n, "strides", {stride, stride});
    setInt(n, "group", group);
    addActivation(g, graph::Activation::Relu, y);
    return detail::modelFromGraph(g.g, "conv");
}

Tensor runOn(const Model& m, const Tensor& x, const SessionOptions& o) { return Session::create(m, o)->run(x); }

TEST(VulkanSession, StatsComeFromTimestampsAndDeviceMemory) {
    const Model m = convModel({1, 16, 20, 20}, 24, 3, 1, 1, 11);
    auto s = Session::create(m, vulkan());
    const Tensor x = randomTensor({1, 16, 20, 20}, 12);
    s->run(x);
    const Stats& st = s->stats();
    EXPECT_EQ(s->backend(), Backend::Vulkan);
    EXPECT_EQ(s->deviceName().rfind("Vulkan: ", 0), 0u) << s->deviceName();
    ASSERT_EQ(st.layers.size(), 1u);
    EXPECT_EQ(st.layers[0].op, "Conv+Relu");
    EXPECT_FALSE(st.layers[0].algo.empty());
    EXPECT_GT(st.layers[0].flops, 0);
    EXPECT_GT(st.layers[0].ms, 0.0);
    EXPECT_LE(st.layers[0].ms, st.lastRunMs + 1.0);
    EXPECT_GT(st.lastRunMs, 0.0);
    EXPECT_EQ(st.runs, 1);
    EXPECT_GT(st.peakArenaBytes, 0u);
    EXPECT_GE(st.deviceMemoryBytes, st.peakArenaBytes + st.weightBytes);
    std::printf("[ info ] %s: layer %.3f ms of a %.3f ms run, %zu bytes of device memory\n", s->deviceName().c_str(), st.layers[0].ms,
                st.lastRunMs, st.deviceMemoryBytes);

    // Nodes done inside another's dispatch (here a Reshape, which the memory plan makes a view,
    // between two convs) take no timestamp: 0 ms; the layers' times add up to the GPU time.
    {
        OpGraph g;
        const int a = g.value("a"), r = g.value("r");
        g.node("Relu", {g.input("x", {1, 16, 20, 20})}, {a});
        g.node("Reshape", {a, g.constantInts("shape", {1, 16, 400})}, {r});
        g.node("Relu", {r}, {g.output("y")});
        auto v = Session::create(detail::modelFromGraph(g.g, "view"), vulkan());
        v->run(x);
        const Stats& vs = v->stats();
        ASSERT_EQ(vs.layers.size(), 3u);
        EXPECT_EQ(vs.layers[1].commands, 0);
        EXPECT_EQ(vs.layers[1].ms, 0.0);
        EXPECT_NEAR(vs.layers[0].ms + vs.layers[1].ms + vs.layers[2].ms, vs.gpuMs, 1e-9);
        EXPECT_GT(vs.layers[2].ms, 0.0);
    }

    SessionOptions quiet = vulkan();
    quiet.profile = false;
    const auto t0 = std::chrono::steady_clock::now();
    auto q = Session::create(m, quiet);
    const double createMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    q->run(x);
    EXPECT_EQ(q->stats().layers[0].ms, 0.0);
    // Session creation's phases, in order, together no longer than the call; the device was open
    // already (the first session opened it), so it costs next to nothing.
    const std::vector<std::string> phases = {"device", "planning", "pipelines and repacking", "buffers and weights", "descriptors and recording", "pipeline cache saved"};
    const auto& got = q->stats().createPhases;
    ASSERT_EQ(got.size(), phases.size());
    double sum = 0.0;
    for (size_t k = 0; k < phases.size(); ++k) {
        EXPECT_EQ(got[k].name, phases[k]);
        EXPECT_GE(got[k].ms, 0.0) << phases[k];
        sum += got[k].ms;
    }
    EXPECT_LE(sum, createMs + 0.5);
    EXPECT_LT(got[0].ms, 0.2 * createMs + 1.0) << "the second session opened the device again";
}

TEST(VulkanSession, WrongInputIsAnError) {
    auto s = Session::create(convModel({1, 3, 8, 8}, 4, 3, 1, 1, 21), vulkan());
    EXPECT_THROW(s->run(Tensor({1, 3, 8, 9})), Error);
    EXPECT_THROW(s->run(std::vector<Tensor>{}), Error);
    EXPECT_EQ(s->run(randomTensor({1, 3, 8, 8}, 1)).shape, (Shape{1, 4, 8, 8}));
}

// Sessions share the device (and its queue) across threads.
TEST(VulkanSession, TwoThreadsTwoSessions) {
    const Model a = convModel({1, 8, 16, 16}, 8, 3, 1, 1, 31), b = convModel({1, 8, 12, 12}, 16, 1, 1, 1, 32);
    const Tensor xa = randomTensor({1, 8, 16, 16}, 33), xb = randomTensor({1, 8, 12, 12}, 34);
    const Tensor ra = runOn(a, xa, vulkan()), rb = runOn(b, xb, vulkan());
    auto sa = Session::create(a, vulkan());
    auto sb = Session::create(b, vulkan());
    bool okA = true, okB = true;
    std::thread ta([&] {
        for (int i = 0; i < 20; ++i) okA = okA && sa->run(xa).data == ra.data;
    });
    std::thread tb([&] {
        for (int i = 0; i < 20; ++i) okB = okB && sb->run(xb).data == rb.data;
    });
    ta.join();
    tb.join();
    EXPECT_TRUE(okA);
    EXPECT_TRUE(okB);
}

struct ConvShape {
    const char* what;
    Shape x;
    int64_t M, k, stride, group;
};

// Reductions split over several dispatches (lavapipe's loop limit), planes of one or a few
// pixels (the classifier as a 1x1 conv), channel counts that are not multiples of 8, and the
// 3x3 / depthwise specialisations, against the CPU backend.
TEST(VulkanKernels, EdgeShapesMatchCpu) {
    const std::vector<ConvShape> cases = {
        {"1x1 over 20000 channels (split)", {1, 20000, 2, 2}, 3, 1, 1, 1},
        {"3x3 over 17000 channels (split)", {1, 17000, 3, 2}, 2, 3, 1, 1},
        {"classifier 1x1 on 1x1", {1, 1280, 1, 1}, 1001, 1, 1, 1},
        {"3 pixels", {1, 40, 1, 3}, 13, 1, 1, 1},
        {"odd channels 3x3 s2", {1, 13, 15, 17}, 11, 3, 2, 1},
        {"5x5 grouped", {2, 12, 9, 9}, 6, 5, 1, 3},
        {"depthwise 3x3 s2 on 7x7", {1, 24, 7, 7}, 24, 3, 2, 24},
        {"depthwise 5x5 batch 2", {2, 9, 11, 10}, 9, 5, 1, 9},
    };
    uint32_t seed = 100;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const Model m = convModel(c.x, c.M, c.k, c.stride, c.group, seed += 10);
        const Tensor x = randomTensor(c.x, seed + 5);
        const Tensor want = runOn(m, x, SessionOptions{});
        EXPECT_TRUE(allClose(runOn(m, x, vulkan()), want, 1e-4));
        // fp16 storage: weights and activations rounded to 11 significant bits.
        if (vk::Context::acquire(vulkan())->supportsFp16Storage()) {
            EXPECT_LE(maxRelDiff(runOn(m, x, vulkan(true)), want), 1e-2);
        }
    }
}

// The shared-memory tiled kernel GPUs use (CPU implementations take the register-tiled one),
// forced here so it runs under lavapipe and the validation layer too.
TEST(VulkanKernels, TiledConvMatchesCpu) {
    SessionOptions tiled = vulkan(), tiled16 = vulkan(true);
    tiled.tuning.vulkanConv = tiled16.tuning.vulkanConv = Tuning::VulkanConv::Tiled;
    const std::vector<ConvShape> cases = {
        {"3x3 64->64 on 20x20", {1, 64, 20, 20}, 64, 3, 1, 1},
        {"1x1 40->70 on 9x11 (partial tiles)", {1, 40, 9, 11}, 70, 1, 1, 1},
        {"3x3 s2 odd channels", {1, 13, 17, 15}, 33, 3, 2, 1},
        {"grouped 5x5 batch 2", {2, 8, 10, 10}, 4, 5, 1, 2},
        {"7x7 s2 stem", {1, 3, 32, 30}, 16, 7, 2, 1},
        {"ResNet stage 4: 3x3 512->512 on 7x7", {1, 512, 7, 7}, 512, 3, 1, 1},
    };
    uint32_t seed = 700;
    std::set<std::string> algos;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        const Model m = convModel(c.x, c.M, c.k, c.stride, c.group, seed += 10);
        const Tensor x = randomTensor(c.x, seed + 5);
        auto s = Session::create(m, tiled);
        algos.insert(s->stats().layers[0].algo);
        EXPECT_EQ(s->stats().layers[0].algo.rfind("conv-tiled", 0), 0u) << s->stats().layers[0].algo;
        EXPECT_TRUE(allClose(s->run(x), runOn(m, x, SessionOptions{}), 1e-4));
        if (vk::Context::acquire(vulkan())->supportsFp16Storage()) {
            EXPECT_LE(maxRelDiff(runOn(m, x, tiled16), runOn(m, x, SessionOptions{})), 1e-2);
        }
        // Computing in fp16 as well (the "_fp16a" kernel: fp16 products summed 16 at a time).
        if (vk::Context::acquire(vulkan())->supportsFp16Arithmetic()) {
            SessionOptions arith = tiled16;
            arith.fp16Arithmetic = true;
            EXPECT_LE(maxRelDiff(runOn(m, x, arith), runOn(m, x, SessionOptions{})), 2e-2);
            // And on the tensor cores, where the device has them (the GPU machine).
            if (vk::Context::acquire(vulkan())->cooperativeMatrix().any() && c.group == 1) {
                arith.tuning.vulkanCooperativeMatrix = true;
                EXPECT_LE(maxRelDiff(runOn(m, x, arith), runOn(m, x, SessionOptions{})), 2e-2) << "tensor cores";
            }
        }
    }
    // Both forms ran: whole reductions, and reductions split over slices of k.
    EXPECT_EQ(algos, (std::set<std::string>{"conv-tiled", "conv-tiled-splitk"}));
}

// The tensor-core kernels (shaders/conv_coopmat.comp, gemm_coopmat.comp) are embedded in their
// fp16-arithmetic form only, and chosen only where the device has cooperative matrices, the
// session computes in fp16 and Tuning::vulkanCooperativeMatrix asks for them (off by default:
// slower than the tiled kernel on an H100 so far); elsewhere (lavapipe) the tiled kernel runs.
// On a device that has them the same conv cases must match the CPU (tests/gpu/run_gpu_op_tests.sh).
TEST(VulkanKernels, CooperativeMatrixOnlyWhereTheDeviceHasIt) {
    for (const char* family : {"conv_coopmat", "gemm_coopmat"}) {
        EXPECT_NE(vk::findEmbeddedShader((std::string(family) + "_fp16a").c_str()), nullptr) << family;
        EXPECT_EQ(vk::findEmbeddedShader((std::string(family) + "_fp32").c_str()), nullptr) << family;
    }
    auto ctx = vk::Context::acquire(vulkan());
    const auto& cm = ctx->cooperativeMatrix();
    std::printf("[ info ] %s: fp16 arithmetic %s, int8 dot products %s%s, cooperative matrices %s%s\n", ctx->name().c_str(),
                ctx->supportsFp16Arithmetic() ? "yes" : "no", ctx->supportsInt8DotProduct() ? "yes" : "no",
                ctx->int8DotProductAccelerated() ? " (accelerated)" : "", cm.any() ? (std::to_string(cm.m) + "x" + std::to_string(cm.n) + "x" + std::to_string(cm.k)).c_str() : "no",
                ctx->cooperativeMatrixKhr() ? " (VK_KHR_cooperative_matrix present)" : "");
    SessionOptions arith = vulkan(true);
    arith.fp16Arithmetic = true;
    arith.tuning.vulkanConv = Tuning::VulkanConv::Tiled;
    arith.tuning.vulkanCooperativeMatrix = true;
    // A short reduction (40 channels, 1x1): no split, the case the tensor-core kernel takes.
    const Model m = convModel({1, 40, 20, 20}, 64, 1, 1, 1, 4242);
    const Tensor x = randomTensor({1, 40, 20, 20}, 4243);
    auto s = Session::create(m, arith);
    EXPECT_EQ(s->stats().layers[0].algo, cm.any() ? "conv-coopmat" : "conv-tiled");
    EXPECT_LE(maxRelDiff(s->run(x), runOn(m, x, SessionOptions{})), 2e-2);
    // A long reduction on one tile (a late stage's 3x3, 256 channels on 7x7): split over slices
    // of k, each session run twice (the arrival counters must be back at zero).
    const Model late = convModel({1, 256, 7, 7}, 72, 3, 1, 1, 4244);
    const Tensor xl = randomTensor({1, 256, 7, 7}, 4245);
    auto sl = Session::create(late, arith);
    EXPECT_EQ(sl->stats().layers[0].algo, cm.any() ? "conv-coopmat-splitk" : "conv-tiled-splitk");
    const Tensor wantLate = runOn(late, xl, SessionOptions{});
    for (int run = 0; run < 2; ++run) EXPECT_LE(maxRelDiff(sl->run(xl), wantLate), 2e-2);
    arith.tuning.vulkanCooperativeMatrix = false;
    EXPECT_EQ(Session::create(m, arith)->stats().layers[0].algo, "conv-tiled");
}

// The GEMM form GPUs use (a workgroup shares each column block's reduction), forced here: the
// op suite's Gemm and MatMul cases once more, under validation.
TEST(VulkanKernels, WideGemmMatchesCpu) {
    SessionOptions wide = vulkan();
    wide.tuning.vulkanGemm = Tuning::VulkanGemm::Wide;
    struct Case {
        Shape a, b;
        bool transB;
    };
    const std::vector<Case> cases = {{{1, 1280}, {1000, 1280}, true}, {{7, 33}, {33, 5}, false}, {{3, 300}, {300, 130}, false}};
    uint32_t seed = 900;
    for (const auto& c : cases) {
        SCOPED_TRACE(shapeToString(c.a) + " x " + shapeToString(c.b));
        OpGraph g;
        graph::Node& n = g.node("Gemm", {g.input("a", c.a), g.constant("b", randomTensor(c.b, ++seed)), g.constant("c", randomTensor({c.transB ? c.b[0] : c.b[1]}, ++seed))},
                                {g.output("y")});
        setInt(n, "transB", c.transB ? 1 : 0);
        const Model m = detail::modelFromGraph(g.g, "gemm");
        const Tensor x = randomTensor(c.a, ++seed);
        auto s = Session::create(m, wide);
        EXPECT_EQ(s->stats().layers[0].algo, "gemm-wide");
        EXPECT_TRUE(allClose(s->run(x), runOn(m, x, SessionOptions{}), 1e-4));
    }
    // Batched MatMul with broadcasting.
    OpGraph g;
    g.node("MatMul", {g.input("a", {2, 1, 3, 70}), g.input("b", {3, 70, 6})}, {g.output("y")});
    const Model m = detail::modelFromGraph(g.g, "matmul");
    const std::vector<Tensor> in = {randomTensor({2, 1, 3, 70}, 1), randomTensor({3, 70, 6}, 2)};
    EXPECT_TRUE(allClose(Session::create(m, wide)->run(in)[0], Session::create(m, SessionOptions{})->run(in)[0], 1e-4));
}

// The tiled GEMM's fp16 forms against the CPU's fp32 answer, loosely: fp16 storage, and fp16
// arithmetic -- on the tensor cores (shaders/gemm_coopmat.comp) where the device has cooperative
// matrices (the GPU machine: tests/gpu/run_gpu_op_tests.sh), else gemm_tiled.comp's fp16 form.
// Each session runs twice (a split reduction's arrival counters must be back at zero).
void expectTiledFp16Close(const vk::Context& ctx, const Model& m, const std::vector<Tensor>& in, const Tensor& want) {
    if (!ctx.supportsFp16Storage()) return;
    struct Form {
        const char* what;
        bool arith, coop;
    };
    for (const Form f : {Form{"fp16 storage", false, false}, Form{"fp16 arithmetic", true, false}, Form{"fp16 arithmetic, tensor cores", true, true}}) {
        if ((f.arith && !ctx.supportsFp16Arithmetic()) || (f.coop && !ctx.cooperativeMatrix().any())) continue;
        SCOPED_TRACE(f.what);
        SessionOptions o = vulkan(true);
        o.fp16Arithmetic = f.arith;
        o.tuning.vulkanCooperativeMatrix = f.coop;
        o.tuning.vulkanGemm = Tuning::VulkanGemm::Tiled;
        auto s = Session::create(m, o);
        const std::string& algo = s->stats().layers[0].algo;
        EXPECT_NE(algo.find(f.coop ? "-coopmat" : "-tiled"), std::string::npos) << algo;
        for (int run = 0; run < 2; ++run) EXPECT_LE(maxRelDiff(s->run(in)[0], want), 2e-2);
    }
}

// The shared-memory tiled GEMM GPUs take (shaders/gemm_tiled.comp), forced here so it runs
// under lavapipe and the validation layer too: partial tiles at both edges, a reduction split
// over slices (few tiles, long K: ConvNeXt's last stage), a constant B padded to whole texels,
// transB, alpha/beta with a C of each broadcast, a batch of computed B matrices (attention),
// each session run twice (the split's arrival counters must be back at zero), in fp32, fp16
// storage and fp16 arithmetic.
TEST(VulkanKernels, TiledGemmMatchesCpu) {
    SessionOptions tiled = vulkan();
    tiled.tuning.vulkanGemm = Tuning::VulkanGemm::Tiled;
    auto ctx = vk::Context::acquire(vulkan());
    struct Case {
        std::string what;
        Shape a, b, c;
        bool transB;
        float alpha, beta;
        std::string algo;
    };
    const std::vector<Case> cases = {
        {"ConvNeXt stage 4 down-projection: 49 x 3072 x 200, split", {49, 3072}, {3072, 200}, {200}, false, 1.0f, 1.0f, "gemm-tiled-splitk"},
        {"130 x 36 x 70, partial tiles, B padded", {130, 36}, {36, 70}, {1, 70}, false, 1.0f, 1.0f, "gemm-tiled"},
        {"transB, alpha 0.5, beta 2, C [M, 1], split", {70, 128}, {90, 128}, {70, 1}, true, 0.5f, 2.0f, "gemm-tiled-splitk"},
        {"C [M, N], 8 rows", {8, 20}, {20, 12}, {8, 12}, false, 1.0f, -1.0f, "gemm-tiled"},
    };
    uint32_t seed = 950;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        OpGraph g;
        graph::Node& n = g.node("Gemm", {g.input("a", c.a), g.constant("b", randomTensor(c.b, ++seed)), g.constant("c", randomTensor(c.c, ++seed))},
                                {g.output("y")});
        setInt(n, "transB", c.transB ? 1 : 0);
        setFloat(n, "alpha", c.alpha);
        setFloat(n, "beta", c.beta);
        const Model m = detail::modelFromGraph(g.g, "gemm");
        const Tensor x = randomTensor(c.a, ++seed);
        const Tensor want = runOn(m, x, SessionOptions{});
        auto s = Session::create(m, tiled);
        EXPECT_EQ(s->stats().layers[0].algo, c.algo);
        for (int run = 0; run < 2; ++run) EXPECT_TRUE(allClose(s->run(x), want, 1e-4));
        // Tuning::vulkanSplitWorkgroups 1: never split.
        SessionOptions whole = tiled;
        whole.tuning.vulkanSplitWorkgroups = 1;
        auto sw = Session::create(m, whole);
        EXPECT_EQ(sw->stats().layers[0].algo, "gemm-tiled");
        EXPECT_TRUE(allClose(sw->run(x), want, 1e-4));
        expectTiledFp16Close(*ctx, m, {x}, want);
    }
    // A batch of computed B matrices with broadcasting (attention's heads), its reduction split.
    OpGraph g;
    g.node("MatMul", {g.input("a", {2, 3, 67, 160}), g.input("b", {3, 160, 72})}, {g.output("y")});
    const Model m = detail::modelFromGraph(g.g, "matmul");
    const std::vector<Tensor> in = {randomTensor({2, 3, 67, 160}, 1), randomTensor({3, 160, 72}, 2)};
    auto s = Session::create(m, tiled);
    EXPECT_EQ(s->stats().layers[0].algo, "batched-gemm-tiled-splitk");
    const auto want = Session::create(m, SessionOptions{})->run(in)[0];
    for (int run = 0; run < 2; ++run) EXPECT_TRUE(allClose(s->run(in)[0], want, 1e-4));
    expectTiledFp16Close(*ctx, m, in, want);
    // transA: A read down its columns, one float at a time.
    {
        OpGraph ta;
        setInt(ta.node("Gemm", {ta.input("a", {40, 70}), ta.constant("b", randomTensor({40, 24}, 6))}, {ta.output("y")}), "transA", 1);
        const Model mt = detail::modelFromGraph(ta.g, "transA");
        const Tensor xt = randomTensor({40, 70}, 7);
        auto st = Session::create(mt, tiled);
        EXPECT_EQ(st->stats().layers[0].algo, "gemm-tiled");
        const Tensor wantT = runOn(mt, xt, SessionOptions{});
        EXPECT_TRUE(allClose(st->run(xt), wantT, 1e-4));
        expectTiledFp16Close(*ctx, mt, {xt}, wantT);
    }
    // Operands that are no whole texels (attention's softmax x V: K = 197; Q x K^T: N = 197) are
    // read one float at a time.
    for (const auto& [as, bs] : std::vector<std::pair<Shape, Shape>>{{{3, 77, 81}, {3, 81, 64}}, {{3, 77, 64}, {3, 64, 81}}, {{1, 70, 33}, {1, 33, 9}}}) {
        SCOPED_TRACE(shapeToString(as) + " x " + shapeToString(bs));
        OpGraph odd;
        odd.node("MatMul", {odd.input("a", as), odd.input("b", bs)}, {odd.output("y")});
        const Model mo = detail::modelFromGraph(odd.g, "odd");
        const std::vector<Tensor> io = {randomTensor(as, 4), randomTensor(bs, 5)};
        auto so = Session::create(mo, tiled);
        EXPECT_NE(so->stats().layers[0].algo.find("gemm-tiled"), std::string::npos) << so->stats().layers[0].algo;
        const Tensor wantO = Session::create(mo, SessionOptions{})->run(io)[0];
        EXPECT_TRUE(allClose(so->run(io)[0], wantO, 1e-4));
        expectTiledFp16Close(*ctx, mo, io, wantO);
    }
}

// Every op family once more in fp16 storage, loosely: the shaders' fp16 variants all run.
TEST(VulkanKernels, Fp16StorageRunsEveryFamily) {
    if (!vk::Context::acquire(vulkan())->supportsFp16Storage()) GTEST_SKIP() << "no 16-bit storage on this device";
    OpGraph g(13);
    const Shape s = {1, 8, 6, 6};
    const int x = g.input("x", s);
    const int a = g.value("a"), b = g.value("b"), c = g.value("c"), d = g.value("d"), e = g.value("e"), f = g.value("f"), h = g.value("h"),
              i = g.value("i"), j = g.value("j"), k = g.value("k"), l = g.value("l");
    setInts(g.node("MaxPool", {x}, {a}), "kernel_shape", {2, 2});  // [1,8,5,5]
    setInts(g.node("Pad", {a, g.constantInts("pads", {0, 0, 1, 0, 0, 0, 0, 1})}, {b}), "pads", {0, 0, 1, 0, 0, 0, 0, 1});  // [1,8,6,6]
    g.node("Add", {b, x}, {c});
    graph::Node& lrn = g.node("LRN", {c}, {d});
    setInt(lrn, "size", 3);
    g.node("BatchNormalization", {d, g.constant("s", randomTensor({8}, 1)), g.constant("bb", randomTensor({8}, 2)),
                                  g.constant("m", randomTensor({8}, 3)), g.constant("v", randomTensor({8}, 4, 0.5f, 1.5f))},
           {e});
    g.node("Sigmoid", {e}, {f});
    setInt(g.node("Concat", {f, x}, {h}), "axis", 1);  // [1,16,6,6]
    setInts(g.node("Transpose", {h}, {i}), "perm", {0, 2, 3, 1});
    g.node("GlobalAveragePool", {h}, {j});
    g.node("Flatten", {j}, {k});
    g.node("Gemm", {k, g.constant("w", randomTensor({16, 5}, 5))}, {l});
    graph::Node& sm = g.node("Softmax", {l}, {g.output("y")});
    setInt(sm, "axis", 1);
    g.g.outputs.push_back(i);
    const Model m = detail::modelFromGraph(g.g, "families");
    const Tensor in = randomTensor(s, 6);
    const auto want = Session::create(m, SessionOptions{})->run(std::vector<Tensor>{in});
    const auto got32 = Session::create(m, vulkan())->run(std::vector<Tensor>{in});
    const auto got16 = Session::create(m, vulkan(true))->run(std::vector<Tensor>{in});
    ASSERT_EQ(want.size(), 2u);
    for (size_t o = 0; o < want.size(); ++o) {
        EXPECT_TRUE(allClose(got32[o], want[o], 1e-4)) << "output " << o;
        EXPECT_LE(maxRelDiff(got16[o], want[o]), 1e-2) << "output " << o;
    }
}

// ---- Pipeline cache ----------------------------------------------------------------------

// Child side: creates a SqueezeNet session in this (fresh) process and writes how long that
// took and how many pipelines it created / found in the cache. Skipped unless the parent test
// below started this process.
TEST(VulkanPipelineCacheChild, CreateSession) {
    const char* out = std::getenv("PERCEPT_VK_CACHE_CHILD_OUT");
    if (!out) GTEST_SKIP() << "helper for VulkanPipelineCache.SecondStartCompilesNothing";
    const Model m = Model::load(percept::testing::modelsDir() + "/squeezenet1.1.onnx");
    const auto t0 = std::chrono::steady_clock::now();
    auto s = Session::create(m, vulkan());
    const double createMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const auto t1 = std::chrono::steady_clock::now();
    s->run(Tensor(m.inputs()[0].shape));
    const double firstRunMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    auto ctx = vk::Context::acquire(vulkan());
    std::ofstream(out) << createMs << " " << firstRunMs << " " << ctx->pipelines().pipelinesCreated() << " " << ctx->pipelines().pipelineCacheHits()
                       << " " << ctx->pipelines().compileMs() << " " << ctx->pipelines().path();
}

// Two fresh processes in a row against an empty cache directory: the first writes the cache
// file, the second starts from it. Times are reported, not asserted (machines differ; lavapipe
// compiles its shaders at first dispatch rather than at pipeline creation).
TEST(VulkanPipelineCache, SecondStartCompilesNothing) {
    const std::string models = percept::testing::modelsDir();
    PERCEPT_REQUIRE_DATA(models + "/squeezenet1.1.onnx");
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("percept-vk-cache-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string outFile = (dir / "child.txt").string();
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    struct Result {
        double createMs = 0, firstRunMs = 0, compileMs = 0;
        uint64_t created = 0, hits = 0;
        std::string path;
    };
    auto child = [&]() {
        const std::string cmd = "PERCEPT_VULKAN_VALIDATION=0 XDG_CACHE_HOME='" + dir.string() + "' PERCEPT_VULKAN_PIPELINE_CACHE= PERCEPT_MODELS_DIR='" +
                                models + "' PERCEPT_VK_CACHE_CHILD_OUT='" + outFile +
                                "' '" + self + "' --gtest_filter=VulkanPipelineCacheChild.CreateSession > /dev/null 2>&1";
        fs::remove(outFile);
        EXPECT_EQ(std::system(cmd.c_str()), 0);
        Result r;
        std::ifstream in(outFile);
        in >> r.createMs >> r.firstRunMs >> r.created >> r.hits >> r.compileMs >> r.path;
        return r;
    };
    const Result first = child();
    const fs::path file = dir / "percept" / "vulkan_pipeline_cache.bin";
    EXPECT_EQ(first.path, file.string());
    ASSERT_TRUE(fs::exists(file)) << "no cache file written";
    EXPECT_GT(fs::file_size(file), 16u);
    const Result second = child();
    EXPECT_EQ(second.created, first.created);
    std::printf("[ info ] session creation: first start %.1f ms (%llu pipelines, %.1f ms creating them, first run %.1f ms), "
                "second start %.1f ms (%llu pipelines, %llu found in the cache, %.1f ms creating them, first run %.1f ms)\n",
                first.createMs, static_cast<unsigned long long>(first.created), first.compileMs, first.firstRunMs, second.createMs,
                static_cast<unsigned long long>(second.created), static_cast<unsigned long long>(second.hits), second.compileMs,
                second.firstRunMs);
    RecordProperty("first_start_ms", std::to_string(first.createMs));
    RecordProperty("second_start_ms", std::to_string(second.createMs));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace percept::vktest
