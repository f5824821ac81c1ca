// SPDX-License-Identifier: Apache-2.0
#include "cpu/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PERCEPT_PAUSE() _mm_pause()
#elif defined(__aarch64__)
// arm64/NEON: the spin-wait hint (std::this_thread::yield would be a system call per spin).
#define PERCEPT_PAUSE() __asm__ __volatile__("yield")
#else
#define PERCEPT_PAUSE() std::this_thread::yield()
#endif

namespace percept::cpu {
namespace {
// How long an idle worker keeps spinning for the next job before it sleeps: longer than the
// serial gap between two layers, short enough not to burn a core between frames.
constexpr auto kSpinTime = std::chrono::microseconds(200);
}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads < 1) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    cursors_ = std::vector<Cursor>(static_cast<size_t>(threads));
    for (int k = 1; k < threads; ++k) workers_.emplace_back([this, k] { workerLoop(k); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_seq_cst);
    generation_.fetch_add(1, std::memory_order_seq_cst);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
}

int64_t ThreadPool::drain(uint32_t gen, int thread) {
    int64_t ran = 0;
    uint64_t v = next_.load(std::memory_order_acquire);
    for (;;) {
        if (static_cast<uint32_t>(v >> 32) != gen) return ran;  // a later job: not ours
        const int64_t t = static_cast<int64_t>(v & 0xffffffffu);
        // The job cannot change while a task of its generation is unclaimed or running, so
        // reading job_ after a successful claim is safe (tasks_ is atomic: it is read before).
        if (t >= tasks_.load(std::memory_order_acquire)) return ran;
        if (next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
            job_.call(job_.fn, t, thread);
            ++ran;
            v = next_.load(std::memory_order_acquire);
        }
    }
}

int64_t ThreadPool::drainSplit(uint32_t gen, int thread) {
    int64_t ran = 0;
    const int T = size();
    // Own share first, then the others' in turn.
    for (int step = 0; step < T; ++step) {
        const int k = (thread + step) % T;
        Cursor& cur = cursors_[static_cast<size_t>(k)];
        uint64_t v = cur.v.load(std::memory_order_acquire);
        for (;;) {
            if (static_cast<uint32_t>(v >> 32) != gen) return ran;  // a later job: not ours
            const int64_t t = static_cast<int64_t>(v & 0xffffffffu);
            // As in drain(): job_ is stable while a task of this generation is unclaimed.
            if (t >= shareBegin(k + 1)) break;
            if (cur.v.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
                job_.call(job_.fn, t, thread);
                ++ran;
                v = cur.v.load(std::memory_order_acquire);
            }
        }
    }
    return ran;
}

void ThreadPool::dispatch(const Job& job) {
    const uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
    const uint64_t tag = static_cast<uint64_t>(gen) << 32;
    // Close the previous job's counters first (the new generation, no task open): a worker
    // still in drain() for it, holding its last counter value, fails its compare-exchange and
    // returns instead of claiming a task of this job by the new task count.
    next_.store(tag | 0xffffffffu, std::memory_order_seq_cst);
    for (Cursor& c : cursors_) c.v.store(tag | 0xffffffffu, std::memory_order_seq_cst);
    job_ = job;
    tasks_.store(job.tasks, std::memory_order_relaxed);
    split_.store(job.split, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    if (job.split)
        for (int k = 0; k < size(); ++k)
            cursors_[static_cast<size_t>(k)].v.store(tag | static_cast<uint64_t>(shareBegin(k)), std::memory_order_release);
    next_.store(tag, std::memory_order_release);
    generation_.store(gen, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
    const int64_t mine = job.split ? drainSplit(gen, 0) : drain(gen, 0);
    // Wait for the tasks claimed by workers; they are already running, so spin (yielding now
    // and then, in case a worker was preempted).
    for (int spins = 0; done_.load(std::memory_order_acquire) + mine < job.tasks; ++spins) {
        if (spins < 4096) PERCEPT_PAUSE();
        else std::this_thread::yield();
    }
}

void ThreadPool::workerLoop(int index) {
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = generation_.load(std::memory_order_acquire);
        if (g == seen) {
            const auto until = std::chrono::steady_clock::now() + kSpinTime;
            for (int k = 1; g == seen; ++k) {
                PERCEPT_PAUSE();
                g = generation_.load(std::memory_order_acquire);
                if ((k & 255) == 0 && std::chrono::steady_clock::now() > until) break;
            }
            if (g == seen) {
                sleepers_.fetch_add(1, std::memory_order_seq_cst);
                generation_.wait(seen, std::memory_order_seq_cst);
                sleepers_.fetch_sub(1, std::memory_order_seq_cst);
                continue;
            }
        }
        seen = g;
        if (stop_.load(std::memory_order_acquire)) return;
        // The job's kind is read after its generation (published with release after it).
        const int64_t ran = split_.load(std::memory_order_acquire) ? drainSplit(g, index) : drain(g, index);
        if (ran) done_.fetch_add(ran, std::memory_order_release);
    }
}

}  // namespace percept::cpu
