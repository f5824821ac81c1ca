// SPDX-License-Identifier: Apache-2.0
#include "percept/models/manifest.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "percept/error.h"

namespace percept::models {

// Generated at configure time from models/manifests/*.json.
extern const char* const kEmbeddedManifests[];
extern const int kEmbeddedManifestCount;

Manifest parseManifest(const std::string& text, const std::string& source) {
    try {
        const auto j = nlohmann::json::parse(text);
        Manifest m;
        m.name = j.at("name").get<std::string>();
        m.displayName = j.value("display_name", m.name);
        m.file = j.at("file").get<std::string>();
        m.sha256 = j.value("sha256", "");
        m.bytes = j.value("bytes", 0LL);
        m.labels = j.at("labels").get<std::string>();
        m.labelOffset = j.value("label_offset", 0);
        m.licence = j.value("licence", "");
        m.inTestData = j.value("test_data", true);
        const auto& in = j.at("input");
        m.input.size = in.at("size").get<int>();
        m.input.resizeShorter = in.value("resize_shorter", static_cast<int>(m.input.size / 0.875 + 0.5));
        const std::string norm = in.at("normalization").get<std::string>();
        if (norm == "mean_std") {
            m.input.normalization = Normalization::MeanStd;
            auto mean = in.at("mean").get<std::vector<float>>();
            auto sd = in.at("std").get<std::vector<float>>();
            if (mean.size() != 3 || sd.size() != 3) throw Error("mean and std need 3 values");
            for (int c = 0; c < 3; ++c) {
                if (sd[c] == 0.0f) throw Error("std must not be zero");
                m.input.mean[c] = mean[c];
                m.input.std[c] = sd[c];
            }
        } else if (norm == "minus_one_one") {
            m.input.normalization = Normalization::MinusOneOne;
        } else {
            throw Error("unknown normalization '" + norm + "' (mean_std or minus_one_one)");
        }
        m.input.rgb = in.value("channels", "RGB") == "RGB";
        if (m.input.size <= 0 || m.input.resizeShorter < m.input.size) throw Error("input size / resize_shorter are inconsistent");
        if (j.contains("download")) {
            const auto& d = j.at("download");
            DownloadSource s;
            s.url = d.at("url").get<std::string>();
            s.file = d.value("file", m.file);
            s.sha256 = d.value("sha256", "");
            s.bytes = d.value("bytes", 0LL);
            s.mirrors = d.value("mirrors", std::vector<std::string>{});
            m.download = s;
        }
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": bad model manifest: " + e.what());
    } catch (const Error& e) {
        throw Error(source + ": bad model manifest: " + e.what());
    }
}

const std::vector<Manifest>& builtinManifests() {
    static const std::vector<Manifest> all = [] {
        std::vector<Manifest> v;
        for (int k = 0; k < kEmbeddedManifestCount; ++k) v.push_back(parseManifest(kEmbeddedManifests[k], "built-in manifest"));
        // The default model's candidates first, in the order chooseDefaultManifest tries them.
        std::stable_partition(v.begin(), v.end(), [](const Manifest& m) { return m.name == "mobilenetv2-7"; });
        std::stable_partition(v.begin(), v.end(), [](const Manifest& m) { return m.name == "mobilenet_v2_1.0_224"; });
        return v;
    }();
    return all;
}

const Manifest& chooseDefaultManifest(bool (*onThisMachine)(const Manifest&)) {
    const char* const candidates[] = {"mobilenet_v2_1.0_224", "mobilenetv2-7"};
    for (const char* name : candidates)
        if (const Manifest* m = findManifest(name); m && onThisMachine(*m)) return *m;
    // None is here yet: the first that can be downloaded.
    for (const char* name : candidates)
        if (const Manifest* m = findManifest(name); m && m->download) return *m;
    return builtinManifests().at(0);
}

const Manifest* findManifest(const std::string& name) {
    for (const auto& m : builtinManifests())
        if (m.name == name) return &m;
    return nullptr;
}

const Manifest* findManifestForFile(const std::string& path) {
    const std::string base = std::filesystem::path(path).filename().string();
    for (const auto& m : builtinManifests())
        if (m.file == base || (m.download && m.download->file == base)) return &m;
    return nullptr;
}

}  // namespace percept::models
