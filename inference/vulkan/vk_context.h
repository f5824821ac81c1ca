// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Vulkan instance and device a session runs on: loader, instance (with the validation
// layer when PERCEPT_VULKAN_VALIDATION is set), device selection, logical device and its one
// compute queue. A device is opened once per process and shared by every session on it
// (opening one costs milliseconds, its compiled pipelines far more), and stays open until the
// process ends, or until it is lost (VK_ERROR_DEVICE_LOST): then every session on it fails
// with percept::DeviceLostError and the next acquire() opens the device afresh.
//
// Device choice: PERCEPT_VULKAN_DEVICE (an index, or a substring of the device name), else
// SessionOptions::deviceIndex / deviceName, else the first discrete GPU, then integrated, then
// virtual, then CPU implementations (lavapipe).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "percept/backend.h"
#include "vulkan/vk_loader.h"

namespace percept::vk {

class PipelineCache;

struct PhysicalDeviceInfo {
    uint32_t index = 0;
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    uint32_t apiVersion = 0;
    bool usable = true;        // Vulkan 1.1 and a compute queue
    std::string whyNotUsable;  // when !usable
};
const char* deviceTypeName(VkPhysicalDeviceType t);

class Context {
public:
    // The device the options (or PERCEPT_VULKAN_DEVICE) ask for, opened on first use.
    // Throws percept::Error when there is no loader, no device, or no device that matches.
    // openMs: the time this call spent creating the instance and opening the device (0 when
    // both were open already).
    static std::shared_ptr<Context> acquire(const SessionOptions& options, double* openMs = nullptr);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    VkDevice device() const { return device_; }
    VkPhysicalDevice physicalDevice() const { return physical_; }
    uint32_t queueFamily() const { return queueFamily_; }
    const VkPhysicalDeviceProperties& properties() const { return props_; }
    const VkPhysicalDeviceMemoryProperties& memoryProperties() const { return memProps_; }
    const uint8_t* deviceUuid() const { return uuid_; }
    uint32_t index() const { return index_; }
    // The Vulkan version usable on this device (the lower of the instance's and the device's).
    uint32_t apiVersion() const { return apiVersion_; }

    // storageBuffer16BitAccess is on: shaders may keep tensors as float16_t in buffers.
    bool supportsFp16Storage() const { return fp16Storage_; }
    // shaderFloat16 is on (VK_KHR_shader_float16_int8, core in 1.2) besides fp16 storage:
    // shaders may compute in float16_t (SessionOptions::fp16Arithmetic).
    bool supportsFp16Arithmetic() const { return fp16Arith_; }
    // shaderInt8, 8-bit storage and shaderIntegerDotProduct are on
    // (VK_KHR_shader_integer_dot_product, core in 1.3); `accelerated`: the device says its
    // 4x8-bit packed dot product is faster than the emulation (integerDotProduct4x8BitPacked
    // SignedAccelerated). The int8 kernels need all three (vk_int8_*.cpp, INT8.md).
    bool supportsInt8DotProduct() const { return int8Dot_; }
    bool int8DotProductAccelerated() const { return int8DotAccelerated_; }
    // Tensor-core matrix products: VK_NV_cooperative_matrix with a subgroup configuration of
    // fp16 A and B and fp32 accumulators, on a device whose subgroups have 32 invocations (the
    // cooperative-matrix conv kernel's assumption); its M x N x K. VK_KHR_cooperative_matrix is
    // detected and named (cooperativeMatrixKhr) but not used: this toolchain's glslang (Debian
    // 12) cannot compile GL_KHR_cooperative_matrix.
    struct CoopMatrixShape {
        uint32_t m = 0, n = 0, k = 0;
        bool any() const { return m != 0; }
    };
    const CoopMatrixShape& cooperativeMatrix() const { return coopMatrix_; }
    bool cooperativeMatrixKhr() const { return coopMatrixKhr_; }
    // Tensors can be read through uniform texel buffers (R32 / RGBA32 float formats, and their
    // 16-bit forms when fp16 storage is on). Mandatory in Vulkan; checked anyway.
    bool supportsTexelBuffers() const { return texelBuffers_; }
    bool isCpuDevice() const { return props_.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU; }
    // Timestamp queries on the compute queue; period in nanoseconds per tick.
    bool supportsTimestamps() const { return timestampBits_ > 0; }
    uint32_t timestampValidBits() const { return timestampBits_; }
    double timestampPeriodNs() const { return props_.limits.timestampPeriod; }
    // Offsets of storage-buffer bindings must be multiples of this (and of 64, our own choice).
    VkDeviceSize bindingAlignment() const;

