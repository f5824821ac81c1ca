#pragma once
// Backend choice and the options a session is compiled with.
#include <optional>
#include <string>
#include <vector>

namespace percept {

enum class Backend { Cpu, Vulkan };

const char* backendName(Backend b);
// Parses "cpu" / "vulkan" (case-insensitive); throws percept::Error otherwise.
Backend parseBackend(const std::string& name);

struct SessionOptions {
    Backend backend = Backend::Cpu;
    // CPU worker threads (0 = all hardware threads).
    int threads = 0;
    // Vulkan: device by index (>= 0) or by a substring of its name; empty/-1 = automatic
    // choice (discrete, then integrated, then CPU implementations). PERCEPT_VULKAN_DEVICE
    // overrides both when set.
    int deviceIndex = -1;
    std::string deviceName;
    // Vulkan: store weights and activations as fp16 where the device supports it.
    bool fp16Storage = false;
    // Record per-layer timings (CPU: wall clock per layer; Vulkan: timestamp queries).
    bool profile = true;
};

// Whether a backend is compiled in and has a usable device; `why` says why not.
bool backendAvailable(Backend b, std::string* why = nullptr);

}  // namespace percept
