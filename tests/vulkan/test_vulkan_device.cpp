// SPDX-License-Identifier: Apache-2.0
// The Vulkan backend's device handling: no loader / no device is a clear percept::Error,
// device choice by index, name and PERCEPT_VULKAN_DEVICE, the automatic preference order, and
// the validation layer being on (and its error count zero) for the whole test process.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "vulkan/vk_loader.h"
#include "vulkan_test_util.h"

namespace percept::vktest {
namespace {

using optest::OpGraph;

// Validation on before the first Vulkan call of the process; no error may be left at the end.
class ValidationEnvironment : public ::testing::Environment {
public:
    void SetUp() override { setenv("PERCEPT_VULKAN_VALIDATION", "1", 0); }
    void TearDown() override {
        EXPECT_EQ(vk::validationErrorCount(), 0u) << "last validation error: " << vk::lastValidationError();
    }
};
const auto* const kValidationEnv = ::testing::AddGlobalTestEnvironment(new ValidationEnvironment);

Model tinyModel() {
    OpGraph g;
    g.node("Relu", {g.input("x", {1, 4})}, {g.output("y")});
    return detail::modelFromGraph(g.g, "tiny");
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// ---- No device ---------------------------------------------------------------------------

// In a fresh process (the death-test child re-runs this binary), with the loader pointed at a
// driver file that does not exist: a percept::Error saying so, from both entry points.
TEST(VulkanNoDevice, IsAClearCatchableError) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("VK_DRIVER_FILES", "/nonexistent/percept_icd.json", 1);
            setenv("VK_ICD_FILENAMES", "/nonexistent/percept_icd.json", 1);
            unsetenv("PERCEPT_VULKAN_DEVICE");
            std::string why;
            if (backendAvailable(Backend::Vulkan, &why)) std::_Exit(2);
            SessionOptions o;
            o.backend = Backend::Vulkan;
            try {
                Session::create(tinyModel(), o);
                std::_Exit(3);
            } catch (const Error& e) {
                fprintf(stderr, "available: %s\nsession: %s\n", why.c_str(), e.what());
                const std::string msg = e.what();
                std::_Exit(msg == why && msg.find("no Vulkan device") != std::string::npos ? 0 : 4);
            }
        },
        ::testing::ExitedWithCode(0), "session: the Vulkan backend is not available: no Vulkan device found");
}

TEST(VulkanNoDevice, AvailableOnThisMachine) {
    std::string why;
    EXPECT_TRUE(backendAvailable(Backend::Vulkan, &why)) << why;
}

// ---- Choice of device --------------------------------------------------------------------

std::vector<vk::PhysicalDeviceInfo> fakeDevices() {
    return {{0, "llvmpipe (LLVM 15.0.6, 256 bits)", VK_PHYSICAL_DEVICE_TYPE_CPU, VK_API_VERSION_1_3, true, ""},
            {1, "Intel(R) UHD Graphics 630", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, VK_API_VERSION_1_3, true, ""},
            {2, "NVIDIA GeForce RTX 3060", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_API_VERSION_1_3, true, ""},
            {3, "Old GPU", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, VK_API_VERSION_1_0, false, "supports only Vulkan 1.0"}};
}

TEST(VulkanDeviceChoice, PrefersDiscreteThenIntegratedThenCpu) {
    auto d = fakeDevices();
    EXPECT_EQ(vk::pickDevice(d, {}, ""), 2u);
    d[2].usable = false;
    EXPECT_EQ(vk::pickDevice(d, {}, ""), 1u);
    d.erase(d.begin() + 1);
    EXPECT_EQ(vk::pickDevice(d, {}, ""), 0u);
    d[0].usable = false;
    EXPECT_THROW(vk::pickDevice(d, {}, ""), Error);
    EXPECT_THROW(vk::pickDevice({}, {}, ""), Error);
}

TEST(VulkanDeviceChoice, ByIndexNameAndEnvironment) {
    const auto d = fakeDevices();
    SessionOptions o;
    o.deviceIndex = 1;
    EXPECT_EQ(vk::pickDevice(d, o, ""), 1u);
    o.deviceIndex = -1;
    o.deviceName = "geforce";  // case-insensitive substring
    EXPECT_EQ(vk::pickDevice(d, o, ""), 2u);
    // The environment overrides the options, by index or by name.
    EXPECT_EQ(vk::pickDevice(d, o, "0"), 0u);
    EXPECT_EQ(vk::pickDevice(d, o, "UHD"), 1u);
    try {
        vk::pickDevice(d, o, "7");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no Vulkan device matches PERCEPT_VULKAN_DEVICE=7"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("2: NVIDIA GeForce RTX 3060 (discrete GPU)"), std::string::npos) << e.what();
    }
    EXPECT_THROW(vk::pickDevice(d, o, "radeon"), Error);
    // An unusable device asked for by index says why.
    try {
        vk::pickDevice(d, o, "3");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("Vulkan 1.0"), std::string::npos) << e.what();
    }
}

