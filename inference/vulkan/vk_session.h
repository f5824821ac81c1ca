// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Vulkan backend's Session, declared for the files that build it:
//  - vk_session.cpp: creation (the fused blocks, the memory plan), the weights, run();
//  - vk_session_commands.cpp: every node's commands, through its op family's Builder;
//  - vk_session_resources.cpp: the buffers, the weights' upload, the descriptor sets;
//  - vk_session_record.cpp: recording the one command buffer, with its barriers.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/fusion.h"
#include "graph/memory_planner.h"
#include "percept/session.h"
#include "vulkan/vk_context.h"
#include "vulkan/vk_memory.h"
#include "vulkan/vk_op.h"

namespace percept::vk {

class SessionBuilder;

class VulkanSession final : public Session {
public:
    VulkanSession(const Model& model, const SessionOptions& options);
    ~VulkanSession() override;

    std::vector<Tensor> runInputs(std::span<const Tensor* const> inputs) override;
    const Stats& stats() const override { return stats_; }
    Backend backend() const override { return Backend::Vulkan; }
    std::string deviceName() const override { return ctx_->name(); }

private:
    friend class SessionBuilder;

    TensorRef valueRef(int value);
    TensorRef addWeights(const std::vector<float>& data);
    TensorRef addRawWeights(const std::vector<uint32_t>& words);
    void buildCommands();
    void createBuffers();
    void createDescriptors();
    void record();
    VkBuffer bufferOf(Resource r) const;
    void checkValidation(const char* when);

    std::shared_ptr<const graph::Graph> graph_;
    double deviceOpenMs_ = 0.0;  // Context::acquire's time opening the instance and device (before ctx_)
    std::shared_ptr<Context> ctx_;
    bool fp16_ = false, fp16Arith_ = false, profile_ = false;
    // Bytes per stored element: fp16 or fp32 (the Builder's elementBytes, for the session's own sizes).
    size_t elementBytes() const { return fp16_ ? 2 : 4; }
    std::string fp32Reason_;  // why fp16 storage was asked for but not used
    graph::MemoryPlan plan_;
    VkDeviceSize align_ = 64;
    // Squeeze-and-excitation blocks built as one step at their pool's node (vk_op.h's
    // buildSqueezeExcite): per node, the block it starts (index into seBlocks_) or -1, and the
    // node whose step does its work or -1.
    std::vector<graph::SqueezeExcite> seBlocks_;
    std::vector<int> seAt_, doneBy_;
    // Adds fused into the Conv or MatMul before them (graph::fusedAddCandidates): per node, the
    // block it starts (index into fusedAdds_) or -1; the Add's doneBy_ is that node.
    std::vector<graph::FusedAdd> fusedAdds_;
    std::vector<int> fusedAddAt_;
    // MatMul operands read through strides from their chain's root (graph::matMulOperandViews),
    // by (node, input); the chain's nodes are doneBy_ the MatMul.
    std::map<std::pair<size_t, size_t>, graph::OperandView> operandViews_;

    // Weights as they will be uploaded (fp32 or fp16 bytes), and where each constant went.
    std::vector<uint8_t> hostWeights_;
    std::map<int, TensorRef> constantRefs_;

    // Commands: uploads (staging -> arena), per node, downloads (arena -> staging).
    std::vector<Command> uploads_, downloads_;
    std::vector<std::vector<Command>> nodeCommands_;
    std::vector<VkDeviceSize> inputStaging_, outputStaging_;  // byte offsets per graph input / output
    VkDeviceSize stagingInBytes_ = 0, stagingOutBytes_ = 0, workspaceBytes_ = 0, counterBytes_ = 0;

    Buffer weights_, arena_, stagingIn_, stagingOut_, workspace_, counters_;
    VkDescriptorPool descPool_ = VK_NULL_HANDLE;
    std::vector<VkBufferView> views_;  // texel views of the bindings that read through one
    std::vector<VkDescriptorSet> sets_;  // one per dispatch, in recording order
    VkCommandPool cmdPool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkQueryPool queries_ = VK_NULL_HANDLE;
    // Timestamps per run (profiling): the start, after the uploads, after each node that records
    // commands, after the downloads. stampAfter_[k]: the query ending node k (the one before
    // it when k records nothing: a node done inside another's dispatch costs no timestamp).
    std::vector<uint32_t> stampAfter_;
    VkResult awaitFence();
    uint32_t queryCount() const { return (stampAfter_.empty() ? 1 : stampAfter_.back()) + 2; }
    VkFence fence_ = VK_NULL_HANDLE;
    uint64_t validationErrors_ = 0;
    Tuning tuning_;
    int64_t failAfter_ = 0;  // tuning.vulkanFailAfter (0: off)
    int64_t runCalls_ = 0;   // run() calls that reached the submit
    Stats stats_;
};


}  // namespace percept::vk
