// SPDX-License-Identifier: Apache-2.0
// Pipelines from embedded SPIR-V, and the on-disk VkPipelineCache (see vk_pipeline_cache.h).
#include "vulkan/vk_pipeline_cache.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "percept/error.h"
#include "vulkan/vk_context.h"
#include "vulkan/vk_shaders.h"

namespace percept::vk {
namespace {

// File layout: magic, version, record count, then per record: device UUID, byte count, the
// driver's cache data.
constexpr char kMagic[8] = {'P', 'R', 'C', 'P', 'V', 'K', 'P', 'C'};
constexpr uint32_t kVersion = 1;

struct Record {
    uint8_t uuid[VK_UUID_SIZE];
    std::vector<char> data;
};

std::vector<Record> readRecords(const std::string& path) {
    std::vector<Record> out;
    std::ifstream f(path, std::ios::binary);
    if (!f) return out;
    char magic[8];
    uint32_t version = 0, count = 0;
    if (!f.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) return {};
    if (!f.read(reinterpret_cast<char*>(&version), 4) || version != kVersion) return {};
    if (!f.read(reinterpret_cast<char*>(&count), 4) || count > 64) return {};
    for (uint32_t k = 0; k < count; ++k) {
        Record r;
        uint64_t size = 0;
        if (!f.read(reinterpret_cast<char*>(r.uuid), VK_UUID_SIZE) || !f.read(reinterpret_cast<char*>(&size), 8)) return {};
        if (size > (uint64_t{1} << 31)) return {};
        r.data.resize(static_cast<size_t>(size));
        if (!f.read(r.data.data(), static_cast<std::streamsize>(size))) return {};
        out.push_back(std::move(r));
    }
    return out;
}

void writeRecords(const std::string& path, const std::vector<Record>& records) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    // Written beside the target, then renamed over it: a reader never sees half a file.
    const std::string tmp = path + ".tmp" + std::to_string(static_cast<long>(std::chrono::steady_clock::now().time_since_epoch().count()));
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) return;
        const uint32_t count = static_cast<uint32_t>(records.size());
        f.write(kMagic, 8);
        f.write(reinterpret_cast<const char*>(&kVersion), 4);
        f.write(reinterpret_cast<const char*>(&count), 4);
        for (const Record& r : records) {
            const uint64_t size = r.data.size();
            f.write(reinterpret_cast<const char*>(r.uuid), VK_UUID_SIZE);
            f.write(reinterpret_cast<const char*>(&size), 8);
            f.write(r.data.data(), static_cast<std::streamsize>(size));
        }
        if (!f) {
            f.close();
            fs::remove(tmp, ec);
            return;
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) fs::remove(tmp, ec);
}

}  // namespace

std::string pipelineCachePath() {
    if (const char* p = std::getenv("PERCEPT_VULKAN_PIPELINE_CACHE")) {
        const std::string s = p;
        if (s == "off" || s == "0") return "";
        if (!s.empty()) return s;
    }
    std::string base;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) base = x;
    else if (const char* h = std::getenv("HOME"); h && *h) base = std::string(h) + "/.cache";
    else return "";
    return base + "/percept/vulkan_pipeline_cache.bin";
}

PipelineCache::PipelineCache(Context& ctx) : ctx_(ctx), path_(pipelineCachePath()) {
    std::vector<char> initial;
    if (!path_.empty()) {
        for (Record& r : readRecords(path_))
            if (std::memcmp(r.uuid, ctx_.deviceUuid(), VK_UUID_SIZE) == 0) initial = std::move(r.data);
    }
    VkPipelineCacheCreateInfo ci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    ci.initialDataSize = initial.size();
    ci.pInitialData = initial.empty() ? nullptr : initial.data();
    if (vkCreatePipelineCache(ctx_.device(), &ci, nullptr, &cache_) != VK_SUCCESS) {
        // Data the driver rejects is no reason to fail: start empty.
        ci.initialDataSize = 0;
        ci.pInitialData = nullptr;
        check(vkCreatePipelineCache(ctx_.device(), &ci, nullptr, &cache_), "vkCreatePipelineCache");
    }
    saved_ = std::move(initial);
}

PipelineCache::~PipelineCache() {
    VkDevice d = ctx_.device();
    for (auto& [k, p] : pipelines_) vkDestroyPipeline(d, p->pipeline, nullptr);
    for (auto& [k, m] : modules_) vkDestroyShaderModule(d, m, nullptr);
    for (auto& [k, l] : layouts_) {
        vkDestroyPipelineLayout(d, l.second, nullptr);
        vkDestroyDescriptorSetLayout(d, l.first, nullptr);
    }
    if (cache_) vkDestroyPipelineCache(d, cache_, nullptr);
}

