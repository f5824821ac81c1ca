// SPDX-License-Identifier: Apache-2.0
// Instance, device selection and logical device (see vk_context.h).
#include "vulkan/vk_context.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "percept/error.h"
#include "vulkan/vk_pipeline_cache.h"

namespace percept::vk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

// ---- Validation messages ------------------------------------------------------------------

struct ValidationState {
    std::atomic<uint64_t> errors{0};
    std::mutex mutex;
    std::string last;
    bool active = false;
};
ValidationState& validation() {
    static ValidationState* s = new ValidationState;  // process lifetime, as the instance
    return *s;
}

VKAPI_ATTR VkBool32 VKAPI_CALL onDebugMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data, void*) {
    const char* msg = data && data->pMessage ? data->pMessage : "(no message)";
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ValidationState& v = validation();
        {
            std::lock_guard<std::mutex> lock(v.mutex);
            v.last = msg;
        }
        ++v.errors;
        std::fprintf(stderr, "[percept vulkan] validation error: %s\n", msg);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        std::fprintf(stderr, "[percept vulkan] validation warning: %s\n", msg);
    }
    return VK_FALSE;
}

// ---- The process-wide instance ------------------------------------------------------------

struct Instance {
    VkInstance handle = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    std::vector<VkPhysicalDevice> devices;
    std::vector<PhysicalDeviceInfo> infos;
};

std::mutex gMutex;
uint32_t gInstanceApiVersion = VK_API_VERSION_1_1;
Instance* gInstance = nullptr;                               // created once, kept for the process
std::map<uint32_t, std::shared_ptr<Context>>* gContexts = nullptr;  // opened devices, by index

std::string envOr(const char* name, const char* fallback = "") {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string(fallback);
}

// What the loader was told about drivers, for "no device" messages.
std::string driverHint() {
    std::string hint;
    for (const char* var : {"VK_DRIVER_FILES", "VK_ICD_FILENAMES"}) {
        const std::string v = envOr(var);
        if (!v.empty()) hint += std::string(hint.empty() ? " (" : ", ") + var + "=" + v;
    }
    return hint.empty() ? hint : hint + ")";
}

bool hasLayer(const char* name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(n);
    if (vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
    for (const auto& l : layers)
        if (std::strcmp(l.layerName, name) == 0) return true;
    return false;
}

bool hasInstanceExtension(const char* layer, const char* name) {
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> ext(n);
    if (vkEnumerateInstanceExtensionProperties(layer, &n, ext.data()) != VK_SUCCESS) return false;
    for (const auto& e : ext)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

// Whether Percept can run on a device: Vulkan 1.1 and a compute queue.
bool checkUsable(VkPhysicalDevice pd, const PhysicalDeviceInfo& d, std::string* why) {
    if (VK_API_VERSION_MAJOR(d.apiVersion) == 1 && VK_API_VERSION_MINOR(d.apiVersion) < 1) {
        if (why) *why = "device " + std::to_string(d.index) + " (" + d.name + ") supports only Vulkan 1.0; Percept needs 1.1";
        return false;
    }
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, nullptr);
    std::vector<VkQueueFamilyProperties> q(n);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q.data());
    for (const auto& f : q)
        if (f.queueFlags & VK_QUEUE_COMPUTE_BIT) return true;
    if (why) *why = "device " + std::to_string(d.index) + " (" + d.name + ") has no compute queue";
    return false;
}

