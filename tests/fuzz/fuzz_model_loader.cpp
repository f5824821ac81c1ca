// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the model loader: ONNX or compressed-model (.pcz) bytes in -> a Model or a
// percept::Error. Anything else (a crash, a sanitizer report, an uncaught std:: exception, a
// leak, a hang, runaway memory) is a bug. Small models that load are also compiled and run once
// on the CPU backend (compressed ones also with their weights streamed).
//
// Both formats share one target and the CI's fuzzing minutes. A .pcz input gets its header's
// length and its CRC-32 repaired first: otherwise nearly every mutation would stop at the
// checksum and the reader behind it would go unexplored (the checks themselves are unit-tested).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <exception>
#include <typeinfo>

#include "compressed/byte_io.h"
#include "compressed/model_file.h"
#include "percept/percept.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> repaired;
    if (percept::compressed::looksCompressed(data, size) && size >= percept::compressed::kHeaderBytes + percept::compressed::kTrailerBytes) {
        repaired.assign(data, data + size);
        const uint64_t payload = size - percept::compressed::kHeaderBytes - percept::compressed::kTrailerBytes;
        std::memcpy(repaired.data() + 16, &payload, sizeof(payload));
        const uint32_t crc = percept::compressed::crc32(repaired.data(), size - percept::compressed::kTrailerBytes);
        std::memcpy(repaired.data() + size - percept::compressed::kTrailerBytes, &crc, sizeof(crc));
        data = repaired.data();
    }
    try {
        percept::Model model = percept::Model::fromBytes(data, size, "fuzz-input");
        int64_t inputElements = 0;
        for (const auto& in : model.inputs()) inputElements += percept::elementCount(in.shape);
        // Keep each execution short: run only models of modest size.
        if (model.flops() < 20'000'000 && inputElements < 1'000'000 && model.inputs().size() == 1) {
            percept::SessionOptions so;
            so.threads = 1;
            auto session = percept::Session::create(model, so);
            if (session->stats().peakArenaBytes < (64u << 20)) {
                session->run(percept::Tensor(model.inputs()[0].shape));
                if (session->stats().codedWeightBytes > 0) {
                    so.weightMemoryBudget = 0;  // every coded layer streamed
                    percept::Session::create(model, so)->run(percept::Tensor(model.inputs()[0].shape));
                }
            }
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
