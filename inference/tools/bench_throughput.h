// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-bench --batch N: the throughput mode (SessionOptions::batch, Session::runBatch) timed
// against batch 1 of the same engine, interleaved, in images per second.
#include <string>

#include "percept/percept.h"

namespace percept::tools {

struct ThroughputOptions {
    int batch = 1, runs = 30, warmup = 5;
    bool json = false;
};

// Runs `model` at batch 1 and at `o.batch` on N different random images, round by round, and
// prints images/s for both, the per-round ratio (median and spread) and how far each image's
// result in the batch is from its batch-1 result (they must agree: a fast wrong answer is no
// result). Throws percept::Error when the model cannot run at that batch.
void benchThroughput(const std::string& name, const Model& model, const SessionOptions& options, const ThroughputOptions& o);

}  // namespace percept::tools