// Creates the instance and lists the devices; throws percept::Error. Call under gMutex.
Instance& instance() {
    if (gInstance) return *gInstance;
    std::string why;
    if (!loadLoader(&why)) throw Error("the Vulkan backend is not available: " + why);

    std::vector<const char*> layers, extensions;
    const bool wantValidation = validationRequested();
    bool useValidation = false, debugUtils = false, syncValidation = false;
    if (wantValidation) {
        useValidation = hasLayer(kValidationLayer);
        if (useValidation) {
            layers.push_back(kValidationLayer);
            syncValidation = hasInstanceExtension(kValidationLayer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
            if (syncValidation) extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
        } else {
            std::fprintf(stderr, "[percept vulkan] PERCEPT_VULKAN_VALIDATION is set but %s is not installed\n", kValidationLayer);
        }
        debugUtils = hasInstanceExtension(nullptr, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                     (useValidation && hasInstanceExtension(kValidationLayer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME));
        if (debugUtils) extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "Percept";
    app.applicationVersion = VK_MAKE_VERSION(0, 1, 0);
    app.pEngineName = "Percept";
    app.engineVersion = VK_MAKE_VERSION(0, 1, 0);
    // 1.3 where the loader has it (pipeline creation feedback is core there); devices need 1.1.
    uint32_t loaderVersion = VK_API_VERSION_1_0;
    if (vkEnumerateInstanceVersion) vkEnumerateInstanceVersion(&loaderVersion);
    app.apiVersion = loaderVersion >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : VK_API_VERSION_1_1;
    gInstanceApiVersion = app.apiVersion;

    VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT;
    dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    dbg.pfnUserCallback = onDebugMessage;
    VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = enables;

    VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ci.pApplicationInfo = &app;
    ci.enabledLayerCount = static_cast<uint32_t>(layers.size());
    ci.ppEnabledLayerNames = layers.data();
    ci.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    ci.ppEnabledExtensionNames = extensions.data();
    // Messages from vkCreateInstance itself, then the features, in one pNext chain.
    const void* chain = nullptr;
    if (syncValidation) {
        features.pNext = chain;
        chain = &features;
    }
    if (debugUtils) {
        dbg.pNext = chain;
        chain = &dbg;
    }
    ci.pNext = chain;

    VkInstance inst = VK_NULL_HANDLE;
    const VkResult r = vkCreateInstance(&ci, nullptr, &inst);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        throw Error("the Vulkan backend is not available: no Vulkan device found (the loader found no driver" + driverHint() + ")");
    if (r != VK_SUCCESS) throw Error(std::string("the Vulkan backend is not available: vkCreateInstance failed: ") + resultName(r));
    loadInstanceFunctions(inst);

    auto inst_ = std::make_unique<Instance>();
    inst_->handle = inst;
    uint32_t count = 0;
    VkResult er = vkEnumeratePhysicalDevices(inst, &count, nullptr);
    if (er == VK_SUCCESS && count > 0) {
        inst_->devices.resize(count);
        er = vkEnumeratePhysicalDevices(inst, &count, inst_->devices.data());
        inst_->devices.resize(count);
    }
    if (er != VK_SUCCESS && er != VK_INCOMPLETE) {
        vkDestroyInstance(inst, nullptr);
        throw Error(std::string("the Vulkan backend is not available: listing devices failed: ") + resultName(er));
    }
    if (inst_->devices.empty()) {
        vkDestroyInstance(inst, nullptr);
        throw Error("the Vulkan backend is not available: no Vulkan device found" + driverHint());
    }
    for (uint32_t k = 0; k < inst_->devices.size(); ++k) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(inst_->devices[k], &p);
        PhysicalDeviceInfo info{k, p.deviceName, p.deviceType, p.apiVersion, true, ""};
        info.usable = checkUsable(inst_->devices[k], info, &info.whyNotUsable);
        inst_->infos.push_back(info);
    }
    if (debugUtils && vkCreateDebugUtilsMessengerEXT) {
        dbg.pNext = nullptr;
        vkCreateDebugUtilsMessengerEXT(inst, &dbg, nullptr, &inst_->messenger);
    }
    validation().active = useValidation;
    gInstance = inst_.release();
    return *gInstance;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string deviceList(const std::vector<PhysicalDeviceInfo>& infos) {
    std::string s;
    for (const auto& d : infos) s += (s.empty() ? "" : ", ") + std::to_string(d.index) + ": " + d.name + " (" + deviceTypeName(d.type) + ")";
    return s;
}

int typeRank(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
        default: return 4;
    }
}

bool hasDeviceExtension(VkPhysicalDevice pd, const char* name) {
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> ext(n);
    if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, ext.data()) != VK_SUCCESS) return false;
    for (const auto& e : ext)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

}  // namespace

