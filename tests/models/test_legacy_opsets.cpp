// SPDX-License-Identifier: Apache-2.0
// Forms of older exporters: opsets before 7 broadcast binary ops only with broadcast=1,
// aligning B with A at `axis` (not numpy's trailing alignment), which the engine rewrites into
// numpy form or refuses; Dropout left in training mode with ratio 0.
#include <gtest/gtest.h>

#include "common/backends.h"
#include "common/onnx_builder.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

Model load(const OnnxBuilder& b) {
    const auto bytes = b.bytes();
    return Model::fromBytes(bytes.data(), bytes.size(), "legacy.onnx");
}

// Add(A [1,3,2,2], B [3], broadcast=1, axis=1): B[c] is added to every value of channel c.
TEST(LegacyBroadcast, AxisAlignsBWithAChannels) {
    OnnxBuilder b(6);
    b.input("x", {1, 3, 2, 2}).output("y");
    b.floats("bias", {3}, {10.0f, 20.0f, 30.0f});
    auto& n = b.node("Add", {"x", "bias"}, {"y"});
    OnnxBuilder::attr(n, "broadcast", int64_t{1});
    OnnxBuilder::attr(n, "axis", int64_t{1});
    const Model m = load(b);
    Tensor x({1, 3, 2, 2});
    for (size_t k = 0; k < x.data.size(); ++k) x.data[k] = static_cast<float>(k);
    for (Backend be : testBackends()) {
        SessionOptions o;
        o.backend = be;
        const Tensor y = Session::create(m, o)->run(x);
        for (size_t k = 0; k < y.data.size(); ++k) EXPECT_EQ(y.data[k], x.data[k] + 10.0f * static_cast<float>(k / 4 + 1)) << k;
    }
}

// Without broadcast=1, different shapes are an error (numpy broadcasting would accept them).
TEST(LegacyBroadcast, DifferentShapesWithoutBroadcastAreRefused) {
    OnnxBuilder b(6);
    b.input("x", {2, 3}).output("y");
    b.floats("s", {3}, {1.0f, 2.0f, 3.0f});
    b.node("Mul", {"x", "s"}, {"y"}, "mul_legacy");
    try {
        load(b);
        FAIL() << "accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("broadcast=0"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("mul_legacy"), std::string::npos) << e.what();
    }
}

// A computed B aligned at an inner axis would need a reshape at run time: refused.
TEST(LegacyBroadcast, ComputedBAtAnInnerAxisIsRefused) {
    OnnxBuilder b(6);
    b.input("x", {1, 3, 2, 2}).input("s", {3}).output("y");
    auto& n = b.node("Add", {"x", "s"}, {"y"});
    OnnxBuilder::attr(n, "broadcast", int64_t{1});
    OnnxBuilder::attr(n, "axis", int64_t{1});
    EXPECT_THROW(load(b), Error);
}

// From opset 7 the same attributes do not exist and numpy broadcasting applies.
TEST(LegacyBroadcast, Opset7IsNumpy) {
    OnnxBuilder b(7);
    b.input("x", {2, 3}).output("y");
    b.floats("s", {3}, {1.0f, 2.0f, 3.0f});
    b.node("Mul", {"x", "s"}, {"y"});
    const Tensor y = Session::create(load(b))->run(Tensor({2, 3}, {1, 1, 1, 2, 2, 2}));
    EXPECT_EQ(y.data, (std::vector<float>{1, 2, 3, 2, 4, 6}));
}

// Dropout in training mode drops at random, except with ratio 0, where it is the identity
// (torchvision's Swin exports F.dropout(p=0) that way).
TEST(DropoutTrainingMode, RatioZeroIsTheIdentityOtherRatiosAreRefused) {
    for (float ratio : {0.0f, 0.1f}) {
        OnnxBuilder b(13);
        b.input("x", {1, 4}).output("y");
        b.floats("ratio", {}, {ratio});
        b.ints("training", {}, {1});
        b.node("Dropout", {"x", "ratio", "training"}, {"d"}, "drop");
        b.node("Relu", {"d"}, {"y"});
        const auto bytes = b.bytes();
        if (ratio == 0.0f) {
            const Model m = Model::fromBytes(bytes.data(), bytes.size(), "dropout.onnx");
            const Tensor y = Session::create(m)->run(Tensor({1, 4}, {1, -2, 3, -4}));
            EXPECT_EQ(y.data, (std::vector<float>{1, 0, 3, 0}));
        } else {
            try {
                Model::fromBytes(bytes.data(), bytes.size(), "dropout.onnx");
                ADD_FAILURE() << "random dropout accepted";
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("training_mode"), std::string::npos) << e.what();
            }
        }
    }
}

}  // namespace
}  // namespace percept::testing
