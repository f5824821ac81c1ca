// SPDX-License-Identifier: Apache-2.0
// The importer and the load-time passes on hand-built ONNX graphs: constant sub-graphs that
// PyTorch emits in front of Reshape fold away, both Clip forms load, Dropout/Identity vanish,
// BatchNorm folds into Conv and activations fuse -- with the numbers unchanged.
#include <gtest/gtest.h>

#include <cmath>

#include "common/onnx_builder.h"
#include "percept/percept.h"
#include "graph/ir.h"

namespace percept::testing {
namespace {

Model load(const OnnxBuilder& b) {
    const auto bytes = b.bytes();
    return Model::fromBytes(bytes.data(), bytes.size(), "test.onnx");
}

TEST(Importer, FoldsShapeGatherUnsqueezeConcatIntoReshape) {
    // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]))  -> [1, 12]
    OnnxBuilder b(11);
    b.input("x", {1, 3, 2, 2}).output("y");
    b.ints("zero", {}, {0}).ints("minus1", {1}, {-1});
    b.node("Shape", {"x"}, {"s"});
    auto& g = b.node("Gather", {"s", "zero"}, {"n"});
    OnnxBuilder::attr(g, "axis", int64_t{0});
    auto& u = b.node("Unsqueeze", {"n"}, {"n1"});
    OnnxBuilder::attr(u, "axes", std::vector<int64_t>{0});
    auto& c = b.node("Concat", {"n1", "minus1"}, {"shape"});
    OnnxBuilder::attr(c, "axis", int64_t{0});
    b.node("Reshape", {"x", "shape"}, {"y"});
    Model m = load(b);
    EXPECT_EQ(m.nodeCount(), 1u);  // only the Reshape runs
    EXPECT_EQ(m.outputs()[0].shape, (Shape{1, 12}));
    Tensor in({1, 3, 2, 2});
    for (size_t k = 0; k < in.data.size(); ++k) in.data[k] = static_cast<float>(k);
    const Tensor out = Session::create(m)->run(in);
    EXPECT_EQ(out.data, in.data);
}

TEST(Importer, ClipBothOpsetForms) {
    for (int opset : {10, 13}) {
        OnnxBuilder b(opset);
        b.input("x", {1, 5}).output("y");
        if (opset < 11) {
            auto& n = b.node("Clip", {"x"}, {"y"});
            OnnxBuilder::attr(n, "min", 0.0f);
            OnnxBuilder::attr(n, "max", 6.0f);
        } else {
            b.floats("lo", {}, {0.0f}).floats("hi", {}, {6.0f});
            b.node("Clip", {"x", "lo", "hi"}, {"y"});
        }
        const Tensor out = Session::create(load(b))->run(Tensor({1, 5}, {-3.0f, 0.5f, 5.0f, 6.5f, 100.0f}));
        EXPECT_EQ(out.data, (std::vector<float>{0.0f, 0.5f, 5.0f, 6.0f, 6.0f})) << "opset " << opset;
    }
}

TEST(Importer, DropsDropoutIdentityFoldsBatchNormFusesRelu) {
    OnnxBuilder b(12);
    b.input("x", {1, 2, 3, 3}).output("y");
    std::vector<float> w(2 * 2 * 1 * 1);
    for (size_t k = 0; k < w.size(); ++k) w[k] = 0.5f - 0.3f * static_cast<float>(k);
    b.floats("w", {2, 2, 1, 1}, w).floats("bias", {2}, {0.1f, -0.2f});
    b.floats("scale", {2}, {1.5f, 0.5f}).floats("beta", {2}, {0.2f, -0.1f});
    b.floats("mean", {2}, {0.05f, -0.3f}).floats("var", {2}, {0.8f, 1.7f});
    b.node("Conv", {"x", "w", "bias"}, {"c"});
    b.node("BatchNormalization", {"c", "scale", "beta", "mean", "var"}, {"bn"});
    b.node("Dropout", {"bn"}, {"d"});
    b.node("Identity", {"d"}, {"i"});
    b.node("Relu", {"i"}, {"y"});
    Model m = load(b);
    ASSERT_EQ(m.nodeCount(), 1u);
    EXPECT_EQ(m.graph().nodes[0].displayOp(), "Conv+Relu");
    Tensor in({1, 2, 3, 3});
    for (size_t k = 0; k < in.data.size(); ++k) in.data[k] = std::sin(static_cast<float>(k));
    const Tensor out = Session::create(m)->run(in);
    const float scale[2] = {1.5f, 0.5f}, beta[2] = {0.2f, -0.1f}, mean[2] = {0.05f, -0.3f}, var[2] = {0.8f, 1.7f}, bias[2] = {0.1f, -0.2f};
    for (int o = 0; o < 2; ++o)
        for (int p = 0; p < 9; ++p) {
            float c = bias[o];
            for (int i = 0; i < 2; ++i) c += w[o * 2 + i] * in.data[i * 9 + p];
            float y = scale[o] * (c - mean[o]) / std::sqrt(var[o] + 1e-5f) + beta[o];
            EXPECT_NEAR(out.data[o * 9 + p], std::max(0.0f, y), 1e-5f);
        }
}

TEST(Importer, NamesMissingInputsAndOpset) {
    OnnxBuilder b(3);
    b.input("x", {1, 4}).output("y");
    b.node("Relu", {"x"}, {"y"});
    const auto bytes = b.bytes();
    try {
        Model::fromBytes(bytes.data(), bytes.size(), "old.onnx");
        FAIL() << "opset 3 accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("opset 3"), std::string::npos) << e.what();
    }
}

TEST(Importer, IntegerOperandOfAFloatOpIsAnErrorNamingTheNode) {
    // Found by fuzzing: Mul with an integer initializer reached the kernel with no float data.
    OnnxBuilder b(13);
    b.input("x", {1, 3}).output("y");
    b.ints("s", {1}, {3});
    b.node("Mul", {"x", "s"}, {"y"}, "Mul_1");
    const auto bytes = b.bytes();
    try {
        Model::fromBytes(bytes.data(), bytes.size(), "int-mul.onnx");
        FAIL() << "an integer operand of Mul was accepted";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("Mul_1"), std::string::npos) << msg;
        EXPECT_NE(msg.find("integer tensor"), std::string::npos) << msg;
    }
}

TEST(Importer, RefusesTheEnginesOwnAttributeNames) {
    // graph::kNormOneAxis makes a LayerNormalization normalise one axis only: a file that set
    // it would change what the op computes, so the importer refuses the whole "percept." prefix.
    OnnxBuilder b(17);
    b.input("x", {1, 4, 2, 2}).output("y");
    b.floats("s", {4}, {1.0f, 1.0f, 1.0f, 1.0f});
    auto& n = b.node("LayerNormalization", {"x", "s"}, {"y"}, "ln");
    OnnxBuilder::attr(n, "axis", int64_t{1});
    OnnxBuilder::attr(n, graph::kNormOneAxis, int64_t{1});
    const auto bytes = b.bytes();
    try {
        Model::fromBytes(bytes.data(), bytes.size(), "reserved.onnx");
        FAIL() << "a node with the attribute " << graph::kNormOneAxis << " was accepted";
    } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'ln'"), std::string::npos) << msg;
        EXPECT_NE(msg.find(graph::kNormOneAxis), std::string::npos) << msg;
        EXPECT_NE(msg.find("cannot come from a model file"), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace percept::testing
