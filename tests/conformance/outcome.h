// SPDX-License-Identifier: Apache-2.0
#pragma once
// What one (test, mode, backend) run came to.
#include <optional>
#include <string>

namespace percept::conformance {

enum class Status {
    Pass,     // every output of every data set within ONNX's tolerance, shapes equal
    Fail,     // loaded and ran, but an output is wrong (value or shape)
    Refused,  // a percept::Error at load, session creation or run, or a type the public API lacks
    Crash,    // any other exception, a signal, or a hang
};
const char* statusName(Status s);
std::optional<Status> parseStatus(const std::string& s);

struct Outcome {
    Status status = Status::Crash;
    std::string reason;  // one line; empty for Pass
    std::string op;      // what a refusal by the engine is about, for the summary: the op its
                         // message names, else the model's op types; empty for a refusal of a
                         // type the public API lacks, made before calling the engine
    double seconds = 0;  // wall time of the run (set by the isolation layer)
};

}  // namespace percept::conformance
