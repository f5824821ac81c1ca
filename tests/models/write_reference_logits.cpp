// SPDX-License-Identifier: Apache-2.0
// percept_reference_logits --write DIR: the logits of every shared model on every shared photo
// (reference_logits.h), from this build (CI: the x86-64 Release build at its best SIMD level),
// for another architecture's build to be checked against (test_arch_reference.cpp).
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "reference_logits.h"

int main(int argc, char** argv) {
    using namespace percept;
    if (argc != 3 || std::strcmp(argv[1], "--write") != 0) {
        std::fprintf(stderr, "usage: %s --write DIR\n", argv[0]);
        return 2;
    }
    try {
        const std::string dir = argv[2];
        std::filesystem::create_directories(dir);
        const auto cases = percept::testing::logitsCases();
        if (cases.empty()) throw Error("no shared model or photo found (PERCEPT_MODELS_DIR / PERCEPT_IMAGES_DIR)");
        SessionOptions so;
        so.threads = 2;
        so.tuning = Tuning::fromEnvironment();
        percept::testing::LogitsRunner runner(so);
        for (const auto& c : cases) percept::testing::writeLogits(c.file(dir), runner.run(c));
        std::printf("%zu reference logit files in %s\n", cases.size(), dir.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept_reference_logits: %s\n", e.what());
        return 1;
    }
}
