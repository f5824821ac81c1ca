// SPDX-License-Identifier: Apache-2.0
// The SIMD levels themselves (cpu/isa.h): what this CPU lists, that each level's table is that
// level's, and that a cap naming the other architecture's family (neon on x86-64, avx2/avx512
// on arm64) is refused with the reason instead of silently running another level.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cpu/isa.h"
#include "op_test_util.h"
#include "percept/error.h"

namespace percept::testing {
namespace {

TEST(CpuIsaLevels, ListedLevelsAreThisArchitecturesAndGenericFirst) {
    const std::vector<cpu::Isa> levels = cpu::supportedIsas();
    ASSERT_FALSE(levels.empty());
    EXPECT_EQ(levels.front(), cpu::Isa::Generic);
    for (cpu::Isa isa : levels) {
        EXPECT_EQ(cpu::cpuKernels(isa).isa, isa) << cpu::isaName(isa);
#if defined(__aarch64__)
        EXPECT_TRUE(isa == cpu::Isa::Generic || isa == cpu::Isa::Neon) << cpu::isaName(isa);
#else
        EXPECT_NE(isa, cpu::Isa::Neon);
#endif
    }
#if defined(__aarch64__)
    // Advanced SIMD is part of the aarch64 baseline: every arm64 CPU has the NEON level.
    EXPECT_EQ(cpu::bestIsa(Tuning::CpuIsa::Best), cpu::Isa::Neon);
    EXPECT_EQ(cpu::isaDescription(cpu::Isa::Neon).rfind("neon", 0), 0u);
#endif
    EXPECT_EQ(cpu::bestIsa(Tuning::CpuIsa::Generic), cpu::Isa::Generic);
}

TEST(CpuIsaLevels, OtherArchitecturesLevelIsRefused) {
#if defined(__aarch64__)
    for (Tuning::CpuIsa cap : {Tuning::CpuIsa::Avx2, Tuning::CpuIsa::Avx512}) {
        try {
            cpu::bestIsa(cap);
            ADD_FAILURE() << "an x86 level was accepted on arm64";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("arm64"), std::string::npos) << e.what();
        }
    }
#else
    try {
        cpu::bestIsa(Tuning::CpuIsa::Neon);
        ADD_FAILURE() << "PERCEPT_CPU_ISA=neon was accepted on x86-64";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no NEON level"), std::string::npos) << e.what();
    }
#endif
}

// arm64/NEON: every SIMD level's softmax row (vector max, exp and sum) against a double
// reference: lengths around the vector widths (4, 8, 16 lanes) and a classifier's 1000 and
// 1001, logits up to +-40 and huge ones, in place and not, softmax and log-softmax.
TEST(CpuIsaLevels, SoftmaxRowsMatchADoubleReference) {
    std::mt19937 rng(42);
    for (cpu::Isa isa : cpu::supportedIsas()) {
        const cpu::SoftmaxRowFn row = cpu::cpuKernels(isa).softmaxRow;
        if (isa == cpu::Isa::Generic) {
            EXPECT_EQ(row, nullptr);
            continue;
        }
        ASSERT_NE(row, nullptr) << cpu::isaName(isa) << " has no softmax row";
        for (int64_t n : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1000, 1001})
            for (float range : {1.0f, 40.0f, 3000.0f})
                for (bool log : {false, true})
                    for (bool inPlace : {false, true}) {
                        SCOPED_TRACE(std::string(cpu::isaName(isa)) + " n " + std::to_string(n) + " range " + std::to_string(range) +
                                     (log ? " log" : "") + (inPlace ? " in place" : ""));
                        std::uniform_real_distribution<float> u(-range, range);
                        std::vector<float> x(static_cast<size_t>(n)), y(x.size());
                        for (float& v : x) v = u(rng);
                        double m = x[0], s = 0;
                        for (float v : x) m = std::max<double>(m, v);
                        for (float v : x) s += std::exp(v - m);
                        std::vector<float> in = x;
                        float* out = inPlace ? in.data() : y.data();
                        row(in.data(), out, n, log);
                        for (int64_t i = 0; i < n; ++i) {
                            const double want = log ? x[i] - m - std::log(s) : std::exp(x[i] - m) / s;
                            ASSERT_NEAR(out[i], want, log ? 1e-5 * std::max(1.0, std::abs(want)) : 1e-6 + 1e-5 * want) << "at " << i;
                        }
                    }
    }
}

// ... and a Softmax layer on contiguous rows runs it at each level (named in its algorithm),
// agreeing with the generic level's scalar loop.
TEST(CpuIsaLevels, SoftmaxLayerTakesTheLevelsRow) {
    const Shape s = {3, 1000};
    const Tensor x = optest::randomTensor(s, 5, -10.0f, 10.0f);
    optest::OpGraph g;
    g.node("Softmax", {g.input("x", s)}, {g.output("y")});
    const Model m = detail::modelFromGraph(g.g, "softmax");
    Tensor generic;
    for (cpu::Isa isa : cpu::supportedIsas()) {
        SCOPED_TRACE(cpu::isaName(isa));
        SessionOptions o;
        o.tuning.cpuIsa = isa == cpu::Isa::Generic ? Tuning::CpuIsa::Generic
                          : isa == cpu::Isa::Avx2  ? Tuning::CpuIsa::Avx2
                          : isa == cpu::Isa::Avx512 ? Tuning::CpuIsa::Avx512
                                                    : Tuning::CpuIsa::Neon;
        auto session = Session::create(m, o);
        const Tensor y = session->run(std::vector<Tensor>{x}).at(0);
        ASSERT_EQ(session->stats().layers.size(), 1u);
        const std::string algo = session->stats().layers[0].algo;
        if (isa == cpu::Isa::Generic) {
            EXPECT_EQ(algo, "softmax-rows");
            generic = y;
        } else {
            EXPECT_EQ(algo, std::string("softmax-rows/") + cpu::isaName(isa));
            EXPECT_TRUE(optest::allClose(y, generic, 1e-5));
        }
    }
}

}  // namespace
}  // namespace percept::testing
