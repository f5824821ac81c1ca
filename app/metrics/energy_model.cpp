// SPDX-License-Identifier: Apache-2.0
#include "metrics/energy_model.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace percept::app {
namespace {
double envPositive(const char* name, double fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const double d = std::strtod(v, &end);
    return (end && *end == '\0' && d > 0) ? d : fallback;
}
std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace

EnergyModel EnergyModel::fromEnvironment() {
    EnergyModel m;
    m.cpuWattsPerCore = envPositive("PERCEPT_CPU_WATTS_PER_CORE", m.cpuWattsPerCore);
    m.gpuPicojoulesPerFlop = envPositive("PERCEPT_GPU_PJ_PER_FLOP", m.gpuPicojoulesPerFlop);
    m.gpuPicojoulesPerByte = envPositive("PERCEPT_GPU_PJ_PER_BYTE", m.gpuPicojoulesPerByte);
    return m;
}

std::string EnergyModel::cpuDescription() const { return "CPU time \u00d7 " + number(cpuWattsPerCore) + " W/core"; }
std::string EnergyModel::gpuDescription() const {
    return "FLOPs \u00d7 " + number(gpuPicojoulesPerFlop) + " pJ + bytes \u00d7 " + number(gpuPicojoulesPerByte) + " pJ";
}

bool isSoftwareDevice(const std::string& deviceName) {
    std::string s = deviceName;
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* k : {"llvmpipe", "lavapipe", "swiftshader", "softpipe"})
        if (s.find(k) != std::string::npos) return true;
    return false;
}

}  // namespace percept::app
