// SPDX-License-Identifier: Apache-2.0
// The CPU backend's thread pool: every task of every job runs exactly once, whichever way
// the job is handed out (run, runSplit, parallelFor), with workers awake, asleep, or woken
// early by wake(), across thread counts and many back-to-back jobs (a worker still finishing
// one job must never run a task of the next).
#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "cpu/thread_pool.h"
#include "op_test_util.h"

namespace percept::cpu {
namespace {

// Runs `tasks` tasks through `submit` and checks each ran once, on a valid thread.
template <class Submit>
void expectEachOnce(ThreadPool& pool, int64_t tasks, Submit submit) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
    std::atomic<int> badThread{0};
    submit(tasks, [&](int64_t t, int th) {
        if (th < 0 || th >= pool.size()) badThread.fetch_add(1);
        hits[static_cast<size_t>(t)].fetch_add(1);
    });
    for (int64_t t = 0; t < tasks; ++t) ASSERT_EQ(hits[static_cast<size_t>(t)].load(), 1) << "task " << t << " of " << tasks;
    EXPECT_EQ(badThread.load(), 0);
}

TEST(ThreadPool, EveryTaskRunsOnceBackToBack) {
    for (int threads : {1, 2, 3, 4}) {
        SCOPED_TRACE(threads);
        ThreadPool pool(threads);
        for (int rep = 0; rep < 2000; ++rep) {
            const int64_t tasks = 1 + rep % 13;
            if (rep % 2) expectEachOnce(pool, tasks, [&](int64_t n, auto&& fn) { pool.run(n, fn); });
            else expectEachOnce(pool, tasks, [&](int64_t n, auto&& fn) { pool.runSplit(n, fn); });
            if (rep % 97 == 0) pool.wake();  // a job of no tasks between real ones
            if (HasFatalFailure()) return;
        }
    }
}

TEST(ThreadPool, SleepingWorkersWakeForAJob) {
    ThreadPool pool(2);
    for (int rep = 0; rep < 5; ++rep) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));  // past the spin time: asleep
        if (rep % 2) pool.wake();
        expectEachOnce(pool, 8, [&](int64_t n, auto&& fn) { pool.runSplit(n, fn); });
        expectEachOnce(pool, 5, [&](int64_t n, auto&& fn) { pool.run(n, fn); });
    }
}

TEST(ThreadPool, ParallelForCoversTheRangeInContiguousPieces) {
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (int64_t n : {1, 2, 5, 64, 1000}) {
            for (int64_t grain : {1, 7, 64}) {
                std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
                std::atomic<int> pieces{0};
                pool.parallelFor(n, grain, [&](int64_t b, int64_t e, int) {
                    pieces.fetch_add(1);
                    for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
                });
                for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << grain << " " << i;
                EXPECT_LE(pieces.load(), threads);
            }
        }
    }
}

// runSplit() hands thread k the k-th share first. On 2 threads this is exact whatever the
// scheduling: each thread that runs anything starts inside its own share, since it looks at
// the other share only once its own is claimed, and the other thread does the same (so by
// then nothing is left there either). This is what keeps a layer's output in the cache of
// the core that reads it next. No timing is checked.
TEST(ThreadPool, RunSplitHandsEachThreadItsOwnShareFirst) {
    ThreadPool pool(2);
    for (int rep = 0; rep < 100; ++rep) {
        std::atomic<int64_t> first[2];
        for (auto& f : first) f.store(-1);
        pool.runSplit(4, [&](int64_t t, int th) {
            int64_t none = -1;
            first[th].compare_exchange_strong(none, t);
            std::this_thread::sleep_for(std::chrono::microseconds(20));  // room for the worker to join
        });
        const int64_t f0 = first[0].load(), f1 = first[1].load();
        EXPECT_TRUE(f0 == -1 || f0 == 0 || f0 == 1) << "the caller began with task " << f0;
        EXPECT_TRUE(f1 == -1 || f1 == 2 || f1 == 3) << "the worker began with task " << f1;
        ASSERT_TRUE(f0 >= 0 || f1 >= 0);
    }
}

double processCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

// Once a session has run, nothing of the engine burns CPU while it waits for the next frame: the
// pool's workers spin for kSpinTime after a job and then sleep, and OpenBLAS's threads (which
// spin for ~100 ms of CPU from the library's load, whatever thread count is set later; on 2
// cores they had taken the second one from a 2-thread session) are stopped by the first session.
// Run as its own process (gtest_discover_tests), this is within that window; 50 ms of sleep
// measured: a spinning thread costs ~50 ms of CPU, an idle process ~0.
TEST(ThreadPool, NoThreadSpinsWhileASessionIsIdle) {
    optest::OpGraph b;
    b.node("Relu", {b.input("x", {1, 8, 4, 4})}, {b.output("y")});
    const Model model = detail::modelFromGraph(std::move(b.g), "idle-test");
    SessionOptions opt;
    opt.backend = Backend::Cpu;
    opt.threads = 2;
    auto session = Session::create(model, opt);
    session->run({optest::randomTensor({1, 8, 4, 4}, 5)});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the workers' spin
    const double before = processCpuMs();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_LT(processCpuMs() - before, 10.0) << "a thread kept running while the session was idle";
}

}  // namespace
}  // namespace percept::cpu
