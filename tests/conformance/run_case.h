// SPDX-License-Identifier: Apache-2.0
#pragma once
// Runs one conformance test, in one mode, on one backend, in this process.
#include "onnx_test_case.h"
#include "outcome.h"
#include "percept/backend.h"

namespace percept::conformance {

struct RunOptions {
    Backend backend = Backend::Cpu;
    int threads = 1;
    bool verbose = false;  // print the model's ops, shapes and every comparison to stdout
};

// Reads the test, checks that every value the engine would see or give is float32 (the public
// Tensor's type), loads the model for the mode, creates a session, runs every data set and
// compares every output. A percept::Error is REFUSED; any other exception CRASH (a signal is
// the caller's to catch: see isolation.h).
Outcome runCase(const TestCase& tc, Mode mode, const RunOptions& opt);

}  // namespace percept::conformance
