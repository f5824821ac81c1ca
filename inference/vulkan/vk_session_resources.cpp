// SPDX-License-Identifier: Apache-2.0
// The Vulkan session's device objects: its buffers (weights uploaded once, the arena zeroed),
// the command pool, and one descriptor set per dispatch, checked against the device's limits.
#include <algorithm>
#include <cstring>
#include <string>

#include "percept/error.h"
#include "vulkan/vk_session.h"

namespace percept::vk {

void VulkanSession::createBuffers() {
    weights_ = Buffer(*ctx_, std::max<VkDeviceSize>(hostWeights_.size(), 16), Buffer::Kind::Device);
    // A multiple of 16 bytes: a binding is at least 4 bytes, and an 8-bit value of 1 to 3 at the end
    // would otherwise reach past the arena.
    arena_ = Buffer(*ctx_, std::max<VkDeviceSize>((plan_.arenaBytes + 15) / 16 * 16, 16), Buffer::Kind::Device);
    stagingIn_ = Buffer(*ctx_, std::max<VkDeviceSize>(stagingInBytes_, 16), Buffer::Kind::Upload);
    stagingOut_ = Buffer(*ctx_, std::max<VkDeviceSize>(stagingOutBytes_, 16), Buffer::Kind::Readback);
    if (workspaceBytes_ > 0) workspace_ = Buffer(*ctx_, workspaceBytes_, Buffer::Kind::Device);
    if (counterBytes_ > 0) counters_ = Buffer(*ctx_, counterBytes_, Buffer::Kind::Device);

    VkCommandPoolCreateInfo pi{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pi.queueFamilyIndex = ctx_->queueFamily();
    check(vkCreateCommandPool(ctx_->device(), &pi, nullptr, &cmdPool_), "vkCreateCommandPool");
    VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    ai.commandPool = cmdPool_;
    ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    ai.commandBufferCount = 1;
    check(vkAllocateCommandBuffers(ctx_->device(), &ai, &cmd_), "vkAllocateCommandBuffers");

    // Weights: through a temporary upload buffer and command buffer, once; the arena starts zeroed.
    Buffer upload(*ctx_, std::max<VkDeviceSize>(hostWeights_.size(), 16), Buffer::Kind::Upload);
    if (!hostWeights_.empty()) std::memcpy(upload.mapped(), hostWeights_.data(), hostWeights_.size());
    upload.flush();
    VkCommandBuffer once;
    check(vkAllocateCommandBuffers(ctx_->device(), &ai, &once), "vkAllocateCommandBuffers");
    VkFence fence = VK_NULL_HANDLE;
    try {
        VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        check(vkBeginCommandBuffer(once, &bi), "vkBeginCommandBuffer");
        VkBufferCopy region{0, 0, upload.size()};
        vkCmdCopyBuffer(once, upload.handle(), weights_.handle(), 1, &region);
        vkCmdFillBuffer(once, arena_.handle(), 0, VK_WHOLE_SIZE, 0);
        if (counters_.handle()) vkCmdFillBuffer(once, counters_.handle(), 0, VK_WHOLE_SIZE, 0);
        check(vkEndCommandBuffer(once), "vkEndCommandBuffer");
        VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        check(vkCreateFence(ctx_->device(), &fi, nullptr, &fence), "vkCreateFence");
        ctx_->submit(once, fence);
        ctx_->check(vkWaitForFences(ctx_->device(), 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
    } catch (...) {
        if (fence) vkDestroyFence(ctx_->device(), fence, nullptr);
        vkFreeCommandBuffers(ctx_->device(), cmdPool_, 1, &once);
        throw;
    }
    vkDestroyFence(ctx_->device(), fence, nullptr);
    vkFreeCommandBuffers(ctx_->device(), cmdPool_, 1, &once);
}

VkBuffer VulkanSession::bufferOf(Resource r) const {
    switch (r) {
        case Resource::Arena: return arena_.handle();
        case Resource::Weights: return weights_.handle();
        case Resource::StagingIn: return stagingIn_.handle();
        case Resource::StagingOut: return stagingOut_.handle();
        case Resource::Workspace: return workspace_.handle();
        case Resource::Counters: return counters_.handle();
    }
    return VK_NULL_HANDLE;
}

void VulkanSession::createDescriptors() {
    uint32_t sets = 0, storage = 0, texel = 0;
    auto count = [&](const std::vector<Command>& cmds) {
        for (const Command& c : cmds)
            if (c.kind == Command::Kind::Dispatch) {
                ++sets;
                for (const TensorRef& t : c.bindings) ++(t.bind == Bind::Storage ? storage : texel);
            }
    };
    count(uploads_);
    for (const auto& n : nodeCommands_) count(n);
    count(downloads_);
    if (sets == 0) return;
    const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, std::max(storage, 1u)},
                                          {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, std::max(texel, 1u)}};
    VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pi.maxSets = sets;
    pi.poolSizeCount = 2;
    pi.pPoolSizes = sizes;
    check(vkCreateDescriptorPool(ctx_->device(), &pi, nullptr, &descPool_), "vkCreateDescriptorPool");

    const VkDeviceSize maxRange = ctx_->properties().limits.maxStorageBufferRange;
    const VkDeviceSize maxTexels = ctx_->properties().limits.maxTexelBufferElements;
    auto allocate = [&](const std::vector<Command>& cmds, const std::string& where) {
        for (const Command& c : cmds) {
            if (c.kind != Command::Kind::Dispatch) continue;
            if (c.bindings.size() != c.pipeline->layout.size()) throw Error("internal error: " + where + ": binding count differs from " + c.pipeline->name);
            VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
            ai.descriptorPool = descPool_;
            ai.descriptorSetCount = 1;
            ai.pSetLayouts = &c.pipeline->setLayout;
            VkDescriptorSet set;
            check(vkAllocateDescriptorSets(ctx_->device(), &ai, &set), "vkAllocateDescriptorSets");
            std::vector<VkDescriptorBufferInfo> infos(c.bindings.size());
            std::vector<VkBufferView> views(c.bindings.size());
            std::vector<VkWriteDescriptorSet> writes(c.bindings.size());
            for (size_t k = 0; k < c.bindings.size(); ++k) {
                const TensorRef& t = c.bindings[k];
                const bool isTexel = t.bind != Bind::Storage;
                if (isTexel != (c.pipeline->layout[k] == 't'))
                    throw Error("internal error: " + where + ": binding " + std::to_string(k) + " does not match " + c.pipeline->name);
                writes[k] = VkWriteDescriptorSet{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
                writes[k].dstSet = set;
                writes[k].dstBinding = static_cast<uint32_t>(k);
                writes[k].descriptorCount = 1;
                if (!isTexel) {
                    if (t.bytes > maxRange)
                        throw Error(where + ": a tensor of " + std::to_string(t.bytes) + " bytes exceeds the device's storage buffer range (" +
                                    std::to_string(maxRange) + " bytes)");
                    infos[k] = {bufferOf(t.res), t.offset, std::max<VkDeviceSize>(t.bytes, 4)};
                    writes[k].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                    writes[k].pBufferInfo = &infos[k];
                } else {
                    // One float (or four) per texel, in the session's precision; the range is
                    // rounded up to whole texels (slots and weight blobs are padded for that).
                    const bool four = t.bind == Bind::Texel4;
                    const VkDeviceSize texelBytes = elementBytes() * (four ? 4 : 1);
                    const VkDeviceSize texels = std::max<VkDeviceSize>((t.bytes + texelBytes - 1) / texelBytes, 1);
                    if (texels > maxTexels)
                        throw Error(where + ": a tensor of " + std::to_string(t.bytes) + " bytes exceeds the device's texel buffer size (" +
                                    std::to_string(maxTexels) + " texels)");
                    VkBufferViewCreateInfo vi{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
                    vi.buffer = bufferOf(t.res);
                    vi.format = fp16_ ? (four ? VK_FORMAT_R16G16B16A16_SFLOAT : VK_FORMAT_R16_SFLOAT)
                                      : (four ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT);
                    vi.offset = t.offset;
                    vi.range = texels * texelBytes;
                    check(vkCreateBufferView(ctx_->device(), &vi, nullptr, &views[k]), "vkCreateBufferView");
                    views_.push_back(views[k]);
                    writes[k].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
                    writes[k].pTexelBufferView = &views[k];
                }
            }
            vkUpdateDescriptorSets(ctx_->device(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
            sets_.push_back(set);
        }
    };
    allocate(uploads_, "the input upload");
    for (size_t k = 0; k < nodeCommands_.size(); ++k) allocate(nodeCommands_[k], graph_->nodes[k].describe());
    allocate(downloads_, "the output download");

    if (profile_) {
        VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
        qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
        qi.queryCount = queryCount();
        check(vkCreateQueryPool(ctx_->device(), &qi, nullptr, &queries_), "vkCreateQueryPool");
    }
}

}  // namespace percept::vk