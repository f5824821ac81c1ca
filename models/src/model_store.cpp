// SPDX-License-Identifier: Apache-2.0
#include "percept/models/model_store.h"
#include "percept/models/variants.h"

#include <cstdlib>
#include <filesystem>

#include "percept/error.h"
#include "percept/models/model_download.h"

namespace fs = std::filesystem;

namespace percept::models {
namespace {

std::string executableDir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.parent_path().string();
}

}  // namespace

std::string modelCacheDirectory() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/percept/models";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/percept/models";
    return {};
}

std::vector<std::string> modelSearchDirectories() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("PERCEPT_MODELS_DIR"); env && *env) dirs.emplace_back(env);
#ifdef PERCEPT_CONFIGURED_MODELS_DIR
    if (std::string(PERCEPT_CONFIGURED_MODELS_DIR).size()) dirs.emplace_back(PERCEPT_CONFIGURED_MODELS_DIR);
#endif
    if (auto exe = executableDir(); !exe.empty()) dirs.push_back(fs::path(exe).parent_path().string() + "/share/percept/models");
    if (auto c = modelCacheDirectory(); !c.empty()) dirs.push_back(c);
    return dirs;
}

std::string findDataFile(const std::string& fileName) {
    for (const auto& d : modelSearchDirectories()) {
        std::error_code ec;
        const fs::path p = fs::path(d) / fileName;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    return {};
}

std::string findModelFile(const Manifest& m) {
    if (auto p = findDataFile(m.file); !p.empty()) return p;
    if (m.download)
        if (auto p = findDataFile(m.download->file); !p.empty()) return p;
    return {};
}

const Manifest& defaultManifest() {
    return chooseDefaultManifest([](const Manifest& m) { return !findModelFile(m).empty(); });
}

std::string locateModel(const Manifest& m, bool allowDownload) {
    if (auto p = findModelFile(m); !p.empty()) return p;
    if (allowDownload && m.download) return downloadWithCurl(m);
    std::string looked;
    for (const auto& d : modelSearchDirectories()) looked.append("\n  ").append(d);
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on `"\n" + std::string`.
    std::string msg = "model '" + m.name + "': file " + m.file + " not found; looked in:" + looked + "\n";
    msg += m.download ? manualDownloadSteps(m) : std::string("set PERCEPT_MODELS_DIR to the directory that holds it");
    throw Error(msg);
}

std::string locateLabels(const Manifest& m) {
    auto p = findDataFile(m.labels);
    if (p.empty()) throw Error("model '" + m.name + "': labels file " + m.labels + " not found (set PERCEPT_MODELS_DIR)");
    return p;
}

}  // namespace percept::models

namespace percept::models {

ModelRef resolveModel(const std::string& nameOrPath) {
    ModelRef r;
    if (const Manifest* m = findManifest(nameOrPath)) {
        r.manifest = *m;
        r.hasManifest = true;
        r.modelPath = locateModel(*m);
        r.labelsPath = locateLabels(*m);
        return r;
    }
    std::error_code ec;
    if (!fs::is_regular_file(nameOrPath, ec)) {
        std::string names;
        for (const auto& m : builtinManifests()) names += " " + m.name;
        throw Error("'" + nameOrPath + "' is neither a model file nor a known model name (known:" + names + ")");
    }
    r.modelPath = nameOrPath;
    const Manifest* m = findManifestForFile(nameOrPath);
    if (!m) m = manifestForVariant(nameOrPath);  // NAME.int8.onnx, NAME.pcz: their model's manifest (variants.h)
    if (m) {
        r.manifest = *m;
        r.hasManifest = true;
        r.labelsPath = findDataFile(m->labels);
    } else {
        r.manifest.name = fs::path(nameOrPath).stem().string();
        r.manifest.displayName = r.manifest.name;
        r.manifest.file = fs::path(nameOrPath).filename().string();
    }
    return r;
}

}  // namespace percept::models
