// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the worker reports for one frame: top-k, the time split with rolling medians, memory and
// energy figures, and which backend/device/model produced it.
#include <QMetaType>
#include <QString>
#include <QVector>
#include <cstdint>
#include <memory>

#include "percept/backend.h"
#include "pipeline/frame.h"

namespace percept::app {

struct LabelScore {
    QString label;
    float prob = 0.0f;
    int index = 0;  // the model's raw output index
};

struct MemoryFigures {
    size_t rssBytes = 0;        // process resident set (/proc/self/statm)
    size_t weightBytes = 0;     // weights held by the session (after repacking): resident
    uint64_t weightFileBytes = 0;  // the model file on disk (compressed / int8 variants: far smaller)
    size_t arenaBytes = 0;      // planned activation arena
    size_t workspaceBytes = 0;  // scratch (im2col tiles)
    size_t deviceBytes = 0;     // GPU memory allocated by the Vulkan backend
};

struct EnergyInfo {
    bool valid = false;
    double joulesPerInference = 0.0;
    bool measured = false;
    QString source;  // "RAPL package-0" or the estimate's formula
    QString note;    // why the estimate is used
    bool coreValid = false;             // RAPL's core domain was read too
    double coreJoulesPerInference = 0;  // the cores' share of the package figure
};

// ---- compare mode, Auto backend, scene skip ----
// Compare mode: how the two backends' answers to one frame agree.
struct Agreement {
    bool valid = false;
    bool sameTop1 = false;
    double maxProbDiff = 0;  // max |p_cpu - p_gpu| over every class
};
// Skipping unchanged scenes: counts since the model, backend, source or threshold last changed.
struct SkipFigures {
    bool enabled = false;
    uint64_t framesSeen = 0;     // frames that could have been skipped (stream frames)
    uint64_t framesSkipped = 0;  // ... whose result was reused
    double joulesSaved = 0;      // skipped frames x energy per inference at the time
    double lastDifference = 0;   // the frame's change against the scene the result is for (grey levels)
    double threshold = 0;
};

struct InferenceResult {
    uint64_t frameSeq = 0;
    Clock::time_point frameArrival;
    Clock::time_point finished;
    // The frame arrived before the model/backend it ran on was ready (it waited for a model
    // load or a session's creation): its end-to-end time measures setup, not the pipeline.
    bool waitedForSetup = false;
    QVector<LabelScore> top;

    double preprocessMs = 0, inferenceMs = 0, postprocessMs = 0;
    double medianPreprocessMs = 0, medianInferenceMs = 0, medianPostprocessMs = 0, medianTotalMs = 0;
    int medianSamples = 0;
    double inferencesPerSecond = 0;  // completed inferences per second over the last 2 s

    percept::Backend backend = percept::Backend::Cpu;
    QString backendLabel;  // "CPU" / "GPU (Vulkan)"
    QString device;        // the session's device name
    QString modelKey, modelName;
    int threads = 0;
    int64_t flops = 0;

    MemoryFigures memory;
    EnergyInfo energy;

    // ---- compare mode, Auto backend, scene skip ----
    double cpuMs = 0, medianCpuMs = 0;  // process CPU time during Session::run (every thread of the process)
    bool compareMode = false;
    std::shared_ptr<const InferenceResult> compared;  // the same frame on the other backend (GPU)
    Agreement agreement;                              // valid when `compared` is set
    QString compareNote;                              // why one side is missing in compare mode
    QString autoNote;                                 // Auto backend: what it chose and why; empty otherwise
    bool reused = false;                              // the scene was unchanged: this is the result of frame reusedFrom
    uint64_t reusedFrom = 0;
    SkipFigures skip;
};

}  // namespace percept::app

Q_DECLARE_METATYPE(percept::app::InferenceResult)
