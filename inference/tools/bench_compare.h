// SPDX-License-Identifier: Apache-2.0
#pragma once
// percept-bench --compare cpu,vulkan: one model on two backends in the same run,
// each on its own warm session, runs interleaved (so both see the same machine noise):
// latency, per-layer time, process CPU time and energy per inference (RAPL / NVML where the
// machine has them, else the app's documented estimate, labelled), and whether the two
// outputs agree (same top-1, max |Δprob| over the class probabilities).
#include <string>
#include <vector>

#include "agreement.h"
#include "percept/percept.h"

namespace percept::tools {

struct CompareOptions {
    std::vector<Backend> backends;  // two
    int runs = 30, warmup = 5, threads = 0, device = -1;
    bool fp16 = false, json = false;
    Tuning tuning;
};

struct CompareLayer {
    std::string name, op;
    double ms = 0;  // median over the runs
};

struct BackendRun {
    std::string backend, device, refused;  // refused: why the backend could not run the model
    double minMs = 0, medianMs = 0, maxMs = 0;
    double cpuMsPerInference = 0;  // process CPU time during the run (every thread)
    bool energyValid = false, energyMeasured = false;
    double joulesPerInference = 0;
    std::string energySource;
    // The documented estimate for the same runs, beside a measured figure (calibration:
    // app/metrics/calibrate_energy.py fits its coefficients against the measured one).
    double estimatedJoules = 0;
    std::string estimateFormula;
    int64_t flops = 0;
    size_t bytesMoved = 0;  // weights + 2 x activation arena, the estimate's input
    std::vector<CompareLayer> layers;
};

struct ModelCompare {
    std::string model;
    double gflop = 0;
    std::vector<BackendRun> runs;  // one per backend, in the order asked
    bool agreementValid = false;
    Agreement agreement;  // on class probabilities: maxAbsDiff is max |Δprob|
};

// Runs one model; prints its table (or a JSON line). Throws percept::Error on a bad model.
ModelCompare runCompare(const std::string& name, const Model& model, const Tensor& input, const CompareOptions& o);
// The closing table over every model.
void printCompareSummary(const std::vector<ModelCompare>& all);

}  // namespace percept::tools
