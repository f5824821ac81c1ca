// SPDX-License-Identifier: Apache-2.0
#include "percept/models/model_store.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "percept/error.h"

extern char** environ;

namespace fs = std::filesystem;

namespace percept::models {
namespace {

std::string cacheDir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/percept/models";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/percept/models";
    return {};
}

std::string executableDir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.parent_path().string();
}

// Runs curl to fetch url into path; returns curl's exit status (or -1 when it cannot run).
int runCurl(const std::string& url, const std::string& path) {
    std::vector<std::string> args = {"curl", "-fsSL", "--retry", "2", "--max-time", "300", "-o", path, url};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid;
    if (posix_spawnp(&pid, "curl", nullptr, nullptr, argv.data(), environ) != 0) return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::vector<std::string> modelSearchDirectories() {
    std::vector<std::string> dirs;
    if (const char* env = std::getenv("PERCEPT_MODELS_DIR"); env && *env) dirs.emplace_back(env);
#ifdef PERCEPT_CONFIGURED_MODELS_DIR
    if (std::string(PERCEPT_CONFIGURED_MODELS_DIR).size()) dirs.emplace_back(PERCEPT_CONFIGURED_MODELS_DIR);
#endif
    if (auto exe = executableDir(); !exe.empty()) dirs.push_back(fs::path(exe).parent_path().string() + "/share/percept/models");
    if (auto c = cacheDir(); !c.empty()) dirs.push_back(c);
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

std::string locateModel(const Manifest& m, bool allowDownload) {
    if (auto p = findDataFile(m.file); !p.empty()) return p;
    if (m.download)
        if (auto p = findDataFile(m.download->file); !p.empty()) return p;
    std::string looked;
    for (const auto& d : modelSearchDirectories()) looked += "\n  " + d;
    if (!allowDownload || !m.download)
        throw Error("model '" + m.name + "': file " + m.file + " not found; looked in:" + looked +
                    "\nset PERCEPT_MODELS_DIR to the directory that holds it");
    const std::string dir = cacheDir();
    if (dir.empty()) throw Error("model '" + m.name + "': not found and no cache directory to download into");
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string target = dir + "/" + m.download->file, part = target + ".part";
    const int rc = runCurl(m.download->url, part);
    if (rc != 0) {
        fs::remove(part, ec);
        throw Error("model '" + m.name + "': not found locally (looked in:" + looked + ")\nand the download from " +
                    m.download->url + " failed (" + (rc < 0 ? std::string("curl could not run") : "curl exit " + std::to_string(rc)) + ")");
    }
    if (!m.download->sha256.empty()) {
        const std::string got = sha256File(part);
        if (got != m.download->sha256) {
            fs::remove(part, ec);
            throw Error("model '" + m.name + "': the downloaded file's sha256 " + got + " does not match the manifest's " + m.download->sha256);
        }
    }
    fs::rename(part, target, ec);
    if (ec) throw Error("model '" + m.name + "': cannot store the download at " + target + ": " + ec.message());
    return target;
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
    if (const Manifest* m = findManifestForFile(nameOrPath)) {
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
