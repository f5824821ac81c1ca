// SPDX-License-Identifier: Apache-2.0
#pragma once
// What percept-bench runs: a model file, the input to run it on (random when none is given),
// and reference outputs to check its answer against. A zoo directory (tests/zoo/export_zoo.py)
// gives, for each <id>.onnx, the input <id>.input.npy and the references <id>.torch.npy
// (PyTorch) and <id>.ort.npy (ONNX Runtime).
#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npy.h"
#include "percept/error.h"
#include "percept/tensor.h"

namespace percept::tools {

struct BenchCase {
    std::string name, path;
    std::optional<Tensor> input;                              // none: random, in the model's shape
    std::vector<std::pair<std::string, Tensor>> references;  // (who made it, its output)
};

inline Tensor readNpyTensor(const std::string& path) {
    NpyArray a = readNpy(path);
    return Tensor(std::move(a.shape), std::move(a.data));
}

// Every model of a zoo directory, by name; the references it has (none is an error: a zoo
// entry without a reference cannot say whether the engine is right).
inline std::vector<BenchCase> zooCases(const std::string& dir) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) throw Error("--zoo: " + dir + " is not a directory");
    std::vector<BenchCase> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".onnx") continue;
        BenchCase c;
        c.name = e.path().stem().string();
        c.path = e.path().string();
        const std::string base = (fs::path(dir) / c.name).string();
        if (!fs::exists(base + ".input.npy")) throw Error("--zoo: " + c.name + " has no " + base + ".input.npy");
        c.input = readNpyTensor(base + ".input.npy");
        for (const auto& [suffix, who] : {std::pair{".torch.npy", "pytorch"}, std::pair{".ort.npy", "onnxruntime"}})
            if (fs::exists(base + suffix)) c.references.emplace_back(who, readNpyTensor(base + suffix));
        if (c.references.empty()) throw Error("--zoo: " + c.name + " has no reference output (.torch.npy / .ort.npy)");
        out.push_back(std::move(c));
    }
    if (out.empty()) throw Error("--zoo: no .onnx models in " + dir);
    std::sort(out.begin(), out.end(), [](const BenchCase& a, const BenchCase& b) { return a.name < b.name; });
    return out;
}

}  // namespace percept::tools