struct ContextFactory {
    static std::shared_ptr<Context> open(const Instance& inst, uint32_t index) {
        std::shared_ptr<Context> c(new Context());
        c->instance_ = inst.handle;
        c->index_ = index;
        c->physical_ = inst.devices[index];
        VkPhysicalDeviceIDProperties idProps{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
        VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
        props2.pNext = &idProps;
        vkGetPhysicalDeviceProperties2(c->physical_, &props2);
        c->props_ = props2.properties;
        c->apiVersion_ = std::min(c->props_.apiVersion, gInstanceApiVersion);
        std::memcpy(c->uuid_, idProps.deviceUUID, VK_UUID_SIZE);
        vkGetPhysicalDeviceMemoryProperties(c->physical_, &c->memProps_);

        // One queue of the first family that computes, preferring one with timestamps.
        uint32_t n = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(c->physical_, &n, nullptr);
        std::vector<VkQueueFamilyProperties> fams(n);
        vkGetPhysicalDeviceQueueFamilyProperties(c->physical_, &n, fams.data());
        int family = -1;
        for (uint32_t k = 0; k < n; ++k) {
            if (!(fams[k].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
            if (family < 0 || (fams[static_cast<size_t>(family)].timestampValidBits == 0 && fams[k].timestampValidBits > 0))
                family = static_cast<int>(k);
        }
        if (family < 0) throw Error("the Vulkan device '" + std::string(c->props_.deviceName) + "' has no compute queue");
        c->queueFamily_ = static_cast<uint32_t>(family);
        c->timestampBits_ = fams[static_cast<size_t>(family)].timestampValidBits;

        // What the device can do beyond Vulkan 1.1: each feature struct is queried (and later
        // switched on) only where its version or extension is there; asking for one that is not
        // is itself invalid usage.
        const uint32_t api = c->apiVersion_;
        auto has = [&](const char* e) { return hasDeviceExtension(c->physical_, e); };
        std::vector<const char*> extensions;
        if (has("VK_KHR_portability_subset")) extensions.push_back("VK_KHR_portability_subset");
        const bool f16i8Known = api >= VK_API_VERSION_1_2 || has(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
        const bool s8Known = api >= VK_API_VERSION_1_2 || has(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
        const bool dotKnown = api >= VK_API_VERSION_1_3 || has(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
        const bool coopNv = has(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME) && vkGetPhysicalDeviceCooperativeMatrixPropertiesNV;
        c->coopMatrixKhr_ = has("VK_KHR_cooperative_matrix");

        VkPhysicalDevice16BitStorageFeatures s16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
        VkPhysicalDeviceShaderFloat16Int8Features f16i8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
        VkPhysicalDevice8BitStorageFeatures s8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
        VkPhysicalDeviceShaderIntegerDotProductFeatures dot{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
        VkPhysicalDeviceCooperativeMatrixFeaturesNV coop{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
        VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        // Links the structs that apply into a pNext chain after `head`: to query, every one the
        // device knows; to switch on (`used`), only those Percept uses.
        auto chain = [&](void* head, bool used) {
            VkBaseOutStructure** next = &static_cast<VkBaseOutStructure*>(head)->pNext;
            auto link = [&](bool on, void* s) {
                if (!on) return;
                *next = static_cast<VkBaseOutStructure*>(s);
                next = &static_cast<VkBaseOutStructure*>(s)->pNext;
            };
            link(true, &s16);
            link(f16i8Known && (!used || c->fp16Arith_ || c->int8Dot_), &f16i8);
            link(s8Known && (!used || c->int8Dot_), &s8);
            link(dotKnown && (!used || c->int8Dot_), &dot);
            link(coopNv && (!used || c->coopMatrix_.any()), &coop);
            *next = nullptr;
        };
        chain(&f2, false);
        vkGetPhysicalDeviceFeatures2(c->physical_, &f2);
        c->fp16Storage_ = s16.storageBuffer16BitAccess == VK_TRUE;
        auto texelOk = [&](VkFormat f) {
            VkFormatProperties fp;
            vkGetPhysicalDeviceFormatProperties(c->physical_, f, &fp);
            return (fp.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) != 0;
        };
        c->texelBuffers_ = texelOk(VK_FORMAT_R32_SFLOAT) && texelOk(VK_FORMAT_R32G32B32A32_SFLOAT);
        if (c->fp16Storage_ && !(texelOk(VK_FORMAT_R16_SFLOAT) && texelOk(VK_FORMAT_R16G16B16A16_SFLOAT))) c->fp16Storage_ = false;
        c->fp16Arith_ = c->fp16Storage_ && f16i8Known && f16i8.shaderFloat16 == VK_TRUE;
        c->int8Dot_ = f16i8Known && s8Known && dotKnown && f16i8.shaderInt8 && s8.storageBuffer8BitAccess && dot.shaderIntegerDotProduct;
        if (c->int8Dot_) {
            VkPhysicalDeviceShaderIntegerDotProductProperties dp{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
            VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
            p2.pNext = &dp;
            vkGetPhysicalDeviceProperties2(c->physical_, &p2);
            c->int8DotAccelerated_ = dp.integerDotProduct4x8BitPackedSignedAccelerated == VK_TRUE;
        }
        if (coopNv && coop.cooperativeMatrix && c->fp16Arith_) {
            // The first fp16 x fp16 -> fp32 subgroup shape the device lists, on 32-wide subgroups.
            VkPhysicalDeviceSubgroupProperties sg{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
            VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
            p2.pNext = &sg;
            vkGetPhysicalDeviceProperties2(c->physical_, &p2);
            uint32_t count = 0;
            vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(c->physical_, &count, nullptr);
            std::vector<VkCooperativeMatrixPropertiesNV> shapes(count, {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV});
            vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(c->physical_, &count, shapes.data());
            for (const auto& m : shapes)
                if (sg.subgroupSize == 32 && m.scope == VK_SCOPE_SUBGROUP_NV && m.AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
                    m.BType == VK_COMPONENT_TYPE_FLOAT16_NV && m.CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
                    m.DType == VK_COMPONENT_TYPE_FLOAT32_NV && 32 % m.MSize == 0 && 32 % m.NSize == 0 && 32 % m.KSize == 0 &&
                    !c->coopMatrix_.any())
                    c->coopMatrix_ = {m.MSize, m.NSize, m.KSize};
        }

        // Switched on: what Percept uses (the fp16 and int8 features only where all they need is there).
        s16 = VkPhysicalDevice16BitStorageFeatures{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
        s16.storageBuffer16BitAccess = c->fp16Storage_ ? VK_TRUE : VK_FALSE;
        f16i8 = VkPhysicalDeviceShaderFloat16Int8Features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
        f16i8.shaderFloat16 = c->fp16Arith_ ? VK_TRUE : VK_FALSE;
        f16i8.shaderInt8 = c->int8Dot_ ? VK_TRUE : VK_FALSE;
        s8 = VkPhysicalDevice8BitStorageFeatures{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
        s8.storageBuffer8BitAccess = c->int8Dot_ ? VK_TRUE : VK_FALSE;
        dot = VkPhysicalDeviceShaderIntegerDotProductFeatures{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
        dot.shaderIntegerDotProduct = c->int8Dot_ ? VK_TRUE : VK_FALSE;
        coop = VkPhysicalDeviceCooperativeMatrixFeaturesNV{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
        coop.cooperativeMatrix = c->coopMatrix_.any() ? VK_TRUE : VK_FALSE;
        VkPhysicalDeviceFeatures2 on{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        chain(&on, true);
        if (api < VK_API_VERSION_1_2 && f16i8Known && (c->fp16Arith_ || c->int8Dot_)) extensions.push_back(VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
        if (api < VK_API_VERSION_1_2 && c->int8Dot_) extensions.push_back(VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
        if (api < VK_API_VERSION_1_3 && c->int8Dot_) extensions.push_back(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
        if (c->coopMatrix_.any()) extensions.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);

        const float priority = 1.0f;
        VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        qci.queueFamilyIndex = c->queueFamily_;
        qci.queueCount = 1;
        qci.pQueuePriorities = &priority;
        VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
        dci.pNext = &on;
        dci.queueCreateInfoCount = 1;
        dci.pQueueCreateInfos = &qci;
        dci.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
        dci.ppEnabledExtensionNames = extensions.data();
        const VkResult r = vkCreateDevice(c->physical_, &dci, nullptr, &c->device_);
        if (r != VK_SUCCESS)
            throw Error("cannot open the Vulkan device '" + std::string(c->props_.deviceName) + "': vkCreateDevice failed: " + resultName(r));
        vkGetDeviceQueue(c->device_, c->queueFamily_, 0, &c->queue_);
        c->pipelines_ = std::make_unique<PipelineCache>(*c);
        return c;
    }
};

uint32_t pickDevice(const std::vector<PhysicalDeviceInfo>& infos, const SessionOptions& o, const std::string& env) {
    std::string byName;
    long byIndex = -1;
    std::string source;
    if (!env.empty()) {
        source = "PERCEPT_VULKAN_DEVICE=" + env;
        if (std::all_of(env.begin(), env.end(), [](unsigned char c) { return std::isdigit(c); })) byIndex = std::atol(env.c_str());
        else byName = env;
    } else if (o.deviceIndex >= 0) {
        byIndex = o.deviceIndex;
        source = "device index " + std::to_string(o.deviceIndex);
    } else if (!o.deviceName.empty()) {
        byName = o.deviceName;
        source = "device name '" + o.deviceName + "'";
    }
    if (infos.empty()) throw Error("the Vulkan backend is not available: no Vulkan device found");
    if (byIndex >= 0) {
        if (static_cast<size_t>(byIndex) >= infos.size())
            throw Error("no Vulkan device matches " + source + " (devices: " + deviceList(infos) + ")");
        const PhysicalDeviceInfo& d = infos[static_cast<size_t>(byIndex)];
        if (!d.usable) throw Error("the Vulkan backend cannot use " + source + ": " + d.whyNotUsable);
        return d.index;
    }
    if (!byName.empty()) {
        const std::string want = lower(byName);
        for (const auto& d : infos)
            if (lower(d.name).find(want) != std::string::npos && d.usable) return d.index;
        throw Error("no Vulkan device matches " + source + " (devices: " + deviceList(infos) + ")");
    }
    const PhysicalDeviceInfo* best = nullptr;
    std::string why;
    for (const auto& d : infos) {
        if (!d.usable) {
            why = d.whyNotUsable;
            continue;
        }
        if (!best || typeRank(d.type) < typeRank(best->type)) best = &d;
    }
    if (!best) throw Error("the Vulkan backend is not available: no usable Vulkan device (" + why + ")");
    return best->index;
}

const char* deviceTypeName(VkPhysicalDeviceType t) {
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
        default: return "other";
    }
}

std::shared_ptr<Context> Context::acquire(const SessionOptions& options, double* openMs) {
    std::lock_guard<std::mutex> lock(gMutex);
    // Timed until either return: the instance on the first call, the device where it is opened.
    struct Timer {
        std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
        double* out;
        ~Timer() {
            if (out) *out = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        }
    } timer{.out = openMs};
    Instance& inst = instance();
    const uint32_t index = pickDevice(inst.infos, options, envOr("PERCEPT_VULKAN_DEVICE"));
    if (!gContexts) gContexts = new std::map<uint32_t, std::shared_ptr<Context>>;
    auto it = gContexts->find(index);
    if (it != gContexts->end()) {
        if (!it->second->lost()) return it->second;
        // A lost device never comes back: open it afresh (the old VkDevice goes when its last
        // session lets go of it).
        gContexts->erase(it);
    }
    auto ctx = ContextFactory::open(inst, index);
    (*gContexts)[index] = ctx;
    return ctx;
}

Context::~Context() {
    if (device_) vkDeviceWaitIdle(device_);
    pipelines_.reset();
    if (device_) vkDestroyDevice(device_, nullptr);
}

VkDeviceSize Context::bindingAlignment() const {
    return std::max<VkDeviceSize>(64, props_.limits.minStorageBufferOffsetAlignment);
}

void Context::submit(VkCommandBuffer cb, VkFence fence) {
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    std::lock_guard<std::mutex> lock(queueMutex_);
    // A lost device answers every submit with VK_ERROR_DEVICE_LOST; say so without asking it.
    check(lost() ? VK_ERROR_DEVICE_LOST : vkQueueSubmit(queue_, 1, &si, fence), "vkQueueSubmit");
}

void Context::check(VkResult r, const char* what) {
    if (r == VK_ERROR_DEVICE_LOST) {
        lost_ = true;
        throw DeviceLostError("the Vulkan device '" + std::string(props_.deviceName) + "' was lost (VK_ERROR_DEVICE_LOST from " + what +
                              "): the GPU was reset or stopped answering; sessions on it cannot run again");
    }
    vk::check(r, what);
}

std::vector<PhysicalDeviceInfo> enumerateDevices() {
    std::lock_guard<std::mutex> lock(gMutex);
    return instance().infos;
}

bool available(std::string* why) {
    try {
        std::lock_guard<std::mutex> lock(gMutex);
        Instance& inst = instance();
        pickDevice(inst.infos, SessionOptions{}, envOr("PERCEPT_VULKAN_DEVICE"));
        return true;
    } catch (const Error& e) {
        if (why) *why = e.what();
        return false;
    }
}

bool validationRequested() {
    const std::string v = envOr("PERCEPT_VULKAN_VALIDATION");
    return !v.empty() && v != "0";
}
bool validationActive() { return validation().active; }
bool validationLayerInstalled() { return loadLoader(nullptr) && hasLayer(kValidationLayer); }
uint64_t validationErrorCount() { return validation().errors.load(); }
std::string lastValidationError() {
    std::lock_guard<std::mutex> lock(validation().mutex);
    return validation().last;
}

}  // namespace percept::vk