TEST(VulkanDeviceChoice, RealDevicesByIndexNameAndEnvironment) {
    ScopedEnv noEnv("PERCEPT_VULKAN_DEVICE", std::nullopt);
    const auto devices = vk::enumerateDevices();
    ASSERT_FALSE(devices.empty());
    const Model model = tinyModel();
    const Tensor x({1, 4}, {-1.0f, 2.0f, -3.0f, 4.0f});
    for (const auto& dev : devices) {
        if (!dev.usable) continue;
        SCOPED_TRACE(dev.name);
        SessionOptions o;
        o.backend = Backend::Vulkan;
        o.deviceIndex = static_cast<int>(dev.index);
        auto s = Session::create(model, o);
        EXPECT_EQ(s->deviceName(), "Vulkan: " + dev.name);
        EXPECT_EQ(s->run(x).data, (std::vector<float>{0.0f, 2.0f, 0.0f, 4.0f}));

        SessionOptions byName;
        byName.backend = Backend::Vulkan;
        byName.deviceName = lower(dev.name.substr(0, std::min<size_t>(dev.name.size(), 6)));
        EXPECT_EQ(Session::create(model, byName)->deviceName().rfind("Vulkan: ", 0), 0u);

        ScopedEnv env("PERCEPT_VULKAN_DEVICE", std::to_string(dev.index));
        SessionOptions wrong;
        wrong.backend = Backend::Vulkan;
        wrong.deviceIndex = 99;  // overridden by the environment
        EXPECT_EQ(Session::create(model, wrong)->deviceName(), "Vulkan: " + dev.name);
    }
    SessionOptions bad;
    bad.backend = Backend::Vulkan;
    bad.deviceIndex = static_cast<int>(devices.size());
    EXPECT_THROW(Session::create(model, bad), Error);
    bad.deviceIndex = -1;
    bad.deviceName = "no-such-device-anywhere";
    try {
        Session::create(model, bad);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no Vulkan device matches device name 'no-such-device-anywhere'"), std::string::npos) << e.what();
    }
    ScopedEnv env("PERCEPT_VULKAN_DEVICE", "no-such-device-anywhere");
    EXPECT_THROW(Session::create(model, SessionOptions{Backend::Vulkan}), Error);
}

// ---- Validation --------------------------------------------------------------------------

TEST(VulkanValidation, LayerIsOnWhereInstalled) {
    Session::create(tinyModel(), SessionOptions{Backend::Vulkan});
    if (!vk::validationLayerInstalled()) GTEST_SKIP() << "VK_LAYER_KHRONOS_validation is not installed";
    EXPECT_TRUE(vk::validationRequested());
    EXPECT_TRUE(vk::validationActive());
}

// The messenger counts what the layer reports, and a session turns a new error into a
// percept::Error: provoked in a child process (a zero-sized buffer is invalid usage).
TEST(VulkanValidation, ErrorsAreCountedAndFailTheSession) {
    if (!vk::validationLayerInstalled()) GTEST_SKIP() << "VK_LAYER_KHRONOS_validation is not installed";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("PERCEPT_VULKAN_VALIDATION", "1", 1);
            auto session = Session::create(tinyModel(), SessionOptions{Backend::Vulkan});
            auto ctx = vk::Context::acquire(SessionOptions{Backend::Vulkan});
            const uint64_t before = vk::validationErrorCount();
            VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
            bi.size = 0;
            bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
            VkBuffer buf = VK_NULL_HANDLE;
            vk::vkCreateBuffer(ctx->device(), &bi, nullptr, &buf);
            if (vk::validationErrorCount() <= before) std::_Exit(2);
            try {
                session->run(Tensor({1, 4}));
                std::_Exit(3);
            } catch (const Error& e) {
                fprintf(stderr, "%s\n", e.what());
                std::_Exit(0);
            }
        },
        ::testing::ExitedWithCode(0), "Vulkan validation error while running the model: .*VkBufferCreateInfo");
}

}  // namespace
}  // namespace percept::vktest
