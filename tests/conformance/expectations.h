// SPDX-License-Identifier: Apache-2.0
#pragma once
// tests/conformance/expected.txt: the recorded outcome of every (test, mode) on each backend.
// One line each:
//
//   <folder>/<test> <mode> <cpu status> <vulkan status>[ | <reason>]
//   <folder>/<test> <mode> <cpu status> <vulkan status> | cpu: <reason> | vulkan: <reason>
//
// the first reason form when both backends give the same one (or only one has one); a status
// is PASS, FAIL, REFUSED, CRASH, or '-' for a backend not recorded. '#' starts a comment line.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "outcome.h"

namespace percept::conformance {

constexpr int kBackendCount = 2;  // cpu, vulkan: the columns, in percept::Backend order

struct Expected {
    std::optional<Status> status[kBackendCount];
    std::string reason[kBackendCount];
};

// Keyed by (folder/test, mode name); the file's order.
using Expectations = std::map<std::pair<std::string, std::string>, Expected>;

// An absent file is empty; a malformed line throws std::runtime_error naming it.
Expectations readExpectations(const std::filesystem::path& path);
void writeExpectations(const std::filesystem::path& path, const Expectations& e);

}  // namespace percept::conformance
