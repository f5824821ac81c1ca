// SPDX-License-Identifier: Apache-2.0
#include "metrics/nvml_reader.h"

#include <dlfcn.h>

namespace percept::app {
namespace {
// From nvml.h (not needed at build time): nvmlReturn_t is an int enum with NVML_SUCCESS = 0,
// nvmlDevice_t an opaque pointer.
using InitFn = int (*)();
using CountFn = int (*)(unsigned int*);
using HandleFn = int (*)(unsigned int, void**);
using NameFn = int (*)(void*, char*, unsigned int);
using EnergyFn = int (*)(void*, unsigned long long*);
}  // namespace

std::unique_ptr<NvmlReader> NvmlReader::open(const std::string& nameHint, std::string* why, const char* library) {
    void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        if (why) *why = std::string("no ") + library + " (no NVIDIA driver)";
        return nullptr;
    }
    auto sym = [&](const char* n) { return dlsym(lib, n); };
    auto init = reinterpret_cast<InitFn>(sym("nvmlInit_v2"));
    auto shutdown = reinterpret_cast<InitFn>(sym("nvmlShutdown"));
    auto count = reinterpret_cast<CountFn>(sym("nvmlDeviceGetCount_v2"));
    auto handle = reinterpret_cast<HandleFn>(sym("nvmlDeviceGetHandleByIndex_v2"));
    auto name = reinterpret_cast<NameFn>(sym("nvmlDeviceGetName"));
    auto energy = reinterpret_cast<EnergyFn>(sym("nvmlDeviceGetTotalEnergyConsumption"));
    if (!init || !shutdown || !count || !handle || !name || !energy) {
        if (why) *why = std::string(library) + " lacks the NVML functions needed";
        dlclose(lib);
        return nullptr;
    }
    if (init() != 0) {
        if (why) *why = "nvmlInit failed";
        dlclose(lib);
        return nullptr;
    }
    unsigned int n = 0;
    if (count(&n) != 0 || n == 0) {
        if (why) *why = "NVML sees no device";
        shutdown();
        dlclose(lib);
        return nullptr;
    }
    void* chosen = nullptr;
    std::string chosenName;
    for (unsigned int i = 0; i < n; ++i) {
        void* d = nullptr;
        char buf[96] = {};
        if (handle(i, &d) != 0 || name(d, buf, sizeof buf) != 0) continue;
        const std::string dn(buf);
        if (!chosen || (!nameHint.empty() && (nameHint.find(dn) != std::string::npos || dn.find(nameHint) != std::string::npos))) {
            chosen = d;
            chosenName = dn;
        }
    }
    unsigned long long mj = 0;
    if (!chosen || energy(chosen, &mj) != 0) {
        if (why) *why = "this NVIDIA GPU has no total-energy counter (needs Volta or newer)";
        shutdown();
        dlclose(lib);
        return nullptr;
    }
    auto r = std::unique_ptr<NvmlReader>(new NvmlReader());
    r->lib_ = lib;
    r->device_ = chosen;
    r->shutdown_ = shutdown;
    r->totalEnergy_ = energy;
    r->deviceName_ = chosenName;
    return r;
}

NvmlReader::~NvmlReader() {
    if (shutdown_) shutdown_();
    if (lib_) dlclose(lib_);
}

std::optional<double> NvmlReader::readJoules() {
    unsigned long long mj = 0;
    if (totalEnergy_(device_, &mj) != 0) return std::nullopt;
    return static_cast<double>(mj) * 1e-3;
}

}  // namespace percept::app
