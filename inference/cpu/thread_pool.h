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
#include <cstdint>
#include <thread>
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
        if (tasks <= 0) return;
        if (tasks == 1 || workers_.empty()) {
            for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
            return;
        }
        Job job{tasks, &fn, [](void* f, int64_t t, int th) { (*static_cast<F*>(f))(t, th); }};
        dispatch(job);
    }

    // Splits [0, n) into about size() contiguous ranges (multiples of `grain`) and calls
    // fn(begin, end, thread) for each.
    template <class F>
    void parallelFor(int64_t n, int64_t grain, F&& fn) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        const int64_t units = (n + grain - 1) / grain;
        const int64_t chunks = std::min<int64_t>(units, size());
        const int64_t per = (units + chunks - 1) / chunks;
        run(chunks, [&](int64_t c, int th) {
            const int64_t b = c * per * grain;
            const int64_t e = std::min(n, (c + 1) * per * grain);
            if (b < e) fn(b, e, th);
        });
    }

private:
    struct Job {
        int64_t tasks;
        void* fn;
        void (*call)(void*, int64_t, int);
    };
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
};

}  // namespace percept::cpu
