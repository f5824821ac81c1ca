// SPDX-License-Identifier: Apache-2.0
#pragma once
// The Vulkan entry points the backend uses, loaded at run time from the system's loader
// (libvulkan.so.1) with dlopen, as volk does. Nothing links against libvulkan: a machine
// without a Vulkan loader still runs the engine, and asking for the Vulkan backend there is a
// clear percept::Error rather than a program that cannot start.
//
// Inside namespace percept::vk the functions keep their usual names (vkCreateBuffer ...), so
// the code reads like ordinary Vulkan code. They are the loader's dispatching trampolines,
// valid for every instance and device.
#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <string>

namespace percept::vk {

#define PERCEPT_VK_GLOBAL_FUNCTIONS(X) \
    X(vkCreateInstance)                 \
    X(vkEnumerateInstanceLayerProperties) \
    X(vkEnumerateInstanceExtensionProperties)

#define PERCEPT_VK_INSTANCE_FUNCTIONS(X)      \
    X(vkDestroyInstance)                      \
    X(vkEnumeratePhysicalDevices)             \
    X(vkGetPhysicalDeviceProperties)          \
    X(vkGetPhysicalDeviceProperties2)         \
    X(vkGetPhysicalDeviceFeatures2)           \
    X(vkGetPhysicalDeviceQueueFamilyProperties) \
    X(vkGetPhysicalDeviceMemoryProperties)    \
    X(vkEnumerateDeviceExtensionProperties)   \
    X(vkCreateDevice)                         \
    X(vkDestroyDevice)                        \
    X(vkGetDeviceQueue)                       \
    X(vkCreateBuffer)                         \
    X(vkCreateBufferView)                     \
    X(vkDestroyBufferView)                    \
    X(vkGetPhysicalDeviceFormatProperties)    \
    X(vkDestroyBuffer)                        \
    X(vkGetBufferMemoryRequirements)          \
    X(vkAllocateMemory)                       \
    X(vkFreeMemory)                           \
    X(vkBindBufferMemory)                     \
    X(vkMapMemory)                            \
    X(vkUnmapMemory)                          \
    X(vkFlushMappedMemoryRanges)              \
    X(vkInvalidateMappedMemoryRanges)         \
    X(vkCreateShaderModule)                   \
    X(vkDestroyShaderModule)                  \
    X(vkCreateDescriptorSetLayout)            \
    X(vkDestroyDescriptorSetLayout)           \
    X(vkCreatePipelineLayout)                 \
    X(vkDestroyPipelineLayout)                \
    X(vkCreateComputePipelines)               \
    X(vkDestroyPipeline)                      \
    X(vkCreatePipelineCache)                  \
    X(vkDestroyPipelineCache)                 \
    X(vkGetPipelineCacheData)                 \
    X(vkCreateDescriptorPool)                 \
    X(vkDestroyDescriptorPool)                \
    X(vkAllocateDescriptorSets)               \
    X(vkUpdateDescriptorSets)                 \
    X(vkCreateCommandPool)                    \
    X(vkDestroyCommandPool)                   \
    X(vkAllocateCommandBuffers)               \
    X(vkFreeCommandBuffers)                   \
    X(vkBeginCommandBuffer)                   \
    X(vkEndCommandBuffer)                     \
    X(vkCmdBindPipeline)                      \
    X(vkCmdBindDescriptorSets)                \
    X(vkCmdPushConstants)                     \
    X(vkCmdDispatch)                          \
    X(vkCmdPipelineBarrier)                   \
    X(vkCmdCopyBuffer)                        \
    X(vkCmdFillBuffer)                        \
    X(vkCmdWriteTimestamp)                    \
    X(vkCmdResetQueryPool)                    \
    X(vkCreateQueryPool)                      \
    X(vkDestroyQueryPool)                     \
    X(vkGetQueryPoolResults)                  \
    X(vkCreateFence)                          \
    X(vkDestroyFence)                         \
    X(vkResetFences)                          \
    X(vkWaitForFences)                        \
    X(vkGetFenceStatus)                       \
    X(vkQueueSubmit)                          \
    X(vkQueueWaitIdle)                        \
    X(vkDeviceWaitIdle)

// Optional (extension) entry points: null when the instance does not offer them.
#define PERCEPT_VK_OPTIONAL_FUNCTIONS(X) \
    X(vkCreateDebugUtilsMessengerEXT)    \
    X(vkDestroyDebugUtilsMessengerEXT)   \
    X(vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)

// Global entry points a Vulkan 1.0 loader lacks (null there).
#define PERCEPT_VK_OPTIONAL_GLOBAL_FUNCTIONS(X) X(vkEnumerateInstanceVersion)

#define PERCEPT_VK_DECLARE(name) extern PFN_##name name;
PERCEPT_VK_GLOBAL_FUNCTIONS(PERCEPT_VK_DECLARE)
PERCEPT_VK_INSTANCE_FUNCTIONS(PERCEPT_VK_DECLARE)
PERCEPT_VK_OPTIONAL_FUNCTIONS(PERCEPT_VK_DECLARE)
PERCEPT_VK_OPTIONAL_GLOBAL_FUNCTIONS(PERCEPT_VK_DECLARE)
#undef PERCEPT_VK_DECLARE

// Opens the loader and resolves the global entry points, once per process. Returns false with
// `why` set when there is no loader.
bool loadLoader(std::string* why);
// Resolves the instance- and device-level entry points through `instance` (first call only).
void loadInstanceFunctions(VkInstance instance);

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
const char* resultName(VkResult r);
// Throws percept::Error("<what>: <result name>") unless r == VK_SUCCESS; VK_ERROR_DEVICE_LOST
// throws percept::DeviceLostError (Context::check also marks the device lost: prefer it where
// a context is at hand).
void check(VkResult r, const char* what);

}  // namespace percept::vk