    // "Vulkan: llvmpipe (LLVM 15.0.6, 256 bits)".
    std::string name() const { return std::string("Vulkan: ") + props_.deviceName; }

    // Submits one command buffer signalling `fence` (queue access is serialised between
    // sessions sharing the device); the caller waits on the fence. On a lost device it throws
    // percept::DeviceLostError without submitting.
    void submit(VkCommandBuffer cb, VkFence fence);

    // The device-lost path: every VkResult that can report VK_ERROR_DEVICE_LOST (queue submit,
    // fence wait) goes through here. VK_ERROR_DEVICE_LOST marks this device lost and throws
    // percept::DeviceLostError naming the device and `what`; any other failure throws
    // percept::Error as vk::check() does.
    void check(VkResult r, const char* what);
    bool lost() const { return lost_.load(); }

    PipelineCache& pipelines() { return *pipelines_; }

private:
    Context() = default;
    friend struct ContextFactory;

    VkInstance instance_ = VK_NULL_HANDLE;  // owned by the process-wide instance, not by us
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queueFamily_ = 0, index_ = 0, timestampBits_ = 0, apiVersion_ = 0;
    bool fp16Storage_ = false, texelBuffers_ = false, fp16Arith_ = false, int8Dot_ = false, int8DotAccelerated_ = false;
    bool coopMatrixKhr_ = false;
    CoopMatrixShape coopMatrix_;
    VkPhysicalDeviceProperties props_{};
    VkPhysicalDeviceMemoryProperties memProps_{};
    uint8_t uuid_[VK_UUID_SIZE] = {};
    std::mutex queueMutex_;
    std::atomic<bool> lost_{false};
    std::unique_ptr<PipelineCache> pipelines_;
};

// The device index chosen from `devices` (each with `usable` saying whether Percept can run on
// it) for these options and PERCEPT_VULKAN_DEVICE value (`env`, "" when unset): an index or a
// case-insensitive name substring from env, else from the options, else the first usable
// discrete GPU, then integrated, virtual, CPU. Throws percept::Error when nothing matches.
uint32_t pickDevice(const std::vector<PhysicalDeviceInfo>& devices, const SessionOptions& options, const std::string& env);

// Every physical device the loader reports, in its order. Throws percept::Error when there is
// no loader or the instance cannot be created.
std::vector<PhysicalDeviceInfo> enumerateDevices();

// Whether a device can be opened with default options; `why` says why not.
bool available(std::string* why);

// ---- Validation (PERCEPT_VULKAN_VALIDATION=1) ------------------------------------------------
// When the variable is set (and not "0"), the instance enables VK_LAYER_KHRONOS_validation
// (with synchronisation validation) where it is installed, and a debug messenger counts its
// error messages; sessions turn a new error into a percept::Error after creation and after
// each run, so a test run with the variable set fails on any validation error.
bool validationRequested();
// Whether VK_LAYER_KHRONOS_validation is installed (false when there is no loader either).
bool validationLayerInstalled();
// Whether the layer is actually active in this process (it may not be installed).
bool validationActive();
uint64_t validationErrorCount();
std::string lastValidationError();

}  // namespace percept::vk
