// SPDX-License-Identifier: Apache-2.0
#pragma once
// The photos of a folder, as the tools that calibrate or check on photos read them.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "percept/error.h"

namespace percept::tools {

// The photos (.jpg, .jpeg, .png, .bmp, .webp) in `dir`, sorted by name, at most `max` of them
// (0: all). `option` names the command-line option in the errors: not a folder, no photos.
inline std::vector<std::string> photosIn(const std::string& dir, int max, const std::string& option) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(dir)) throw Error(option + " " + dir + ": not a folder");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp")) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (max > 0 && static_cast<int>(files.size()) > max) files.resize(static_cast<size_t>(max));
    if (files.empty()) throw Error(option + " " + dir + ": no photos (.jpg, .jpeg, .png, .bmp, .webp) in it");
    return files;
}

}  // namespace percept::tools
