// SPDX-License-Identifier: Apache-2.0
#include "percept/models/variants.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "percept/models/model_store.h"

namespace percept::models {
namespace fs = std::filesystem;

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Whether `file` (a file name) is a variant of the model file named `base` (NAME.onnx).
bool isVariantOf(const std::string& file, const std::string& base) {
    if (!endsWith(base, ".onnx") || file == base) return false;
    const std::string name = base.substr(0, base.size() - 5);
    if (file == name + ".int8.onnx" || file == name + ".pcz") return true;
    // NAME.<tag>.pcz, the tag without dots (so that squeezenet1.pcz's variants are not squeezenet1.1's).
    if (file.rfind(name + ".", 0) != 0 || !endsWith(file, ".pcz")) return false;
    const std::string tag = file.substr(name.size() + 1, file.size() - name.size() - 5);
    return !tag.empty() && tag.find('.') == std::string::npos;
}

}  // namespace

const char* variantKindName(VariantKind k) {
    switch (k) {
        case VariantKind::Fp32: return "fp32";
        case VariantKind::Int8: return "int8";
        case VariantKind::Compressed: return "compressed";
    }
    return "";
}

VariantKind variantKindOf(const std::string& path) {
    const std::string f = fs::path(path).filename().string();
    if (endsWith(f, ".pcz")) return VariantKind::Compressed;
    if (endsWith(f, ".int8.onnx")) return VariantKind::Int8;
    return VariantKind::Fp32;
}

std::vector<ModelVariant> findVariants(const std::string& modelPath) {
    std::vector<ModelVariant> out;
    std::error_code ec;
    const std::string base = fs::path(modelPath).filename().string();
    out.push_back({variantKindOf(modelPath), modelPath, static_cast<uint64_t>(fs::file_size(modelPath, ec))});
    if (ec) out.back().bytes = 0;
    // The model's own directory first, then the search directories (a variant made into the
    // user's cache for a model in a read-only directory).
    std::vector<std::string> dirs = {fs::path(modelPath).parent_path().string()};
    for (const std::string& d : modelSearchDirectories()) dirs.push_back(d);
    std::set<std::string> seenNames = {base};
    for (const std::string& d : dirs) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(d.empty() ? "." : d, ec))
            if (e.is_regular_file(ec) && isVariantOf(e.path().filename().string(), base)) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const fs::path& p : files) {
            if (!seenNames.insert(p.filename().string()).second) continue;  // the same name earlier in the search order wins
            std::error_code sec;
            const auto bytes = fs::file_size(p, sec);
            out.push_back({variantKindOf(p.string()), p.string(), sec ? 0 : static_cast<uint64_t>(bytes)});
        }
    }
    std::stable_sort(out.begin() + 1, out.end(), [](const ModelVariant& a, const ModelVariant& b) { return a.kind < b.kind; });
    return out;
}

const Manifest* manifestForVariant(const std::string& path) {
    const std::string file = fs::path(path).filename().string();
    for (const Manifest& m : builtinManifests())
        if (isVariantOf(file, m.file)) return &m;
    return nullptr;
}

}  // namespace percept::models
