// SPDX-License-Identifier: Apache-2.0
#include "metrics/energy_monitor.h"

#include <time.h>

#include <numeric>

#include "metrics/nvml_reader.h"
#include "metrics/rapl_reader.h"

namespace percept::app {

double processCpuSeconds() {
    timespec ts{};
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0.0;
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

EnergyMonitor::EnergyMonitor() : EnergyMonitor(Options{}) {}
EnergyMonitor::EnergyMonitor(Options options) : options_(std::move(options)) {}
EnergyMonitor::~EnergyMonitor() = default;

void EnergyMonitor::configure(EnergyDomain domain, const std::string& deviceName) {
    samples_.clear();
    coreSamples_.clear();
    startValid_ = false;
    core_ = nullptr;
    software_ = domain == EnergyDomain::Gpu && isSoftwareDevice(deviceName);
    domain_ = software_ ? EnergyDomain::Cpu : domain;
    if (domain_ == EnergyDomain::Cpu) {
        if (!cpuTried_) {
            cpuCounter_ = RaplReader::open(options_.powercapRoot, &cpuWhy_);
            if (cpuCounter_) coreCounter_ = RaplReader::open(options_.powercapRoot, nullptr, RaplDomain::Core);
            cpuTried_ = true;
        }
        counter_ = cpuCounter_.get();
        core_ = coreCounter_.get();
        why_ = cpuWhy_;
    } else {
        if (!gpuTried_ || gpuTriedFor_ != deviceName) {
            gpuCounter_ = NvmlReader::open(deviceName, &gpuWhy_, options_.nvmlLibrary.c_str());
            gpuTried_ = true;
            gpuTriedFor_ = deviceName;
        }
        counter_ = gpuCounter_.get();
        why_ = gpuWhy_;
    }
}

void EnergyMonitor::begin() {
    startCpuSeconds_ = processCpuSeconds();
    startValid_ = false;
    if (counter_) {
        if (auto j = counter_->readJoules()) {
            startJoules_ = *j;
            startValid_ = true;
        }
    }
    startCoreValid_ = false;
    if (core_) {
        if (auto j = core_->readJoules()) {
            startCoreJoules_ = *j;
            startCoreValid_ = true;
        }
    }
}

void EnergyMonitor::end(int64_t flops, size_t bytesMoved) {
    double joules = 0.0;
    if (counter_ && startValid_) {
        auto j = counter_->readJoules();
        if (!j) return;
        joules = *j - startJoules_;
    } else if (counter_) {
        return;  // the counter failed at begin(); skip this sample rather than mix methods
    } else if (domain_ == EnergyDomain::Cpu) {
        joules = options_.model.cpuJoules(processCpuSeconds() - startCpuSeconds_);
    } else {
        joules = options_.model.gpuJoules(flops, bytesMoved);
    }
    samples_.push_back(joules);
    while (samples_.size() > options_.window) samples_.pop_front();
    if (core_ && startCoreValid_) {
        if (auto j = core_->readJoules()) {
            coreSamples_.push_back(*j - startCoreJoules_);
            while (coreSamples_.size() > options_.window) coreSamples_.pop_front();
        }
    }
}

EnergyFigure EnergyMonitor::figure() const {
    EnergyFigure f;
    if (samples_.empty()) return f;
    f.valid = true;
    f.joulesPerInference = std::accumulate(samples_.begin(), samples_.end(), 0.0) / static_cast<double>(samples_.size());
    f.measured = counter_ != nullptr;
    if (!coreSamples_.empty()) {
        f.coreValid = true;
        f.coreJoulesPerInference = std::accumulate(coreSamples_.begin(), coreSamples_.end(), 0.0) / static_cast<double>(coreSamples_.size());
    }
    if (counter_) {
        f.source = counter_->source();
        if (software_) f.source += " (software GPU runs on the CPU)";
    } else {
        f.source = domain_ == EnergyDomain::Cpu ? options_.model.cpuDescription() : options_.model.gpuDescription();
        if (software_) f.source += "; a software GPU";
        f.note = why_;
    }
    return f;
}

}  // namespace percept::app
