// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where the tests find ../shared: the directories configured at build time, overridable with
// PERCEPT_MODELS_DIR / PERCEPT_IMAGES_DIR. Missing data skips a test on a developer's machine
// but fails it under CI (CI is set), so CI can never go green without running them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace percept::testing {

inline std::string envOr(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
inline std::string modelsDir() { return envOr("PERCEPT_MODELS_DIR", PERCEPT_TEST_MODELS_DIR); }
inline std::string imagesDir() { return envOr("PERCEPT_IMAGES_DIR", PERCEPT_TEST_IMAGES_DIR); }
inline bool underCi() { return std::getenv("CI") != nullptr; }

inline std::vector<std::string> testImages() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(imagesDir(), ec)) {
        const std::string ext = e.path().extension().string();
        if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace percept::testing

// Skips (developer machine) or fails (CI) when a data file or directory is missing.
#define PERCEPT_REQUIRE_DATA(path)                                                                  \
    do {                                                                                            \
        if (!std::filesystem::exists(path)) {                                                       \
            if (::percept::testing::underCi()) FAIL() << "test data missing under CI: " << (path);  \
            else GTEST_SKIP() << "test data missing: " << (path);                                   \
        }                                                                                           \
    } while (0)
