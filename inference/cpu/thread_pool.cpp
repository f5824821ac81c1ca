#include "cpu/thread_pool.h"

namespace percept::cpu {

ThreadPool::ThreadPool(int threads) {
    if (threads < 1) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int k = 1; k < threads; ++k) workers_.emplace_back([this, k] { workerLoop(k); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

void ThreadPool::drain(const Job& job, int thread) {
    int64_t done = 0;
    for (int64_t t = next_.fetch_add(1); t < job.tasks; t = next_.fetch_add(1)) {
        job.call(job.fn, t, thread);
        ++done;
    }
    if (done && finished_.fetch_add(done) + done == job.tasks) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_all();
    }
}

void ThreadPool::dispatch(const Job& job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = job;
        next_.store(0);
        finished_.store(0);
        ++generation_;
    }
    wake_.notify_all();
    drain(job, 0);
    // Short spin first: most jobs finish within microseconds of the caller's share.
    for (int spin = 0; spin < 2000 && finished_.load() < job.tasks; ++spin) std::this_thread::yield();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return finished_.load() >= job.tasks; });
}

void ThreadPool::workerLoop(int index) {
    uint64_t seen = 0;
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
            if (stop_) return;
            seen = generation_;
            job = job_;
        }
        drain(job, index);
    }
}

}  // namespace percept::cpu
