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

// "intel-rapl:0" -> 0 (top level); "intel-rapl:0:1" -> 1 (a sub-zone); anything else -> -1.
int zoneDepth(const std::string& dirName) {
    const std::string prefix = "intel-rapl:";
    if (dirName.rfind(prefix, 0) != 0) return -1;
    const std::string rest = dirName.substr(prefix.size());
    int colons = 0;
    bool digit = false;  // every colon-separated part is a number
    for (char c : rest) {
        if (c == ':') {
            if (!digit) return -1;
            ++colons;
            digit = false;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            return -1;
        }
    }
    return digit && colons <= 1 ? colons : -1;
}

}  // namespace

std::unique_ptr<RaplReader> RaplReader::open(const std::string& root, std::string* why, RaplDomain domain) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        if (why) *why = "no " + root + " (no powercap/RAPL on this machine)";
        return nullptr;
    }
    struct Candidate { std::string dir, name; };
    std::vector<Candidate> packages, psys, cores;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        const std::string dn = e.path().filename().string();
        const int depth = zoneDepth(dn);
        if (depth < 0) continue;
        auto name = readLine(e.path() / "name");
        if (!name) continue;
        if (depth == 1) {
            // "core-0" style names on some kernels; one core zone per package either way.
            if (name->rfind("core", 0) == 0) cores.push_back({e.path().string(), dn.substr(11)});
        } else if (name->rfind("package", 0) == 0) {
            packages.push_back({e.path().string(), *name});
        } else if (*name == "psys") {
            psys.push_back({e.path().string(), *name});
        }
    }
    auto& chosen = domain == RaplDomain::Core ? cores : packages.empty() ? psys : packages;
    if (chosen.empty()) {
        if (why) *why = domain == RaplDomain::Core ? "no RAPL core zone under " + root : "no RAPL package zone under " + root;
        return nullptr;
    }
    if (domain == RaplDomain::Core)
        for (auto& c : chosen) c.name = "core-" + c.name.substr(0, c.name.find(':'));  // "0:0" -> "core-0" (its package)
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
