// SPDX-License-Identifier: Apache-2.0
#pragma once
// Compute pipelines, built from the SPIR-V embedded in the library, and the VkPipelineCache
// that makes the second start of a model compile none of them: the cache is loaded from and
// saved to $XDG_CACHE_HOME/percept/vulkan_pipeline_cache.bin (~/.cache when unset; the path
// can be overridden with PERCEPT_VULKAN_PIPELINE_CACHE, "off" disables it). The file holds one
// record per device, keyed by the device UUID; the driver checks its own header on top.
//
// Pipelines are created once per device and shared by every session on it.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vulkan/vk_loader.h"

namespace percept::vk {

class Context;

// The size of every pipeline's push-constant block (the minimum every device guarantees).
constexpr uint32_t kPushConstantBytes = 128;

struct Pipeline {
    std::string name;    // shader name + specialisation, for messages
    std::string layout;  // per binding: 's' storage buffer, 't' uniform texel buffer
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;  // set 0, as `layout` says
    VkPipelineLayout pipelineLayout = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
};

class PipelineCache {
public:
    explicit PipelineCache(Context& ctx);
    ~PipelineCache();

    // The pipeline of embedded shader `shader` ("conv_fp32" ...) with the bindings `layout`
    // describes ('s' storage buffer, 't' uniform texel buffer, in binding order) and
    // specialisation constants spec[k] at constant_id k; created on first use.
    const Pipeline& get(const std::string& shader, const std::string& layout, const std::vector<uint32_t>& spec = {});

    // Writes the cache file when the driver's cache data differs from what the file holds.
    void save();

    // Figures for reports and tests: pipelines created in this process, and how many of them
    // the driver said it found in the VkPipelineCache (when it reports creation feedback).
    uint64_t pipelinesCreated() const { return created_; }
    uint64_t pipelineCacheHits() const { return hits_; }
    double compileMs() const { return compileMs_; }
    // The cache file in use ("" when disabled).
    const std::string& path() const { return path_; }

private:
    VkDescriptorSetLayout setLayout(const std::string& layout);

    Context& ctx_;
    std::mutex mutex_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;
    std::string path_;
    std::vector<char> saved_;  // the cache data as the file holds it (what was loaded or last saved)
    std::map<std::string, std::pair<VkDescriptorSetLayout, VkPipelineLayout>> layouts_;
    std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
    std::map<std::string, VkShaderModule> modules_;
    uint64_t created_ = 0, hits_ = 0;
    double compileMs_ = 0.0;
};

// The cache file's path from the environment ("" when disabled or no home directory).
std::string pipelineCachePath();

}  // namespace percept::vk
