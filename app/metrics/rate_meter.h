// SPDX-License-Identifier: Apache-2.0
#pragma once
// Events per second over a sliding time window (frames arriving, inferences finishing).
#include <chrono>
#include <deque>

namespace percept::app {

class RateMeter {
public:
    using Clock = std::chrono::steady_clock;
    explicit RateMeter(std::chrono::milliseconds window = std::chrono::milliseconds(2000)) : window_(window) {}

    void tick(Clock::time_point t = Clock::now()) {
        times_.push_back(t);
        trim(t);
    }
    void clear() { times_.clear(); }

    // Rate over the events still in the window; 0 with fewer than two events.
    double perSecond(Clock::time_point now = Clock::now()) {
        trim(now);
        if (times_.size() < 2) return 0.0;
        const double s = std::chrono::duration<double>(times_.back() - times_.front()).count();
        return s > 0 ? static_cast<double>(times_.size() - 1) / s : 0.0;
    }

private:
    void trim(Clock::time_point now) {
        while (!times_.empty() && now - times_.front() > window_) times_.pop_front();
    }
    std::chrono::milliseconds window_;
    std::deque<Clock::time_point> times_;
};

}  // namespace percept::app
