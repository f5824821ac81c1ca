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
    for (int64_t t = next_.fetch_add(1); t < job.tasks; t = next_.fetch_add(1)) job.call(job.fn, t, thread);
}

// Every worker takes part in every job and acknowledges it when it has found no task left;
// the caller returns only once all have, so no worker can still hold a finished job (and its
// dangling function) when the next one starts.
void ThreadPool::dispatch(const Job& job) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = job;
        next_.store(0);
        acked_ = 0;
        ++generation_;
    }
    wake_.notify_all();
    drain(job, 0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return acked_ == workers_.size(); });
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
        std::lock_guard<std::mutex> lock(mutex_);
        if (++acked_ == workers_.size()) done_.notify_one();
    }
}

}  // namespace percept::cpu
