// SPDX-License-Identifier: Apache-2.0
#pragma once
// The backends every engine test runs on: all compiled into this build. A compiled-in backend
// without a usable device is still listed, so its tests fail loudly rather than vanish.
#include <cstdlib>
#include <string>
#include <vector>

#include "percept/backend.h"

namespace percept::testing {

inline std::vector<Backend> testBackends() {
    std::vector<Backend> b = {Backend::Cpu};
#ifdef PERCEPT_HAVE_VULKAN
    // arm64/NEON: PERCEPT_TEST_BACKENDS=cpu leaves Vulkan out on purpose (the arm64 build runs
    // under qemu, where there is no Vulkan device); tests that need it then skip.
    const char* only = std::getenv("PERCEPT_TEST_BACKENDS");
    if (!only || std::string(only) != "cpu") b.push_back(Backend::Vulkan);
#endif
    return b;
}

inline std::string backendParamName(Backend b) { return backendName(b); }

}  // namespace percept::testing
