// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the model loader: ONNX bytes in -> a Model or a percept::Error. Anything
// else (a crash, a sanitizer report, an uncaught std:: exception, a leak, a hang, runaway
// memory) is a bug. Small models that load are also compiled and run once on the CPU backend.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "percept/percept.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        percept::Model model = percept::Model::fromBytes(data, size, "fuzz-input");
        int64_t inputElements = 0;
        for (const auto& in : model.inputs()) inputElements += percept::elementCount(in.shape);
        // Keep each execution short: run only models of modest size.
        if (model.flops() < 20'000'000 && inputElements < 1'000'000 && model.inputs().size() == 1) {
            percept::SessionOptions so;
            so.threads = 1;
            auto session = percept::Session::create(model, so);
            if (session->stats().peakArenaBytes < (64u << 20)) session->run(percept::Tensor(model.inputs()[0].shape));
        }
    } catch (const percept::Error&) {
        // The expected outcome for a broken file.
    } catch (const std::exception& e) {
        // Any other exception escaping the loader is a bug: name it, then crash so that
        // libFuzzer keeps the input as a reproducer.
        std::fprintf(stderr, "uncaught %s: %s\n", typeid(e).name(), e.what());
        std::abort();
    }
    return 0;
}
