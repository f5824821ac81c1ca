// SPDX-License-Identifier: Apache-2.0
// Random-weight ResNet-18 and MobileNetV2, exported the way PyTorch does (BatchNorm after every
// Conv, residual Add + Relu, the Shape/Gather/Unsqueeze/Concat/Reshape flatten), against OpenCV
// DNN with the engine's fp32 contract. These exercise BN folding, activation fusion and
// constant folding on whole real architectures.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/dnn.hpp>
#include <random>

#include "common/backends.h"
#include "percept/percept.h"
#include "graph/ir.h"
#include "synthetic_models.h"

namespace percept::testing {
namespace {

using Param = std::tuple<tools::SyntheticArch, Backend>;

class SyntheticVsOpenCv : public ::testing::TestWithParam<Param> {};

TEST_P(SyntheticVsOpenCv, LogitsMatch) {
    const auto [arch, backend] = GetParam();
    const std::string bytes = tools::makeSyntheticModel(arch, 224, 7);
    Model model = Model::fromBytes(bytes.data(), bytes.size(), "synthetic.onnx");
    // Every BatchNormalization folded, every Relu/Clip fused: only Conv, MaxPool, Add, pooling,
    // Reshape and Gemm remain.
    for (const auto& n : model.graph().nodes) {
        EXPECT_NE(n.op, graph::OpKind::BatchNormalization);
        EXPECT_NE(n.op, graph::OpKind::Relu);
        EXPECT_NE(n.op, graph::OpKind::Clip);
        EXPECT_NE(n.op, graph::OpKind::Shape);
    }
    Tensor input({1, 3, 224, 224});
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : input.data) v = dist(rng);
    SessionOptions so;
    so.backend = backend;
    so.threads = 2;
    const Tensor ours = Session::create(model, so)->run(input);

    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    std::vector<int> dims = {1, 3, 224, 224};
    net.setInput(cv::Mat(4, dims.data(), CV_32F, input.data.data()));
    cv::Mat ref = net.forward().reshape(1, 1);
    ASSERT_EQ(ref.total(), ours.data.size());
    float maxRef = 0, maxDiff = 0;
    int topOurs = 0, topRef = 0;
    for (size_t k = 0; k < ours.data.size(); ++k) {
        const float r = ref.at<float>(static_cast<int>(k));
        maxRef = std::max(maxRef, std::abs(r));
        maxDiff = std::max(maxDiff, std::abs(r - ours.data[k]));
        if (ours.data[k] > ours.data[topOurs]) topOurs = static_cast<int>(k);
        if (r > ref.at<float>(topRef)) topRef = static_cast<int>(k);
    }
    EXPECT_LE(maxDiff, 1e-3f * maxRef) << "max |diff| " << maxDiff << " vs max |logit| " << maxRef;
    EXPECT_EQ(topOurs, topRef);
}

INSTANTIATE_TEST_SUITE_P(Archs, SyntheticVsOpenCv,
                         ::testing::Combine(::testing::Values(tools::SyntheticArch::ResNet18, tools::SyntheticArch::MobileNetV2),
                                            ::testing::ValuesIn(testBackends())),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param) == tools::SyntheticArch::ResNet18 ? "resnet18" : "mobilenetv2") +
                                    "_" + backendName(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace percept::testing
