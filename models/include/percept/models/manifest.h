// SPDX-License-Identifier: Apache-2.0
#pragma once
// Model manifests: what a model file is (name, file, checksum, where to download it), how its
// input is prepared and how its outputs are named. The manifests in models/manifests/*.json
// are compiled into the program.
#include <optional>
#include <string>
#include <vector>

namespace percept::models {

enum class Normalization {
    MeanStd,      // (pixel - mean[c]) / std[c], pixel in 0..255
    MinusOneOne,  // (pixel - 127.5) / 127.5
};

struct InputSpec {
    int size = 224;           // centre crop S x S
    int resizeShorter = 256;  // shorter side resized to this before the crop
    Normalization normalization = Normalization::MeanStd;
    float mean[3] = {123.675f, 116.28f, 103.53f};
    float std[3] = {58.395f, 57.12f, 57.375f};
    bool rgb = true;  // channel order the model expects
};

struct DownloadSource {
    std::string url, file, sha256;
    std::vector<std::string> mirrors;  // the same bytes elsewhere, tried after url
    long long bytes = 0;
};

struct Manifest {
    std::string name, displayName, file, sha256, labels, licence;
    long long bytes = 0;
    InputSpec input;
    // Output index i is class (i - labelOffset) of the labels file; indices below the offset
    // are "background" (the 1001-class TensorFlow models).
    int labelOffset = 0;
    std::optional<DownloadSource> download;
    // Whether the test data (../shared/models) holds the file: the tests that run every
    // shared model skip a manifest without it ("test_data": false; a download-only model).
    bool inTestData = true;
};

// Parses one manifest (JSON text); throws percept::Error naming `source` on bad content.
Manifest parseManifest(const std::string& json, const std::string& source);
// The manifests compiled into the program, in a stable order (the MobileNetV2s first).
const std::vector<Manifest>& builtinManifests();
// The default model, MobileNetV2: the TensorFlow one (mobilenet_v2_1.0_224, measured on the
// shared photos) where this machine has its file, otherwise the ONNX Model Zoo's
// (mobilenetv2-7), which has a public download, so a first run anywhere gets a model
// (model_store.cpp: it looks for the files).
const Manifest& defaultManifest();
// The same choice, given which manifests' files are on the machine.
const Manifest& chooseDefaultManifest(bool (*onThisMachine)(const Manifest&));
// By name; nullptr when there is none.
const Manifest* findManifest(const std::string& name);
// The manifest whose file (or download file) has this file name; nullptr when none.
const Manifest* findManifestForFile(const std::string& path);

}  // namespace percept::models
