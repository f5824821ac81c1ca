// SPDX-License-Identifier: Apache-2.0
// Run-time loading of the Vulkan loader (see vk_loader.h).
#include "vulkan/vk_loader.h"

#include <dlfcn.h>

#include <mutex>

#include "percept/error.h"

namespace percept::vk {

#define PERCEPT_VK_DEFINE(name) PFN_##name name = nullptr;
PERCEPT_VK_GLOBAL_FUNCTIONS(PERCEPT_VK_DEFINE)
PERCEPT_VK_INSTANCE_FUNCTIONS(PERCEPT_VK_DEFINE)
PERCEPT_VK_OPTIONAL_FUNCTIONS(PERCEPT_VK_DEFINE)
PERCEPT_VK_OPTIONAL_GLOBAL_FUNCTIONS(PERCEPT_VK_DEFINE)
#undef PERCEPT_VK_DEFINE

namespace {
std::mutex gLoadMutex;
PFN_vkGetInstanceProcAddr gGetInstanceProcAddr = nullptr;
bool gInstanceFunctionsLoaded = false;
}  // namespace

bool loadLoader(std::string* why) {
    std::lock_guard<std::mutex> lock(gLoadMutex);
    if (gGetInstanceProcAddr) return true;
    // The library stays open for the life of the process (drivers keep threads and state).
    void* lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) lib = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        if (why) *why = "no Vulkan loader (libvulkan.so.1) is installed";
        return false;
    }
    auto gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(lib, "vkGetInstanceProcAddr"));
    if (!gipa) {
        if (why) *why = "the Vulkan loader does not export vkGetInstanceProcAddr";
        return false;
    }
#define PERCEPT_VK_LOAD_GLOBAL(name) name = reinterpret_cast<PFN_##name>(gipa(VK_NULL_HANDLE, #name));
    PERCEPT_VK_GLOBAL_FUNCTIONS(PERCEPT_VK_LOAD_GLOBAL)
    PERCEPT_VK_OPTIONAL_GLOBAL_FUNCTIONS(PERCEPT_VK_LOAD_GLOBAL)
#undef PERCEPT_VK_LOAD_GLOBAL
    if (!vkCreateInstance || !vkEnumerateInstanceLayerProperties || !vkEnumerateInstanceExtensionProperties) {
        if (why) *why = "the Vulkan loader lacks core entry points";
        return false;
    }
    gGetInstanceProcAddr = gipa;
    return true;
}

void loadInstanceFunctions(VkInstance instance) {
    std::lock_guard<std::mutex> lock(gLoadMutex);
    if (gInstanceFunctionsLoaded) return;
#define PERCEPT_VK_LOAD_INSTANCE(name)                                                  \
    name = reinterpret_cast<PFN_##name>(gGetInstanceProcAddr(instance, #name));         \
    if (!name) throw Error("the Vulkan loader lacks the entry point " #name);
    PERCEPT_VK_INSTANCE_FUNCTIONS(PERCEPT_VK_LOAD_INSTANCE)
#undef PERCEPT_VK_LOAD_INSTANCE
#define PERCEPT_VK_LOAD_OPTIONAL(name) name = reinterpret_cast<PFN_##name>(gGetInstanceProcAddr(instance, #name));
    PERCEPT_VK_OPTIONAL_FUNCTIONS(PERCEPT_VK_LOAD_OPTIONAL)
#undef PERCEPT_VK_LOAD_OPTIONAL
    gInstanceFunctionsLoaded = true;
}

#if defined(__SANITIZE_ADDRESS__)
#define PERCEPT_VK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PERCEPT_VK_ASAN 1
#endif
#endif
#ifdef PERCEPT_VK_ASAN
// LeakSanitizer: what Vulkan drivers and layers keep until the process ends (lavapipe's
// instance-level allocations, the validation layer's object tables) is theirs, not ours; the
// devices Percept opens stay open for the life of the process on purpose (vk_context.h).
extern "C" const char* __lsan_default_suppressions() {
    return "leak:libvulkan_lvp.so\n"
           "leak:libVkLayer_khronos_validation.so\n"
           "leak:libvulkan.so\n"
           "leak:libLLVM\n";
}
#endif

const char* resultName(VkResult r) {
    switch (r) {
#define PERCEPT_VK_RESULT(x) \
    case x: return #x;
        PERCEPT_VK_RESULT(VK_SUCCESS)
        PERCEPT_VK_RESULT(VK_NOT_READY)
        PERCEPT_VK_RESULT(VK_TIMEOUT)
        PERCEPT_VK_RESULT(VK_INCOMPLETE)
        PERCEPT_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
        PERCEPT_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        PERCEPT_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
        PERCEPT_VK_RESULT(VK_ERROR_DEVICE_LOST)
        PERCEPT_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
        PERCEPT_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
        PERCEPT_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
        PERCEPT_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
        PERCEPT_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
        PERCEPT_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
        PERCEPT_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
        PERCEPT_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
        PERCEPT_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
        PERCEPT_VK_RESULT(VK_ERROR_UNKNOWN)
#undef PERCEPT_VK_RESULT
        default: return "VkResult error";
    }
}

void check(VkResult r, const char* what) {
    if (r == VK_ERROR_DEVICE_LOST)
        throw DeviceLostError(std::string("the Vulkan device was lost (VK_ERROR_DEVICE_LOST from ") + what + ")");
    if (r != VK_SUCCESS) throw Error(std::string("Vulkan: ") + what + " failed: " + resultName(r));
}

}  // namespace percept::vk
