// SPDX-License-Identifier: Apache-2.0
#pragma once
// Runs many tasks in forked worker processes so that one that crashes (a segfault, an abort)
// or hangs costs only its own result: the task is reported CRASH and a fresh worker carries on
// with the next one. A worker runs task after task, so per-process set-up (a Vulkan device,
// its pipelines) is paid once per worker, not once per task.
//
// The calling process must not have started threads or opened a Vulkan device before: fork()
// copies only the calling thread. Everything that touches the engine runs in the workers.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "outcome.h"

namespace percept::conformance {

struct IsolationOptions {
    int jobs = 1;                 // workers running at once
    double timeoutSeconds = 120;  // a task running longer is killed and reported CRASH
    bool fork = true;             // false: run every task in this process (for a debugger)
};

struct IsolatedRun {
    std::vector<Outcome> outcomes;          // by task index
    std::vector<std::string> workerErrors;  // workers that ended badly between tasks (at exit:
                                            // a sanitizer's leak report, a crash in a destructor)
};

// Runs task(i) for every i in [0, n); done(i, outcome) is called in this process as results
// arrive (in no particular order).
IsolatedRun runIsolated(size_t n, const std::function<Outcome(size_t)>& task, const IsolationOptions& opt,
                        const std::function<void(size_t, const Outcome&)>& done = {});

}  // namespace percept::conformance
