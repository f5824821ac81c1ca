// SPDX-License-Identifier: Apache-2.0
#pragma once
// Energy per inference for the active backend: a hardware counter where the machine has one
// (RAPL for the CPU package, NVML for NVIDIA GPUs), otherwise the documented estimate
// (metrics/energy_model.h). Each inference is bracketed by begin()/end(); the figure is the
// mean over the last `window` inferences (counters tick every ~1 ms, so one inference alone
// is too coarse).
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "metrics/energy_counter.h"
#include "metrics/energy_model.h"

namespace percept::app {

struct EnergyFigure {
    bool valid = false;
    double joulesPerInference = 0.0;
    bool measured = false;   // from a hardware counter
    std::string source;      // "RAPL package-0", "CPU time x 5 W/core", ...
    std::string note;        // why no counter is used, when it is an estimate
    // RAPL's core domain beside the package figure (the cores' share of it), when readable.
    bool coreValid = false;
    double coreJoulesPerInference = 0.0;
};

enum class EnergyDomain { Cpu, Gpu };

class EnergyMonitor {
public:
    struct Options {
        std::string powercapRoot = "/sys/class/powercap";
        std::string nvmlLibrary = "libnvidia-ml.so.1";
        EnergyModel model = EnergyModel::fromEnvironment();
        size_t window = 30;
    };
    EnergyMonitor();
    explicit EnergyMonitor(Options options);
    ~EnergyMonitor();

    // Chooses the meter for a backend's device and clears the window. A Vulkan device that is
    // really the CPU (lavapipe) is metered as the CPU.
    void configure(EnergyDomain domain, const std::string& deviceName);
    void begin();
    // flops and bytesMoved feed the GPU estimate; unused otherwise.
    void end(int64_t flops, size_t bytesMoved);
    EnergyFigure figure() const;
    // Starts a fresh window on the same meter (the Auto backend's probe).
    void clearWindow() {
        samples_.clear();
        coreSamples_.clear();
    }

private:
    Options options_;
    EnergyDomain domain_ = EnergyDomain::Cpu;
    std::unique_ptr<EnergyCounter> cpuCounter_, gpuCounter_, coreCounter_;
    std::string cpuWhy_, gpuWhy_;
    bool cpuTried_ = false;
    std::string gpuTriedFor_;
    bool gpuTried_ = false;
    EnergyCounter* counter_ = nullptr;
    bool software_ = false;
    std::string why_;

    double startJoules_ = 0.0;
    bool startValid_ = false;
    double startCpuSeconds_ = 0.0;
    std::deque<double> samples_;
    EnergyCounter* core_ = nullptr;  // RAPL core domain, read beside the package while on the CPU
    double startCoreJoules_ = 0.0;
    bool startCoreValid_ = false;
    std::deque<double> coreSamples_;
};

double processCpuSeconds();

}  // namespace percept::app
