// SPDX-License-Identifier: Apache-2.0
#pragma once
// A one-slot mailbox between the UI thread (producer) and the inference worker (consumer).
// put() replaces whatever frame is waiting, so a slow engine drops frames instead of queueing
// them and the video keeps its frame rate. put() returns whether the consumer must be woken:
// true only for the first frame since the consumer last took one, so at most one wake-up is
// in flight.
#include <mutex>
#include <optional>

#include "pipeline/frame.h"

namespace percept::app {

class LatestFrameMailbox {
public:
    struct PutResult {
        bool wake = false;     // post one wake-up to the consumer
        bool dropped = false;  // an untaken frame was replaced
    };
    PutResult put(Frame f) {
        std::lock_guard<std::mutex> lock(m_);
        PutResult r;
        r.dropped = slot_.has_value();
        if (r.dropped) ++dropped_;
        slot_ = std::move(f);
        r.wake = !wakePending_;
        wakePending_ = true;
        return r;
    }
    // The newest frame, or nullopt when none is waiting. Clears the wake-up flag either way.
    std::optional<Frame> take() {
        std::lock_guard<std::mutex> lock(m_);
        wakePending_ = false;
        std::optional<Frame> f = std::move(slot_);
        slot_.reset();
        if (f) ++taken_;
        return f;
    }
    // Gives back a frame the consumer took but could not run yet (no model was loaded), unless
    // a newer one has arrived meanwhile (then `f` counts as dropped). Counts stay exact: every
    // frame put() is, in the end, taken once, dropped once, or still waiting.
    PutResult restore(Frame f) {
        std::lock_guard<std::mutex> lock(m_);
        --taken_;
        PutResult r;
        if (slot_) {
            ++dropped_;
            r.dropped = true;
            return r;
        }
        slot_ = std::move(f);
        r.wake = !wakePending_;
        wakePending_ = true;
        return r;
    }
    bool hasFrame() const {
        std::lock_guard<std::mutex> lock(m_);
        return slot_.has_value();
    }
    // A frame the consumer took and then discarded for a newer one: counted as dropped.
    void dropTaken() {
        std::lock_guard<std::mutex> lock(m_);
        --taken_;
        ++dropped_;
    }
    uint64_t droppedCount() const {
        std::lock_guard<std::mutex> lock(m_);
        return dropped_;
    }
    // Frames the consumer has taken (each must yield a result or a reported failure).
    uint64_t takenCount() const {
        std::lock_guard<std::mutex> lock(m_);
        return taken_;
    }

private:
    mutable std::mutex m_;
    std::optional<Frame> slot_;
    bool wakePending_ = false;
    uint64_t dropped_ = 0;
    uint64_t taken_ = 0;
};

}  // namespace percept::app
