// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Auto backend: measures CPU and GPU on the running model for a few frames (every probe
// frame runs on both, each on its own warm session), then keeps the better one until the
// model, the source or the power state changes.
//   - plugged in (UPower says on AC): the lowest latency;
//   - otherwise (on battery, or the power state is unknown): the lowest energy per inference
//     among the backends that keep up with the source's frame rate (a frame's whole time,
//     preprocess + inference + postprocess, within one frame interval; a still picture is kept
//     up with by anything); when none keeps up, the lowest latency.
// decide() is a pure function of the measurements, so its rule is tested directly; the
// worker feeds it what it measured.
#include <QString>
#include <array>
#include "metrics/rolling_median.h"
#include "percept/backend.h"

namespace percept::app {

enum class PowerState { Unknown, Ac, Battery };
QString powerStateName(PowerState s);  // "plugged in", "on battery", "power state unknown"

struct BackendMeasurement {
    bool available = false;
    QString unavailableWhy;   // when not available
    double frameMs = 0;       // median preprocess + inference + postprocess
    double joules = 0;        // mean energy per inference
    bool energyMeasured = false;
    int samples = 0;
};

struct AutoDecision {
    percept::Backend backend = percept::Backend::Cpu;
    QString reason;  // "plugged in: lowest latency (4.1 vs 9.8 ms)"
};

// measurements indexed 0 = CPU, 1 = GPU. sourceFps 0: a still picture.
AutoDecision decideBackend(const std::array<BackendMeasurement, 2>& m, double sourceFps, PowerState power);

class AutoBackend {
public:
    // Probe frames per backend; the first run of each is left out (a cold cache, a lazily
    // compiled pipeline), so a decision needs kProbeFrames + 1 frames.
    static constexpr int kProbeFrames = 5;

    bool enabled() const { return enabled_; }
    void setEnabled(bool on);
    // Measure again (model, source or power state changed); `why` is shown while probing.
    void restart(const QString& why);
    bool probing() const { return enabled_ && !decided_; }
    int probeFramesDone() const { return frames_; }
    // One probe frame's figures for a backend (ms of the whole frame; joules per inference
    // from the energy meter, which the worker cleared when probing began).
    void addSample(percept::Backend b, double frameMs);
    // True once every available backend has kProbeFrames samples.
    bool readyToDecide(const std::array<bool, 2>& available) const;
    const AutoDecision& decide(std::array<BackendMeasurement, 2> m, double sourceFps, PowerState power);
    const AutoDecision& decision() const { return decision_; }
    QString restartReason() const { return restartWhy_; }
    // For the overlay: "Auto → CPU: plugged in: lowest latency (...)" or "Auto: measuring ..."
    QString note() const;
    double medianMs(percept::Backend b) const;
    int samples(percept::Backend b) const;

private:
    bool enabled_ = false;
    bool decided_ = false;
    int frames_ = 0;
    std::array<RollingMedian, 2> ms_{RollingMedian(kProbeFrames), RollingMedian(kProbeFrames)};
    std::array<int, 2> skippedFirst_{};
    AutoDecision decision_;
    QString restartWhy_;
};

}  // namespace percept::app
