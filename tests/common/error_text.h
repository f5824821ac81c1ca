// SPDX-License-Identifier: Apache-2.0
#pragma once
// The message of the percept::Error a call throws, or "" when it throws none: tests check that
// a refusal names its reason.
#include <functional>
#include <string>

#include "percept/error.h"

namespace percept::testing {

inline std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace percept::testing
