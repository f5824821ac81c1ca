// SPDX-License-Identifier: Apache-2.0
// Recording the Vulkan session's one command buffer: the uploads, every node's commands with a
// timestamp after each when profiling, the downloads; a pipeline barrier only before a command
// that reads or overwrites a range written (or overwrites a range read) since the last one.
#include <algorithm>
#include <utility>
#include <vector>

#include "vulkan/vk_session.h"

namespace percept::vk {
namespace {

struct Range {
    VkDeviceSize begin, end;
    bool overlaps(const Range& o) const { return begin < o.end && o.begin < end; }
};

// Ranges touched since the last barrier, per resource that can change during a run.
class HazardTracker {
public:
    // Whether a command with these reads and writes must wait for earlier ones.
    bool needsBarrier(const std::vector<std::pair<Resource, Range>>& reads, const std::vector<std::pair<Resource, Range>>& writes) const {
        for (const auto& [res, r] : reads)
            for (const auto& [wres, w] : written_)
                if (res == wres && r.overlaps(w)) return true;
        for (const auto& [res, r] : writes) {
            for (const auto& [wres, w] : written_)
                if (res == wres && r.overlaps(w)) return true;
            for (const auto& [rres, rr] : read_)
                if (res == rres && r.overlaps(rr)) return true;
        }
        return false;
    }
    void add(const std::vector<std::pair<Resource, Range>>& reads, const std::vector<std::pair<Resource, Range>>& writes) {
        read_.insert(read_.end(), reads.begin(), reads.end());
        written_.insert(written_.end(), writes.begin(), writes.end());
    }
    void clear() {
        read_.clear();
        written_.clear();
    }

private:
    std::vector<std::pair<Resource, Range>> read_, written_;
};

}  // namespace

void VulkanSession::record() {
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    check(vkBeginCommandBuffer(cmd_, &bi), "vkBeginCommandBuffer");
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    auto barrier = [&] {
        VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        vkCmdPipelineBarrier(cmd_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
        ++stats_.barriers;
    };
    if (queries_) vkCmdResetQueryPool(cmd_, queries_, 0, queryCount());

    HazardTracker hazards;
    size_t setIndex = 0;
    const VkPipeline* bound = nullptr;
    auto emit = [&](const Command& c) {
        std::vector<std::pair<Resource, Range>> reads, writes;
        auto note = [&](const TensorRef& t, bool w) {
            if (t.res == Resource::Weights) return;  // constant after the upload
            (w ? writes : reads).push_back({t.res, Range{t.offset, t.offset + std::max<VkDeviceSize>(t.bytes, 1)}});
        };
        if (c.kind == Command::Kind::Dispatch) {
            for (size_t k = 0; k < c.bindings.size(); ++k) note(c.bindings[k], (c.writeMask >> k) & 1u);
        } else if (c.kind == Command::Kind::Copy) {
            note(c.src, false);
            note(c.dst, true);
        } else {
            note(c.dst, true);
        }
        if (hazards.needsBarrier(reads, writes)) {
            barrier();
            hazards.clear();
        }
        hazards.add(reads, writes);
        switch (c.kind) {
            case Command::Kind::Dispatch: {
                if (bound != &c.pipeline->pipeline) {
                    vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, c.pipeline->pipeline);
                    bound = &c.pipeline->pipeline;
                }
                VkDescriptorSet set = sets_.at(setIndex++);
                vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, c.pipeline->pipelineLayout, 0, 1, &set, 0, nullptr);
                if (c.pushBytes) vkCmdPushConstants(cmd_, c.pipeline->pipelineLayout, VK_SHADER_STAGE_COMPUTE_BIT, 0, c.pushBytes, c.push.data());
                vkCmdDispatch(cmd_, c.groups[0], c.groups[1], c.groups[2]);
                ++stats_.dispatches;
                break;
            }
            case Command::Kind::Copy: {
                VkBufferCopy region{c.src.offset, c.dst.offset, c.dst.bytes};
                vkCmdCopyBuffer(cmd_, bufferOf(c.src.res), bufferOf(c.dst.res), 1, &region);
                ++stats_.transfers;
                break;
            }
            case Command::Kind::Fill:
                vkCmdFillBuffer(cmd_, bufferOf(c.dst.res), c.dst.offset, c.dst.bytes, c.pattern);
                ++stats_.transfers;
                break;
        }
    };

    // Timestamps (queryCount): the start, the end of the uploads, of each node that records
    // commands (stampAfter_), of the downloads.
    auto stamp = [&](VkPipelineStageFlagBits stage, size_t q) {
        if (queries_) vkCmdWriteTimestamp(cmd_, stage, queries_, static_cast<uint32_t>(q));
    };
    stamp(VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0);
    for (const Command& c : uploads_) emit(c);
    stamp(VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 1);
    for (size_t k = 0; k < nodeCommands_.size(); ++k) {
        for (const Command& c : nodeCommands_[k]) emit(c);
        if (!nodeCommands_[k].empty()) stamp(VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, stampAfter_[k]);
    }
    for (const Command& c : downloads_) emit(c);
    stamp(VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queryCount() - 1);
    // The host reads the staging buffer after the fence.
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd_, stages, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
    check(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
}

}  // namespace percept::vk