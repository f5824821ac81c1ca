// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where model files are found. Lookup order for a file name:
//   1. $PERCEPT_MODELS_DIR
//   2. the directory configured at build time (-DPERCEPT_MODELS_DIR, default ../shared/models)
//   3. <prefix>/share/percept/models next to the installed executable
//   4. the user's cache, $XDG_CACHE_HOME/percept/models (or ~/.cache/percept/models)
// When none has it and the manifest names a public original, it is downloaded into the cache
// (model_download.h: curl here, Qt Network in the app) and its size and sha256 checked.
#include <string>
#include <vector>

#include "percept/models/manifest.h"

namespace percept::models {

std::vector<std::string> modelSearchDirectories();
// The user's model cache (4. above), where downloads go; empty without XDG_CACHE_HOME and HOME.
std::string modelCacheDirectory();
// The manifest's model file (or its download's file) in the search directories; empty when
// this machine has neither.
std::string findModelFile(const Manifest& m);
// Full path of a file (model or labels) in the search directories; empty when absent.
std::string findDataFile(const std::string& fileName);
// Path of the manifest's model file: found, or downloaded and verified. Throws percept::Error
// saying where it looked when neither works.
std::string locateModel(const Manifest& m, bool allowDownload = true);
std::string locateLabels(const Manifest& m);
// Lower-case hex SHA-256 of a file; throws when unreadable.
std::string sha256File(const std::string& path);
std::string sha256Hex(const void* data, size_t size);

}  // namespace percept::models

namespace percept::models {

// A model the user named: a manifest name ("squeezenet1.1") or a path to an .onnx file. For a
// path, the manifest naming the same file supplies preprocessing and labels; otherwise the
// defaults (224, ImageNet mean/std) apply until the caller overrides them.
struct ModelRef {
    Manifest manifest;
    std::string modelPath;
    std::string labelsPath;  // empty when unknown
    bool hasManifest = false;
};
ModelRef resolveModel(const std::string& nameOrPath);

}  // namespace percept::models
