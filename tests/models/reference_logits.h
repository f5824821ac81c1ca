// SPDX-License-Identifier: Apache-2.0
#pragma once
// Logits of every shared model on every shared photo, and where they are kept, for checking one
// architecture's build against another's (the arm64 build, run under qemu in CI, against the
// x86-64 build's outputs): percept_reference_logits --write DIR on x86-64, then
// PERCEPT_ARCH_REFERENCE_DIR=DIR percept_model_tests --gtest_filter='ArchReference*' on arm64.
// The files are raw little-endian float32 (both architectures are little-endian), one per pair:
// DIR/<model>.<photo>.f32.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/test_data.h"
#include "common/test_manifests.h"
#include "percept/models/manifest.h"
#include "percept/models/preprocess.h"
#include "percept/percept.h"

namespace percept::testing {

struct LogitsCase {
    const models::Manifest* model;
    std::string photo;  // full path
    std::string file(const std::string& dir) const {
        return dir + "/" + model->name + "." + std::filesystem::path(photo).filename().string() + ".f32";
    }
};

// Every (shared model whose file is here, shared photo) pair.
inline std::vector<LogitsCase> logitsCases() {
    std::vector<LogitsCase> v;
    for (const auto* m : testDataManifests()) {
        if (!std::filesystem::exists(modelsDir() + "/" + m->file)) continue;
        for (const auto& p : testImages()) v.push_back({m, p});
    }
    return v;
}

// One session per model (the session options come from the caller: threads, ISA cap).
class LogitsRunner {
public:
    explicit LogitsRunner(SessionOptions so) : so_(std::move(so)) {}
    std::vector<float> run(const LogitsCase& c) {
        if (c.model != current_) {
            model_ = std::make_unique<Model>(Model::load(modelsDir() + "/" + c.model->file));
            session_ = Session::create(*model_, so_);
            current_ = c.model;
        }
        return session_->run(models::preprocess(models::loadImage(c.photo), c.model->input)).data;
    }

private:
    SessionOptions so_;
    const models::Manifest* current_ = nullptr;
    std::unique_ptr<Model> model_;
    std::unique_ptr<Session> session_;
};

inline void writeLogits(const std::string& path, const std::vector<float>& v) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    if (!f) throw Error("cannot write " + path);
}

inline std::vector<float> readLogits(const std::string& path) {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw Error("cannot read " + path);
    std::vector<float> v(static_cast<size_t>(f.tellg()) / sizeof(float));
    f.seekg(0);
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    return v;
}

}  // namespace percept::testing
