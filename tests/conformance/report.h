// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the run prints for people: counts per folder, mode and backend, and the refusals
// grouped by op (what to implement next).
#include <string>
#include <vector>

#include "onnx_test_case.h"
#include "outcome.h"
#include "percept/backend.h"

namespace percept::conformance {

struct Result {
    const TestCase* test;
    Mode mode;
    Backend backend;
    Outcome outcome;
};

// One row per (folder, mode, backend): pass, fail, refused, crash, total.
void printCounts(const std::vector<Result>& results, const std::vector<std::string>& folders);

// Per backend: the refusals made before calling the engine, by type; and the `top` ops with
// the most runs the engine refused, each with its most common reason (names blanked out).
void printRefusals(const std::vector<Result>& results, size_t top);

// The `top` slowest runs per backend.
void printSlowest(const std::vector<Result>& results, size_t top);

}  // namespace percept::conformance
