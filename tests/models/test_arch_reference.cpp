// SPDX-License-Identifier: Apache-2.0
// This build against another architecture's (reference_logits.h): every shared model on every
// shared photo gives the same top-1 and logits within 1e-3 x max |logit| of the reference
// build's (CI: the arm64 build under qemu, at the generic and NEON levels, against the x86-64
// build). PERCEPT_ARCH_REFERENCE_DIR names the reference files; without it the test skips
// (only the arm64 stage of CI makes them).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "percept/models/classification.h"
#include "reference_logits.h"

namespace percept::testing {
namespace {

TEST(ArchReference, EveryModelMatchesTheReferenceBuild) {
    const char* dir = std::getenv("PERCEPT_ARCH_REFERENCE_DIR");
    if (!dir || !*dir) GTEST_SKIP() << "PERCEPT_ARCH_REFERENCE_DIR is not set (percept_reference_logits --write DIR makes it)";
    const auto cases = logitsCases();
    ASSERT_GE(cases.size(), 40u) << "expected 4 shared models x 10 photos";
    SessionOptions so;
    so.threads = 2;
    so.tuning = Tuning::fromEnvironment();  // PERCEPT_CPU_ISA: each level is checked
    LogitsRunner runner(so);
    float worst = 0;  // the largest max |diff| / max |logit| seen, printed for the record
    std::string worstCase;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.file(dir));
        const std::vector<float> ref = readLogits(c.file(dir));
        const std::vector<float> got = runner.run(c);
        ASSERT_EQ(got.size(), ref.size());
        float maxRef = 0, maxDiff = 0;
        for (size_t k = 0; k < ref.size(); ++k) {
            maxRef = std::max(maxRef, std::abs(ref[k]));
            maxDiff = std::max(maxDiff, std::abs(ref[k] - got[k]));
        }
        EXPECT_LE(maxDiff, 1e-3f * maxRef) << "max |diff| " << maxDiff << " vs max |logit| " << maxRef;
        EXPECT_EQ(models::topK(got, 1)[0], models::topK(ref, 1)[0]) << "top-1 differs";
        if (maxRef > 0 && maxDiff / maxRef >= worst) worst = maxDiff / maxRef, worstCase = c.file(dir);
    }
    std::printf("%zu model/photo pairs, same top-1; worst max |diff| / max |logit| %.2e (%s)\n", cases.size(), worst, worstCase.c_str());
}

}  // namespace
}  // namespace percept::testing
