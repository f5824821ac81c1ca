// SPDX-License-Identifier: Apache-2.0
#pragma once
// NVIDIA's NVML total-energy counter (millijoules since the driver loaded), for Volta and
// newer GPUs. libnvidia-ml is loaded at run time with dlopen, never linked: on a machine
// without the NVIDIA driver this simply reports "unavailable".
#include <memory>
#include <string>

#include "metrics/energy_counter.h"

namespace percept::app {

class NvmlReader : public EnergyCounter {
public:
    // Opens the device whose name contains `nameHint` (e.g. the Vulkan device name), else
    // device 0. nullptr when the library, a device or the energy counter is missing; `why`
    // says which.
    static std::unique_ptr<NvmlReader> open(const std::string& nameHint = {}, std::string* why = nullptr,
                                            const char* library = "libnvidia-ml.so.1");
    ~NvmlReader() override;

    std::optional<double> readJoules() override;
    std::string source() const override { return "NVML " + deviceName_; }

private:
    NvmlReader() = default;
    void* lib_ = nullptr;
    void* device_ = nullptr;
    int (*shutdown_)() = nullptr;
    int (*totalEnergy_)(void*, unsigned long long*) = nullptr;
    std::string deviceName_;
};

}  // namespace percept::app
