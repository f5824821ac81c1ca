// SPDX-License-Identifier: Apache-2.0
// int8 accuracy (inference/INT8.md, issue 11): each shared model quantised by percept-quantize
// (the CTest fixture int8_models: per-channel weights, percentile ranges, calibrated on the
// licensed reference photos in resources/calibration, never on the test photos) against its
// fp32 original on every shared photo:
//   - the int8 model keeps the fp32 top-1 on every photo;
//   - the TFLite MobileNets' reference labels (../shared/models/README.md, the original uint8
//     .tflite files run in Arm NN) are reproduced;
//   - every convolution ran an int8 kernel;
// and prints per model the top-5 overlap and the largest probability difference. Inputs and
// outputs are written beside the models for ort_check.js (ONNX Runtime on the same files).
// The same int8 files on the Vulkan backend (its int8 kernels, vulkan/vk_int8_*.cpp) against
// the CPU's int8 run at the portable level, whose output stage rounds as the shaders do (the
// SIMD levels' fused multiply-adds move a few codes by one step): the same top-1 on every photo,
// the same probabilities to 1e-3, every quantised layer on an int8 kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/readme_top1.h"
#include "common/test_data.h"
#include "percept/models/classification.h"
#include "percept/models/model_store.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

std::string int8Dir() { return envOr("PERCEPT_INT8_DIR", PERCEPT_INT8_DIR); }

// .npy, float32, C order: what ort_check.js reads.
void writeNpy(const std::string& path, const Tensor& t) {
    std::string dims;
    for (int64_t d : t.shape) dims += std::to_string(d) + ", ";
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
    std::ofstream f(path, std::ios::binary);
    const uint16_t len = static_cast<uint16_t>(header.size());
    f.write("\x93NUMPY\x01\x00", 8);
    f.write(reinterpret_cast<const char*>(&len), 2);
    f << header;
    f.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * sizeof(float)));
}

class Int8Accuracy : public ::testing::TestWithParam<std::string> {};

TEST_P(Int8Accuracy, KeepsTheFloatTop1OnEveryPhoto) {
    const models::Manifest* m = models::findManifest(GetParam());
    ASSERT_NE(m, nullptr);
    const std::string floatPath = modelsDir() + "/" + m->file, int8Path = int8Dir() + "/models/" + m->name + ".int8.onnx";
    PERCEPT_REQUIRE_DATA(floatPath);
    PERCEPT_REQUIRE_DATA(int8Path);
    const std::vector<std::string> images = testImages();
    ASSERT_GE(images.size(), 10u) << "expected the 10 test photographs in " << imagesDir();

    const Model fm = Model::load(floatPath), qm = Model::load(int8Path);
    auto fs = Session::create(fm), qs = Session::create(qm);
    // The int8 file is a quarter of the float one, give or take the float logits' layer.
    EXPECT_LT(std::filesystem::file_size(int8Path), std::filesystem::file_size(floatPath) * 3 / 10);
    const models::Labels labels = models::Labels::load(models::locateLabels(*m));
    const std::string out = int8Dir() + "/data/" + m->name;
    std::filesystem::create_directories(out);

    int kept = 0, overlap = 0;
    double maxDiff = 0;
    for (const std::string& path : images) {
        const std::string base = std::filesystem::path(path).filename().string();
        const Tensor x = models::preprocess(models::loadImage(path), m->input);
        const Tensor fo = fs->run(x), qo = qs->run(x);
        const std::vector<float> fp = models::probabilities(fo.data, fm.outputs()[0].kind), qp = models::probabilities(qo.data, qm.outputs()[0].kind);
        const std::vector<int> ft = models::topK(fp, 5), qt = models::topK(qp, 5);
        EXPECT_EQ(qt[0], ft[0]) << base << ": int8 says " << labels.name(qt[0], m->labelOffset) << " (" << qp[static_cast<size_t>(qt[0])]
                                << "), fp32 " << labels.name(ft[0], m->labelOffset) << " (" << fp[static_cast<size_t>(ft[0])] << ")";
        kept += qt[0] == ft[0];
        overlap += static_cast<int>(std::count_if(qt.begin(), qt.end(), [&](int c) { return std::find(ft.begin(), ft.end(), c) != ft.end(); }));
        for (size_t k = 0; k < fp.size(); ++k) maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(fp[k] - qp[k])));
        // The README's labels: for the MobileNets, the original uint8 TFLite models' top-1 too.
        EXPECT_EQ(labels.name(qt[0], m->labelOffset), kReadmeTop1.at(m->name).at(base)) << base << " (the README's label)";
        const std::string stem = out + "/" + std::filesystem::path(path).stem().string();
        writeNpy(stem + ".input.npy", x);
        writeNpy(stem + ".float.npy", fo);
        writeNpy(stem + ".int8.npy", qo);
    }
    std::printf("[ int8     ] %-24s top-1 kept %d/%zu, top-5 overlap %.1f/5, max |probability difference| %.3f\n", m->name.c_str(), kept,
                images.size(), static_cast<double>(overlap) / static_cast<double>(images.size()), maxDiff);

    // Every convolution ran an int8 kernel (the QDQ fusion took the whole network).
    int convs = 0;
    for (const LayerStats& l : qs->stats().layers)
        if (l.op.rfind("Conv", 0) == 0) {
            ++convs;
            EXPECT_NE(l.algo.find("int8"), std::string::npos) << l.name << " ran " << l.algo;
        }
    EXPECT_GT(convs, 0);
}

