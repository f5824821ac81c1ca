// SPDX-License-Identifier: Apache-2.0
#pragma once
// A personalised model is a standard ONNX file: ONNX Runtime (onnxruntime-node, through
// tests/zoo/ort_reference.js --run, installed by the fixture percept_teach_ort) must give the
// same outputs on it as Percept, on a held-back frame of each class and two unseen photos.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "npy.h"
#include "teach_fixture.h"

namespace percept::teachtest {

inline void checkAgainstOnnxRuntime(const Taught& t, const std::string& name) {
    const std::string ortDir = testing::envOr("PERCEPT_TEACH_ORT_DIR", PERCEPT_TEACH_ORT_DIR);
    if (!std::filesystem::exists(ortDir + "/node_modules/onnxruntime-node") || std::system("node --version > /dev/null 2>&1") != 0) {
        if (testing::underCi()) FAIL() << "ONNX Runtime (node + onnxruntime-node in " << ortDir << ") is missing under CI";
        GTEST_SKIP() << "ONNX Runtime is not installed (ctest runs tests/zoo/install_ort.sh first)";
    }
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("percept_teach_ort_" + name);
    std::filesystem::create_directories(dir);
    const std::string model = (dir / "personal.onnx").string(), in = (dir / "input.npy").string(), out = (dir / "ort.npy").string();
    std::ofstream(model, std::ios::binary).write(t.onnx.data(), static_cast<std::streamsize>(t.onnx.size()));
    // Inputs: a held-back frame of each class and two unseen photos, stacked on axis 0.
    std::vector<Tensor> inputs;
    for (size_t k = 0; k < t.heldBackInputs.size(); k += t.heldBackInputs.size() / 3) inputs.push_back(t.heldBackInputs[k]);
    for (size_t k = 0; k < 2; ++k) inputs.push_back(models::preprocess(models::loadImage(unseenPhotos().at(k)), t.conventions.input));
    Shape stacked = inputs[0].shape;
    stacked[0] = static_cast<int64_t>(inputs.size());
    std::vector<float> all;
    for (const Tensor& x : inputs) all.insert(all.end(), x.data.begin(), x.data.end());
    tools::writeNpy(in, stacked, all);
    const std::string cmd = "node '" + std::string(PERCEPT_ORT_SCRIPT) + "' --run --model '" + model + "' --input '" + in + "' --output '" + out +
                            "' --modules '" + ortDir + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const tools::NpyArray ort = tools::readNpy(out);

    const Model personal = Model::fromBytes(t.onnx.data(), t.onnx.size(), name);
    auto session = Session::create(personal, SessionOptions{});
    const int64_t n = personal.outputs()[0].shape.back();
    ASSERT_EQ(ort.data.size(), static_cast<size_t>(n) * inputs.size());
    for (size_t r = 0; r < inputs.size(); ++r) {
        SCOPED_TRACE("input " + std::to_string(r));
        const std::vector<float> mine = session->run(inputs[r]).data;
        const float* theirs = ort.data.data() + r * static_cast<size_t>(n);
        double maxRef = 1e-30, maxDiff = 0.0;
        for (int64_t k = 0; k < n; ++k) {
            maxRef = std::max(maxRef, static_cast<double>(std::fabs(theirs[k])));
            maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(theirs[k] - mine[static_cast<size_t>(k)])));
        }
        EXPECT_LE(maxDiff, 1e-4 * maxRef) << "Percept and ONNX Runtime differ";
        EXPECT_EQ(std::max_element(mine.begin(), mine.end()) - mine.begin(), std::max_element(theirs, theirs + n) - theirs);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace percept::teachtest
