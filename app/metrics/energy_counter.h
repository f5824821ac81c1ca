// SPDX-License-Identifier: Apache-2.0
#pragma once
// A hardware energy counter: cumulative joules since some fixed point (RAPL, NVML).
#include <optional>
#include <string>

namespace percept::app {

class EnergyCounter {
public:
    virtual ~EnergyCounter() = default;
    // Cumulative energy in joules, monotonic (wrap-arounds already handled); nullopt when a
    // read fails.
    virtual std::optional<double> readJoules() = 0;
    // What is measured, for the overlay: "RAPL package-0", "NVML GeForce RTX 4070".
    virtual std::string source() const = 0;
};

}  // namespace percept::app
