// SPDX-License-Identifier: Apache-2.0
// The throughput mode (SessionOptions::batch, Model::withBatch, Session::runBatch): whole
// networks exported the way PyTorch does (the flatten computed through Shape/Gather/Concat,
// which must follow the new batch) run N different images as one batch on every backend, and
// each image's result equals its result alone; a short list is padded; what cannot be batched
// (a shape fixed at 1 inside the graph, an input without a batch axis of 1) or fed (too many
// images, a wrong shape) is refused with the reason.
#include <gtest/gtest.h>

#include <random>

#include "common/backends.h"
#include "common/error_text.h"
#include "engine/op_test_util.h"
#include "percept/percept.h"
#include "synthetic_models.h"

namespace percept::testing {
namespace {

Tensor randomImage(const Shape& s, uint32_t seed) {
    Tensor t(s);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : t.data) v = dist(rng);
    return t;
}

double maxRelDiff(const Tensor& a, const Tensor& b) {
    double m = 1e-30, d = 0;
    for (size_t k = 0; k < a.data.size(); ++k) {
        m = std::max(m, static_cast<double>(std::fabs(b.data[k])));
        d = std::max(d, static_cast<double>(std::fabs(a.data[k] - b.data[k])));
    }
    return d / m;
}

using Param = std::tuple<tools::SyntheticArch, Backend>;
class BatchedModels : public ::testing::TestWithParam<Param> {};

TEST_P(BatchedModels, EveryImageAsAlone) {
    const auto [arch, backend] = GetParam();
    const std::string bytes = tools::makeSyntheticModel(arch, 64, 11);
    const Model model = Model::fromBytes(bytes.data(), bytes.size(), "synthetic.onnx");
    SessionOptions one, three;
    one.backend = three.backend = backend;
    one.threads = three.threads = 2;
    three.batch = 3;
    auto single = Session::create(model, one);
    auto batched = Session::create(model, three);
    EXPECT_EQ(batched->batch(), 3);
    EXPECT_EQ(single->batch(), 1);
    EXPECT_EQ(model.withBatch(3).inputs()[0].shape, (Shape{3, 3, 64, 64}));
    EXPECT_EQ(model.withBatch(3).outputs()[0].shape, (Shape{3, 1000}));
    std::vector<Tensor> images;
    for (uint32_t k = 0; k < 3; ++k) images.push_back(randomImage(model.inputs()[0].shape, 40 + k));
    for (size_t count : {size_t{3}, size_t{2}}) {  // a full batch, then a short one (padded)
        SCOPED_TRACE(std::to_string(count) + " images");
        const std::vector<Tensor> got = batched->runBatch(std::vector<Tensor>(images.begin(), images.begin() + static_cast<long>(count)));
        ASSERT_EQ(got.size(), count);
        for (size_t k = 0; k < count; ++k) {
            const Tensor alone = single->run(images[k]);
            EXPECT_EQ(got[k].shape, alone.shape);
            EXPECT_LE(maxRelDiff(got[k], alone), 1e-5) << "image " << k;
        }
    }
    // The images differ, so their results do: a batch that repeated one image would show.
    EXPECT_GT(maxRelDiff(batched->runBatch(images)[0], batched->runBatch(images)[1]), 1e-3);
    // A session of batch 1 takes runBatch too.
    EXPECT_LE(maxRelDiff(single->runBatch({images[1]})[0], single->run(images[1])), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Archs, BatchedModels,
                         ::testing::Combine(::testing::Values(tools::SyntheticArch::ResNet18, tools::SyntheticArch::MobileNetV2),
                                            ::testing::ValuesIn(testBackends())),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param) == tools::SyntheticArch::ResNet18 ? "resnet18" : "mobilenetv2") +
                                    "_" + backendName(std::get<1>(info.param));
                         });

TEST(Batch, WhatCannotBeBatchedIsRefusedWithTheReason) {
    // A Reshape to a constant [1, 12]: the exporter fixed the batch inside the graph.
    optest::OpGraph g;
    const int x = g.input("x", {1, 3, 4});
    g.node("Reshape", {x, g.constantInts("shape", {1, 12})}, {g.output("y")});
    const Model fixed = detail::modelFromGraph(g.g, "fixed.onnx");
    const std::string why = errorOf([&] { fixed.withBatch(2); });
    EXPECT_NE(why.find("fixed.onnx: cannot run a batch of 2"), std::string::npos) << why;
    SessionOptions o;
    o.batch = 2;
    EXPECT_NE(errorOf([&] { Session::create(fixed, o); }).find("cannot run a batch of 2"), std::string::npos);
    EXPECT_NE(errorOf([&] { fixed.withBatch(0); }).find("at least 1"), std::string::npos);

    // An input whose first axis is not 1.
    optest::OpGraph h;
    h.node("Relu", {h.input("x", {5, 2})}, {h.output("y")});
    EXPECT_NE(errorOf([&] { detail::modelFromGraph(h.g, "wide.onnx").withBatch(2); }).find("not a first axis of 1"), std::string::npos);

    // Feeding a batched session: too many images, or the wrong shape.
    optest::OpGraph r;
    r.node("Relu", {r.input("x", {1, 2, 3})}, {r.output("y")});
    const Model relu = detail::modelFromGraph(r.g, "relu.onnx");
    auto s = Session::create(relu, o);
    EXPECT_EQ(s->run(Tensor({2, 2, 3})).shape, (Shape{2, 2, 3}));
    EXPECT_NE(errorOf([&] { s->runBatch({Tensor({1, 2, 3}), Tensor({1, 2, 3}), Tensor({1, 2, 3})}); }).find("3 images for a session of batch 2"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { s->runBatch({Tensor({1, 3, 2})}); }).find("image 0 has shape"), std::string::npos);
    EXPECT_EQ(s->runBatch({Tensor({2, 3})}).at(0).shape, (Shape{1, 2, 3}));  // the batch axis may be left out
}

}  // namespace
}  // namespace percept::testing
