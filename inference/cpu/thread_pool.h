// SPDX-License-Identifier: Apache-2.0
#pragma once
// A pool of worker threads that stays warm between frames. The calling thread takes part in
// every job, so a pool of size 1 has no workers and runs everything inline.
//
// A network runs dozens of short parallel steps per frame (tens of microseconds each), so
// handing out a job must cost far less than a futex wake-up: workers spin on an atomic for a
// short while after each job (kSpinMicros) and only then sleep; the caller spins (yielding)
// until the tasks it did not run itself have finished. A worker that wakes late for a job
// takes nothing from it: tasks are claimed with the job's generation in the same atomic word,
// so the caller never waits for a thread that did not start.
#include <algorithm>
#include <atomic>
#include <memory>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace percept::cpu {

class ThreadPool {
public:
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // Calls fn(task, thread) for every task in [0, tasks), spread over the pool; `thread` is
    // in [0, size()) and identifies per-thread scratch. Returns when every task has run.
    template <class F>
    void run(int64_t tasks, F&& fn) {
        submit(tasks, fn, false);
    }

    // Like run(), but thread k takes the k-th contiguous share of [0, tasks) first and only
    // then helps with the others' (from their ends' side, in order). Consecutive layers that
    // split their work the same way (e.g. both by output rows or column ranges) then find
    // their inputs in the cache of the core that wrote them: on this kind of machine a line
    // written by the other core costs several times a local one (SqueezeNet's pools ran 2x
    // slower on 2 threads than on 1 when tasks went to whichever thread came first).
    template <class F>
    void runSplit(int64_t tasks, F&& fn) {
        submit(tasks, fn, true);
    }

    // Wakes workers that went to sleep (idle longer than their spin time), without waiting
    // for them: called when a frame starts, so that they are spinning again by its first
    // parallel step instead of joining it a futex wake-up late (100-200 us on a VM).
    void wake() {
        if (!workers_.empty() && sleepers_.load(std::memory_order_seq_cst) > 0) dispatch(Job{0, nullptr, nullptr, false});
    }

    // Splits [0, n) into about size() contiguous ranges (multiples of `grain`) and calls
    // fn(begin, end, thread) for each, range k on thread k unless that thread is late.
    template <class F>
    void parallelFor(int64_t n, int64_t grain, F&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        const int64_t units = (n + grain - 1) / grain;
        const int64_t chunks = std::min<int64_t>(units, size());
        const int64_t per = (units + chunks - 1) / chunks;
        runSplit(chunks, [&](int64_t c, int th) {
            const int64_t b = c * per * grain;
            const int64_t e = std::min(n, (c + 1) * per * grain);
            if (b < e) fn(b, e, th);
        });
    }

private:
    // run() / runSplit(): inline when there is one task or no worker, else one job.
    template <class F>
    void submit(int64_t tasks, F& fn, bool split) {
        if (tasks <= 0) return;
        if (tasks == 1 || workers_.empty()) {
            for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
            return;
        }
        dispatch(Job{tasks, const_cast<void*>(static_cast<const void*>(&fn)), [](void* f, int64_t t, int th) { (*static_cast<F*>(f))(t, th); }, split});
    }

    struct Job {
        int64_t tasks;
        void* fn;
        void (*call)(void*, int64_t, int);
        bool split;  // runSplit(): per-thread shares
    };
    // runSplit(): share k is [begin(k), begin(k + 1)); its cursor holds generation << 32 | the
    // next unclaimed task of the share. One cache line each.
    struct alignas(64) Cursor {
        std::atomic<uint64_t> v{0};
    };
    int64_t shareBegin(int k) const { return tasks_.load(std::memory_order_relaxed) * k / size(); }
    int64_t drainSplit(uint32_t gen, int thread);
    void dispatch(const Job& job);
    void workerLoop(int index);
    // Claims and runs tasks of generation `gen` until none is left; returns how many it ran.
    int64_t drain(uint32_t gen, int thread);

    std::vector<std::thread> workers_;
    Job job_{};                          // valid while a task of the current generation is claimed
    std::atomic<int64_t> tasks_{0};      // job_.tasks, readable before a task is claimed
    std::atomic<uint64_t> next_{0};      // generation << 32 | next task index
    std::atomic<uint32_t> generation_{0};  // what workers wait on
    std::atomic<int64_t> done_{0};       // tasks of the current job finished by workers
    std::atomic<int> sleepers_{0};       // workers blocked in generation_.wait
    std::atomic<bool> stop_{false};
    std::atomic<bool> split_{false};     // job_.split, readable before a task is claimed
    std::vector<Cursor> cursors_;        // runSplit(): one per thread
};

}  // namespace percept::cpu
