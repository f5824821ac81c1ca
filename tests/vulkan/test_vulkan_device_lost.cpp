// SPDX-License-Identifier: Apache-2.0
// A lost device (VK_ERROR_DEVICE_LOST) through PERCEPT_VULKAN_FAIL_AFTER: the N-th run() of a
// session fails with percept::DeviceLostError naming the device and the condition; every
// session on that device fails from then on (as on a really lost device); a session created
// afterwards opens the device afresh and computes the right answer; a bad value of the
// variable is a clear error. Runs under the validation layer like every Vulkan test: the lost
// device's objects must be destroyed without a validation error.
#include <gtest/gtest.h>

#include "vulkan_test_util.h"

namespace percept::vktest {
namespace {

using namespace percept::optest;

SessionOptions vulkan() {
    SessionOptions o;
    o.backend = Backend::Vulkan;
    return o;
}

// y = Relu(Conv(x)): small, but through the real conv shaders.
Model convModel() {
    OpGraph g;
    const int in = g.input("x", {1, 8, 12, 12});
    const int y = g.value("y");
    graph::Node& n = g.node("Conv", {in, g.constant("w", randomTensor({16, 8, 3, 3}, 5, -0.5f, 0.5f)), g.constant("b", randomTensor({16}, 6))},
                            {y});
    setInts(n, "pads", {1, 1, 1, 1});
    addActivation(g, graph::Activation::Relu, y);
    return detail::modelFromGraph(g.g, "conv");
}

TEST(VulkanDeviceLost, FailAfterLosesTheDeviceAndANewSessionRecovers) {
    const Model m = convModel();
    const Tensor x = randomTensor({1, 8, 12, 12}, 7);
    const Tensor expect = Session::create(m, SessionOptions{})->run(x);

    std::unique_ptr<Session> s, other;
    SessionOptions failing = vulkan();
    failing.tuning.vulkanFailAfter = 3;
    s = Session::create(m, failing);
    other = Session::create(m, vulkan());  // same device, no fault of its own
    EXPECT_LT(maxRelDiff(other->run(x), expect), 1e-4);

    EXPECT_LT(maxRelDiff(s->run(x), expect), 1e-4);  // run 1
    EXPECT_LT(maxRelDiff(s->run(x), expect), 1e-4);  // run 2
    try {
        s->run(x);  // run 3: lost
        FAIL() << "the third run should have reported a lost device";
    } catch (const DeviceLostError& e) {
        const std::string what = e.what();
        std::printf("[ info ] %s\n", what.c_str());
        EXPECT_NE(what.find("VK_ERROR_DEVICE_LOST"), std::string::npos) << what;
        EXPECT_NE(what.find("was lost"), std::string::npos) << what;
        EXPECT_NE(what.find(s->deviceName().substr(std::string("Vulkan: ").size())), std::string::npos) << what;
        EXPECT_NE(what.find("PERCEPT_VULKAN_FAIL_AFTER"), std::string::npos) << "an injected loss says so: " << what;
    }
    // The device stays lost for every session on it: this one and the other one.
    EXPECT_THROW(s->run(x), DeviceLostError);
    try {
        other->run(x);
        FAIL() << "a session on the lost device must not run";
    } catch (const DeviceLostError& e) {
        EXPECT_NE(std::string(e.what()).find("VK_ERROR_DEVICE_LOST from vkQueueSubmit"), std::string::npos) << e.what();
    }

    // A new session opens the device afresh and works (also while the old ones still exist).
    auto fresh = Session::create(m, vulkan());
    for (int k = 0; k < 5; ++k) EXPECT_LT(maxRelDiff(fresh->run(x), expect), 1e-4);
    s.reset();
    other.reset();
    EXPECT_LT(maxRelDiff(fresh->run(x), expect), 1e-4);
    EXPECT_EQ(vk::validationErrorCount(), 0u) << vk::lastValidationError();
}

TEST(VulkanDeviceLost, FailAfterCountsEachSessionsRuns) {
    ScopedEnv fail("PERCEPT_VULKAN_FAIL_AFTER", "1");
    SessionOptions o = vulkan();
    o.tuning = Tuning::fromEnvironment();  // as the app and tools read it, at their edge
    const Model m = convModel();
    const Tensor x = randomTensor({1, 8, 12, 12}, 8);
    for (int k = 0; k < 2; ++k) {
        auto s = Session::create(m, o);
        EXPECT_THROW(s->run(x), DeviceLostError) << "session " << k;
    }
}

TEST(VulkanDeviceLost, FailAfterValuesAreChecked) {
    const Model m = convModel();
    {
        ScopedEnv fail("PERCEPT_VULKAN_FAIL_AFTER", "soon");
        try {
            Tuning::fromEnvironment();
            FAIL() << "a bad value must be an error";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("PERCEPT_VULKAN_FAIL_AFTER"), std::string::npos) << e.what();
        }
    }
    ScopedEnv off("PERCEPT_VULKAN_FAIL_AFTER", "0");
    SessionOptions o = vulkan();
    o.tuning = Tuning::fromEnvironment();
    auto s = Session::create(m, o);
    for (int k = 0; k < 3; ++k) EXPECT_NO_THROW(s->run(randomTensor({1, 8, 12, 12}, 9)));
}

}  // namespace
}  // namespace percept::vktest
