// SPDX-License-Identifier: Apache-2.0
#pragma once
// The backend's allocator, deliberately tiny. The liveness plan puts every activation of a
// session into one arena, so a session needs only a handful of large allocations: the
// weights, the activation arena, input staging and output staging (plus, on GPUs, one scratch
// buffer for split reductions, and one temporary upload buffer at creation). Each Buffer is therefore one VkBuffer bound to its own VkDeviceMemory:
// no sub-allocation, no pools, no free lists. A general-purpose allocator (VMA and the like)
// would buy nothing for four allocations per session; keep it this small.
#include <cstddef>
#include <cstdint>

#include "vulkan/vk_loader.h"

namespace percept::vk {

class Context;

class Buffer {
public:
    enum class Kind {
        Device,    // device-local: weights, the activation arena
        Upload,    // host-visible, written by the CPU: input staging, the weights upload
        Readback,  // host-visible, read by the CPU (cached where the device offers it): output staging
    };

    Buffer() = default;
    Buffer(Context& ctx, VkDeviceSize bytes, Kind kind);
    ~Buffer();
    Buffer(Buffer&& o) noexcept { *this = static_cast<Buffer&&>(o); }
    Buffer& operator=(Buffer&& o) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    VkBuffer handle() const { return buffer_; }
    VkDeviceSize size() const { return size_; }
    // Bytes of device memory behind the buffer (its allocation, alignment included).
    VkDeviceSize allocatedBytes() const { return allocated_; }
    // Host pointer for Upload/Readback buffers (persistently mapped); nullptr for Device.
    void* mapped() const { return mapped_; }
    // Make host writes visible to the device / device writes visible to the host (no-ops on
    // coherent memory).
    void flush();
    void invalidate();

private:
    void release();

    VkDevice device_ = VK_NULL_HANDLE;
    VkBuffer buffer_ = VK_NULL_HANDLE;
    VkDeviceMemory memory_ = VK_NULL_HANDLE;
    VkDeviceSize size_ = 0, allocated_ = 0;
    void* mapped_ = nullptr;
    bool coherent_ = true;
};

}  // namespace percept::vk