VkDescriptorSetLayout PipelineCache::setLayout(const std::string& layout) {
    auto it = layouts_.find(layout);
    if (it != layouts_.end()) return it->second.first;
    const uint32_t bindings = static_cast<uint32_t>(layout.size());
    std::vector<VkDescriptorSetLayoutBinding> b(bindings);
    for (uint32_t k = 0; k < bindings; ++k) {
        b[k].binding = k;
        b[k].descriptorType = layout[k] == 't' ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        b[k].descriptorCount = 1;
        b[k].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo li{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    li.bindingCount = bindings;
    li.pBindings = b.data();
    VkDescriptorSetLayout set;
    check(vkCreateDescriptorSetLayout(ctx_.device(), &li, nullptr, &set), "vkCreateDescriptorSetLayout");
    VkPushConstantRange pc{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
    VkPipelineLayoutCreateInfo pi{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pi.setLayoutCount = 1;
    pi.pSetLayouts = &set;
    pi.pushConstantRangeCount = 1;
    pi.pPushConstantRanges = &pc;
    VkPipelineLayout pl;
    check(vkCreatePipelineLayout(ctx_.device(), &pi, nullptr, &pl), "vkCreatePipelineLayout");
    layouts_[layout] = {set, pl};
    return set;
}

const Pipeline& PipelineCache::get(const std::string& shader, const std::string& layout, const std::vector<uint32_t>& spec) {
    std::string key = shader + "/" + layout;
    for (uint32_t v : spec) {
        key += ':';
        key += std::to_string(v);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = pipelines_.find(key);
    if (found != pipelines_.end()) return *found->second;

    VkShaderModule module;
    auto mit = modules_.find(shader);
    if (mit != modules_.end()) {
        module = mit->second;
    } else {
        const EmbeddedShader* s = findEmbeddedShader(shader.c_str());
        if (!s) throw Error("internal error: no embedded shader named '" + shader + "'");
        VkShaderModuleCreateInfo mi{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
        mi.codeSize = s->wordCount * sizeof(uint32_t);
        mi.pCode = s->words;
        check(vkCreateShaderModule(ctx_.device(), &mi, nullptr, &module), "vkCreateShaderModule");
        modules_[shader] = module;
    }

    auto p = std::make_unique<Pipeline>();
    p->name = key;
    p->layout = layout;
    p->setLayout = setLayout(layout);
    p->pipelineLayout = layouts_[layout].second;

    std::vector<VkSpecializationMapEntry> entries(spec.size());
    for (uint32_t k = 0; k < spec.size(); ++k) entries[k] = {k, k * 4u, 4u};
    VkSpecializationInfo si{};
    si.mapEntryCount = static_cast<uint32_t>(entries.size());
    si.pMapEntries = entries.data();
    si.dataSize = spec.size() * sizeof(uint32_t);
    si.pData = spec.data();

    VkComputePipelineCreateInfo ci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module;
    ci.stage.pName = "main";
    ci.stage.pSpecializationInfo = spec.empty() ? nullptr : &si;
    ci.layout = p->pipelineLayout;

    // Creation feedback (core in 1.3) says whether the driver found the pipeline in the cache.
    VkPipelineCreationFeedback whole{};
    VkPipelineCreationFeedbackCreateInfo fb{VK_STRUCTURE_TYPE_PIPELINE_CREATION_FEEDBACK_CREATE_INFO};
    fb.pPipelineCreationFeedback = &whole;
    const bool feedback = ctx_.apiVersion() >= VK_API_VERSION_1_3;
    if (feedback) ci.pNext = &fb;

    const auto t0 = std::chrono::steady_clock::now();
    const VkResult r = vkCreateComputePipelines(ctx_.device(), cache_, 1, &ci, nullptr, &p->pipeline);
    compileMs_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r != VK_SUCCESS) throw Error("Vulkan: creating the pipeline '" + key + "' failed: " + resultName(r));
    ++created_;
    if (feedback && (whole.flags & VK_PIPELINE_CREATION_FEEDBACK_VALID_BIT) &&
        (whole.flags & VK_PIPELINE_CREATION_FEEDBACK_APPLICATION_PIPELINE_CACHE_HIT_BIT))
        ++hits_;
    const Pipeline& ref = *p;
    pipelines_[key] = std::move(p);
    return ref;
}

void PipelineCache::save() {
    if (path_.empty()) return;
    std::lock_guard<std::mutex> lock(mutex_);
    size_t size = 0;
    if (vkGetPipelineCacheData(ctx_.device(), cache_, &size, nullptr) != VK_SUCCESS) return;
    Record mine;
    std::memcpy(mine.uuid, ctx_.deviceUuid(), VK_UUID_SIZE);
    mine.data.resize(size);
    if (vkGetPipelineCacheData(ctx_.device(), cache_, &size, mine.data.data()) != VK_SUCCESS) return;
    mine.data.resize(size);
    if (mine.data == saved_) return;
    saved_ = mine.data;
    std::vector<Record> records = readRecords(path_);
    bool replaced = false;
    for (Record& r : records)
        if (std::memcmp(r.uuid, mine.uuid, VK_UUID_SIZE) == 0) {
            r.data = mine.data;
            replaced = true;
        }
    if (!replaced) records.push_back(std::move(mine));
    writeRecords(path_, records);
}

}  // namespace percept::vk
