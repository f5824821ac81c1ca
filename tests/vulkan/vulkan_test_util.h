// SPDX-License-Identifier: Apache-2.0
#pragma once
// Shared by the Vulkan tests: the validation layer is switched on for the whole process before
// any Vulkan call (and its error count must still be zero at the end), scoped environment
// variables, and a CPU-vs-Vulkan comparison of one-op graphs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "op_test_util.h"
#include "vulkan/vk_context.h"

namespace percept::vktest {

// Sets (or unsets, with nullopt) an environment variable for the life of the object.
class ScopedEnv {
public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) setenv(name, value->c_str(), 1);
        else unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) setenv(name_.c_str(), old_->c_str(), 1);
        else unsetenv(name_.c_str());
    }

private:
    std::string name_;
    std::optional<std::string> old_;
};

inline double maxRelDiff(const Tensor& a, const Tensor& b) {
    double maxRef = 1.0, maxDiff = 0.0;
    for (float v : b.data) maxRef = std::max(maxRef, static_cast<double>(std::fabs(v)));
    for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
        maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(a.data[i] - b.data[i])));
    return maxDiff / maxRef;
}

}  // namespace percept::vktest
