// SPDX-License-Identifier: Apache-2.0
// One VkBuffer + one VkDeviceMemory per Buffer (see vk_memory.h for why that is enough).
#include "vulkan/vk_memory.h"

#include <string>

#include "percept/error.h"
#include "vulkan/vk_context.h"

namespace percept::vk {
namespace {

// The first memory type allowed by `typeBits` having all of `want`, preferring one that also
// has `nice`; -1 when none has `want`.
int findMemoryType(const VkPhysicalDeviceMemoryProperties& mp, uint32_t typeBits, VkMemoryPropertyFlags want,
                   VkMemoryPropertyFlags nice, VkMemoryPropertyFlags avoid) {
    int found = -1, score = -1;
    for (uint32_t k = 0; k < mp.memoryTypeCount; ++k) {
        if (!(typeBits & (1u << k))) continue;
        const VkMemoryPropertyFlags f = mp.memoryTypes[k].propertyFlags;
        if ((f & want) != want) continue;
        const int s = ((f & nice) == nice ? 2 : 0) + ((f & avoid) == 0 ? 1 : 0);
        if (s > score) {
            score = s;
            found = static_cast<int>(k);
        }
    }
    return found;
}

}  // namespace

Buffer::Buffer(Context& ctx, VkDeviceSize bytes, Kind kind) : device_(ctx.device()) {
    size_ = bytes == 0 ? 16 : (bytes + 15) / 16 * 16;
    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = size_;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    check(vkCreateBuffer(device_, &bi, nullptr, &buffer_), "vkCreateBuffer");

    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device_, buffer_, &req);
    const auto& mp = ctx.memoryProperties();
    int type = -1;
    switch (kind) {
        case Kind::Device:
            type = findMemoryType(mp, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
            if (type < 0) type = findMemoryType(mp, req.memoryTypeBits, 0, 0, 0);
            break;
        case Kind::Upload:
            // Plain host memory rather than the small device-local BAR window.
            type = findMemoryType(mp, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0,
                                  VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
            if (type < 0) type = findMemoryType(mp, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, 0, 0);
            break;
        case Kind::Readback:
            type = findMemoryType(mp, req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
                                  VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
            break;
    }
    if (type < 0) {
        release();
        throw Error("the Vulkan device has no suitable memory type for a " + std::to_string(bytes) + "-byte buffer");
    }
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = static_cast<uint32_t>(type);
    const VkResult r = vkAllocateMemory(device_, &ai, nullptr, &memory_);
    if (r != VK_SUCCESS) {
        release();
        throw Error("Vulkan: cannot allocate " + std::to_string(req.size) + " bytes of device memory: " + resultName(r));
    }
    allocated_ = req.size;
    check(vkBindBufferMemory(device_, buffer_, memory_, 0), "vkBindBufferMemory");
    const VkMemoryPropertyFlags flags = mp.memoryTypes[type].propertyFlags;
    coherent_ = (flags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    if (kind != Kind::Device) check(vkMapMemory(device_, memory_, 0, VK_WHOLE_SIZE, 0, &mapped_), "vkMapMemory");
}

Buffer::~Buffer() { release(); }

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this != &o) {
        release();
        device_ = o.device_;
        buffer_ = o.buffer_;
        memory_ = o.memory_;
        size_ = o.size_;
        allocated_ = o.allocated_;
        mapped_ = o.mapped_;
        coherent_ = o.coherent_;
        o.buffer_ = VK_NULL_HANDLE;
        o.memory_ = VK_NULL_HANDLE;
        o.mapped_ = nullptr;
        o.size_ = o.allocated_ = 0;
    }
    return *this;
}

void Buffer::release() {
    if (!device_) return;
    if (mapped_) vkUnmapMemory(device_, memory_);
    if (buffer_) vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_) vkFreeMemory(device_, memory_, nullptr);
    buffer_ = VK_NULL_HANDLE;
    memory_ = VK_NULL_HANDLE;
    mapped_ = nullptr;
}

void Buffer::flush() {
    if (coherent_ || !mapped_) return;
    VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
    r.memory = memory_;
    r.size = VK_WHOLE_SIZE;
    check(vkFlushMappedMemoryRanges(device_, 1, &r), "vkFlushMappedMemoryRanges");
}

void Buffer::invalidate() {
    if (coherent_ || !mapped_) return;
    VkMappedMemoryRange r{VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE};
    r.memory = memory_;
    r.size = VK_WHOLE_SIZE;
    check(vkInvalidateMappedMemoryRanges(device_, 1, &r), "vkInvalidateMappedMemoryRanges");
}

}  // namespace percept::vk
