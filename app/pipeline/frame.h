// SPDX-License-Identifier: Apache-2.0
#pragma once
// One picture on its way to the engine: the image, a sequence number given on arrival (UI
// thread) and the arrival time, so a result can say which frame it belongs to and how long the
// whole trip took.
#include <QImage>
#include <QMetaType>
#include <chrono>
#include <cstdint>

namespace percept::app {

using Clock = std::chrono::steady_clock;

struct Frame {
    QImage image;              // any format; the worker converts
    uint64_t seq = 0;          // strictly increasing over the program's life
    Clock::time_point arrival; // when the source delivered it to the UI thread
    bool still = false;        // a photo (not a stream): re-run when the backend/model changes
    double sourceFps = 0;      // the source's frame rate on arrival, 0 for a still (the Auto backend's keep-up test)
};

}  // namespace percept::app

Q_DECLARE_METATYPE(percept::app::Frame)
