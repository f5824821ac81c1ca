// SPDX-License-Identifier: Apache-2.0
#pragma once
// Linux powercap / RAPL: the CPU package energy counters the kernel exposes as
//   <root>/intel-rapl:<N>/{name, energy_uj, max_energy_range_uj}
// (root is /sys/class/powercap; AMD Zen parts appear under the same "intel-rapl" name).
// Only top-level zones (one colon) are read: their names are "package-N" (preferred, summed
// over sockets) or "psys" (whole platform, used when there is no package zone). Sub-zones
// (intel-rapl:0:0 "core", "uncore", "dram") are parts of a package and would double-count.
// energy_uj wraps at max_energy_range_uj; the reader accumulates across wraps as long as it is
// read at least once per wrap period (minutes at full load).
// The core domain (RaplDomain::Core) reads the "core" sub-zones instead (intel-rapl:N:M named
// "core", the cores' share of package N, summed over packages): what the inference's threads
// themselves drew, without the uncore, caches and memory controller. sysfs lists every zone
// flat under the root as well as nested under its package; the flat names are read.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/energy_counter.h"

namespace percept::app {

enum class RaplDomain { Package, Core };

class RaplReader : public EnergyCounter {
public:
    // nullptr when there is no readable zone of the domain; `why` then says why (no powercap
    // directory, no RAPL zone, energy_uj not readable without privileges).
    static std::unique_ptr<RaplReader> open(const std::string& root = "/sys/class/powercap", std::string* why = nullptr,
                                            RaplDomain domain = RaplDomain::Package);

    std::optional<double> readJoules() override;
    std::string source() const override;
    const std::vector<std::string>& zoneNames() const { return names_; }

private:
    struct Zone {
        std::string energyPath;
        uint64_t maxRange = 0;  // µJ; 0 = unknown (wraps at 2^32 µJ are then not corrected)
        uint64_t last = 0;
        uint64_t accumulated = 0;  // µJ since open
    };
    std::vector<Zone> zones_;
    std::vector<std::string> names_;
};

}  // namespace percept::app
