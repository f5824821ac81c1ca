// SPDX-License-Identifier: Apache-2.0
// The SIMD levels themselves (cpu/isa.h): what this CPU lists, that each level's table is that
// level's, and that a cap naming the other architecture's family (neon on x86-64, avx2/avx512
// on arm64) is refused with the reason instead of silently running another level.
#include <gtest/gtest.h>

#include <string>

#include "cpu/isa.h"
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

}  // namespace
}  // namespace percept::testing
