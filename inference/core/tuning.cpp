// SPDX-License-Identifier: Apache-2.0
// Tuning::fromEnvironment: the one place the PERCEPT_* algorithm switches are read.
#include <cstdlib>
#include <cstring>
#include <string>

#include "percept/backend.h"
#include "percept/error.h"

namespace percept {
namespace {

// The variable's value, or null when unset or empty.
const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
}

template <class E>
E choose(const char* name, E def, std::initializer_list<std::pair<const char*, E>> options) {
    const char* v = env(name);
    if (!v) return def;
    std::string known;
    for (const auto& [text, value] : options) {
        if (!std::strcmp(v, text)) return value;
        if (!known.empty()) known += '|';
        known += text;  // appended, not `"|" + std::string(text)`: GCC 12 warns falsely (-Wrestrict) on that
    }
    throw Error(std::string(name) + " must be one of " + known + ", not '" + v + "'");
}

}  // namespace

Tuning Tuning::fromEnvironment() {
    Tuning t;
    t.cpuIsa = choose("PERCEPT_CPU_ISA", CpuIsa::Best,
                      {{"generic", CpuIsa::Generic}, {"avx2", CpuIsa::Avx2}, {"avx512", CpuIsa::Avx512}, {"neon", CpuIsa::Neon}, {"best", CpuIsa::Best}});
    t.winograd = choose("PERCEPT_CPU_WINOGRAD", Winograd::Auto,
                        {{"f4", Winograd::F4}, {"on", Winograd::F4}, {"f2", Winograd::F2}, {"off", Winograd::Off}, {"auto", Winograd::Auto}});
    t.convMaxPool = choose("PERCEPT_CPU_CONVPOOL", true, {{"on", true}, {"off", false}});
    t.pointwiseDepthwise = choose("PERCEPT_CPU_PW_DW", true, {{"on", true}, {"off", false}});  // CPU speed
    t.squeezeExcite = choose("PERCEPT_CPU_SE", true, {{"on", true}, {"off", false}});
    t.squeezeExciteConv = choose("PERCEPT_CPU_SE_CONV", true, {{"on", true}, {"off", false}});  // CPU speed
    t.depthwiseLanes = choose("PERCEPT_CPU_DW_LANES", true, {{"on", true}, {"off", false}});
    t.directStem = choose("PERCEPT_CPU_DIRECT_STEM", true, {{"on", true}, {"off", false}});  // CPU speed
    t.matMulBias = choose("PERCEPT_CPU_MATMUL_BIAS", true, {{"on", true}, {"off", false}});  // CPU speed
    t.convAdd = choose("PERCEPT_CPU_CONV_ADD", true, {{"on", true}, {"off", false}});        // CPU speed
    t.vulkanConv = choose("PERCEPT_VULKAN_CONV", VulkanConv::Auto,
                          {{"tiled", VulkanConv::Tiled}, {"direct", VulkanConv::Direct}, {"auto", VulkanConv::Auto}});
    t.vulkanGemm = choose("PERCEPT_VULKAN_GEMM", VulkanGemm::Auto,
                          {{"wide", VulkanGemm::Wide}, {"tiled", VulkanGemm::Tiled}, {"plain", VulkanGemm::Plain}, {"auto", VulkanGemm::Auto}});
    t.weightPrefetch = choose("PERCEPT_CPU_WEIGHT_PREFETCH", true, {{"on", true}, {"off", false}});  // compressed weights
    t.vulkanCooperativeMatrix = choose("PERCEPT_VULKAN_COOPMAT", false, {{"on", true}, {"off", false}});
    t.vulkanSpinWait = choose("PERCEPT_VULKAN_SPIN", true, {{"on", true}, {"off", false}});
    if (const char* v = env("PERCEPT_VULKAN_SPLIT_WORKGROUPS")) {
        char* end = nullptr;
        const long long n = std::strtoll(v, &end, 10);
        if (*end != '\0' || n < 1 || n > 1000000)
            throw Error(std::string("PERCEPT_VULKAN_SPLIT_WORKGROUPS must be a workgroup count from 1 to 1000000, not '") + v + "'");
        t.vulkanSplitWorkgroups = n;
    }
    if (const char* v = env("PERCEPT_VULKAN_FAIL_AFTER")) {
        char* end = nullptr;
        const long long n = std::strtoll(v, &end, 10);
        if (*end != '\0' || n < 0)
            throw Error(std::string("PERCEPT_VULKAN_FAIL_AFTER must be a run count (a whole number >= 1, or 0 for off), not '") + v + "'");
        t.vulkanFailAfter = n;
    }
    return t;
}

}  // namespace percept
