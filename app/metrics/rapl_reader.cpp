// SPDX-License-Identifier: Apache-2.0
#include "metrics/rapl_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace percept::app {
namespace {

std::optional<std::string> readLine(const fs::path& p) {
    std::ifstream f(p);
    if (!f) return std::nullopt;
    std::string s;
    std::getline(f, s);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

std::optional<uint64_t> readU64(const fs::path& p) {
    auto s = readLine(p);
    if (!s || s->empty()) return std::nullopt;
    try {
        size_t used = 0;
        const unsigned long long v = std::stoull(*s, &used);
        if (used != s->size()) return std::nullopt;
        return static_cast<uint64_t>(v);
    } catch (...) {
        return std::nullopt;
    }
}

// "intel-rapl:0" -> top level; "intel-rapl:0:1" -> sub-zone.
bool isTopLevelZone(const std::string& dirName) {
    const std::string prefix = "intel-rapl:";
    if (dirName.rfind(prefix, 0) != 0) return false;
    const std::string rest = dirName.substr(prefix.size());
    return !rest.empty() && rest.find(':') == std::string::npos &&
           std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::unique_ptr<RaplReader> RaplReader::open(const std::string& root, std::string* why) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        if (why) *why = "no " + root + " (no powercap/RAPL on this machine)";
        return nullptr;
    }
    struct Candidate { std::string dir, name; };
    std::vector<Candidate> packages, psys;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        const std::string dn = e.path().filename().string();
        if (!isTopLevelZone(dn)) continue;
        auto name = readLine(e.path() / "name");
        if (!name) continue;
        if (name->rfind("package", 0) == 0) packages.push_back({e.path().string(), *name});
        else if (*name == "psys") psys.push_back({e.path().string(), *name});
    }
    auto& chosen = packages.empty() ? psys : packages;
    if (chosen.empty()) {
        if (why) *why = "no RAPL package zone under " + root;
        return nullptr;
    }
    std::sort(chosen.begin(), chosen.end(), [](const Candidate& a, const Candidate& b) { return a.dir < b.dir; });
    auto r = std::unique_ptr<RaplReader>(new RaplReader());
    for (const auto& c : chosen) {
        Zone z;
        z.energyPath = (fs::path(c.dir) / "energy_uj").string();
        auto first = readU64(z.energyPath);
        if (!first) {
            if (why) *why = z.energyPath + " is not readable (RAPL needs root or a udev rule on recent kernels)";
            return nullptr;
        }
        z.last = *first;
        z.maxRange = readU64(fs::path(c.dir) / "max_energy_range_uj").value_or(0);
        r->zones_.push_back(z);
        r->names_.push_back(c.name);
    }
    return r;
}

std::optional<double> RaplReader::readJoules() {
    uint64_t total = 0;
    for (auto& z : zones_) {
        auto v = readU64(z.energyPath);
        if (!v) return std::nullopt;
        uint64_t delta;
        if (*v >= z.last) delta = *v - z.last;
        else if (z.maxRange > z.last) delta = (z.maxRange - z.last) + *v;  // wrapped once
        else delta = *v;                                                    // range unknown
        z.accumulated += delta;
        z.last = *v;
        total += z.accumulated;
    }
    return static_cast<double>(total) * 1e-6;
}

std::string RaplReader::source() const {
    std::string s = "RAPL ";
    for (size_t i = 0; i < names_.size(); ++i) s += (i ? "+" : "") + names_[i];
    return s;
}

}  // namespace percept::app
