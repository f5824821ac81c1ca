// SPDX-License-Identifier: Apache-2.0
#pragma once
// The backends every engine test runs on: all compiled into this build. A compiled-in backend
// without a usable device is still listed, so its tests fail loudly rather than vanish.
#include <string>
#include <vector>

#include "percept/backend.h"

namespace percept::testing {

inline std::vector<Backend> testBackends() {
    std::vector<Backend> b = {Backend::Cpu};
#ifdef PERCEPT_HAVE_VULKAN
    b.push_back(Backend::Vulkan);
#endif
    return b;
}

inline std::string backendParamName(Backend b) { return backendName(b); }

}  // namespace percept::testing