TEST_P(Int8Accuracy, VulkanAgreesWithTheCpu) {
    std::string why;
    if (!backendAvailable(Backend::Vulkan, &why)) {
        if (underCi()) FAIL() << "no Vulkan device under CI: " << why;
        GTEST_SKIP() << why;
    }
    const models::Manifest* m = models::findManifest(GetParam());
    ASSERT_NE(m, nullptr);
    const std::string int8Path = int8Dir() + "/models/" + m->name + ".int8.onnx";
    PERCEPT_REQUIRE_DATA(int8Path);
    const Model qm = Model::load(int8Path);
    EXPECT_TRUE(qm.unsupportedOps(Backend::Vulkan).empty());
    SessionOptions co, vo;
    co.tuning.cpuIsa = Tuning::CpuIsa::Generic;
    vo.backend = Backend::Vulkan;
    auto cs = Session::create(qm, co), vs = Session::create(qm, vo);
    int kept = 0, overlap = 0;
    double maxDiff = 0;
    const std::vector<std::string> images = testImages();
    for (const std::string& path : images) {
        const std::string base = std::filesystem::path(path).filename().string();
        const Tensor x = models::preprocess(models::loadImage(path), m->input);
        const std::vector<float> cp = models::probabilities(cs->run(x).data, qm.outputs()[0].kind);
        const std::vector<float> vp = models::probabilities(vs->run(x).data, qm.outputs()[0].kind);
        const std::vector<int> ct = models::topK(cp, 5), vt = models::topK(vp, 5);
        EXPECT_EQ(vt[0], ct[0]) << base;
        kept += vt[0] == ct[0];
        overlap += static_cast<int>(std::count_if(vt.begin(), vt.end(), [&](int c) { return std::find(ct.begin(), ct.end(), c) != ct.end(); }));
        for (size_t k = 0; k < cp.size(); ++k) maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(cp[k] - vp[k])));
    }
    std::printf("[ int8 vk  ] %-24s Vulkan vs CPU: top-1 kept %d/%zu, top-5 overlap %.1f/5, max |probability difference| %.1e\n", m->name.c_str(),
                kept, images.size(), static_cast<double>(overlap) / static_cast<double>(images.size()), maxDiff);
    EXPECT_LT(maxDiff, 1e-3);
    int quantised = 0;
    for (const LayerStats& l : vs->stats().layers)
        if (l.algo.rfind("int8", 0) == 0) ++quantised;
        else if (l.op.rfind("Conv", 0) == 0) ADD_FAILURE() << l.name << " ran " << l.algo;
    EXPECT_GT(quantised, 0);
}

INSTANTIATE_TEST_SUITE_P(Shared, Int8Accuracy,
                         ::testing::Values("squeezenet1.1", "mobilenet_v2_1.0_224", "mobilenet_v1_0.5_160", "mobilenet_v1_0.25_128"),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                             std::string s = i.param;
                             for (char& c : s)
                                 if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                             return s;
                         });

}  // namespace
}  // namespace percept::testing
