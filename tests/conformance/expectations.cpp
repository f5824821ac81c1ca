// SPDX-License-Identifier: Apache-2.0
#include "expectations.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace percept::conformance {
namespace {

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

}  // namespace

const char* statusName(Status s) {
    switch (s) {
        case Status::Pass: return "PASS";
        case Status::Fail: return "FAIL";
        case Status::Refused: return "REFUSED";
        case Status::Crash: return "CRASH";
    }
    return "?";
}

std::optional<Status> parseStatus(const std::string& s) {
    for (Status st : {Status::Pass, Status::Fail, Status::Refused, Status::Crash})
        if (s == statusName(st)) return st;
    return std::nullopt;
}

Expectations readExpectations(const std::filesystem::path& path) {
    Expectations out;
    std::ifstream f(path);
    std::string line;
    int lineNo = 0;
    while (std::getline(f, line)) {
        ++lineNo;
        if (trim(line).empty() || trim(line)[0] == '#') continue;
        auto bad = [&](const std::string& why) {
            throw std::runtime_error(path.string() + ":" + std::to_string(lineNo) + ": " + why);
        };
        const size_t bar = line.find(" | ");
        std::istringstream head(line.substr(0, bar));
        std::string id, mode, st[kBackendCount], extra;
        if (!(head >> id >> mode >> st[0] >> st[1]) || (head >> extra)) bad("expected '<test> <mode> <cpu> <vulkan>[ | reason]'");
        if (mode != "inputs" && mode != "const") bad("unknown mode '" + mode + "'");
        Expected e;
        for (int b = 0; b < kBackendCount; ++b) {
            if (st[b] == "-") continue;
            e.status[b] = parseStatus(st[b]);
            if (!e.status[b]) bad("unknown status '" + st[b] + "'");
        }
        if (bar != std::string::npos) {
            const std::string rest = line.substr(bar + 3);
            const size_t split = rest.find(" | vulkan: ");
            if (rest.rfind("cpu: ", 0) == 0 && split != std::string::npos) {
                e.reason[0] = rest.substr(5, split - 5);
                e.reason[1] = rest.substr(split + 11);
            } else {
                for (int b = 0; b < kBackendCount; ++b)
                    if (e.status[b] && *e.status[b] != Status::Pass) e.reason[b] = rest;
            }
        }
        if (!out.emplace(std::make_pair(id, mode), e).second) bad("a second line for " + id + " " + mode);
    }
    return out;
}

void writeExpectations(const std::filesystem::path& path, const Expectations& all) {
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write " + path.string());
    f << "# ONNX backend conformance (tests/conformance/README.md): the outcome of every test in each mode on\n"
         "# the CPU and Vulkan backends. Written by `percept_conformance --update`; the conformance CTest fails\n"
         "# on any difference. FAIL and CRASH are bugs and never expected.\n"
         "# <folder>/<test> <mode> <cpu> <vulkan> [| reason, or | cpu: reason | vulkan: reason]\n";
    for (const auto& [key, e] : all) {
        std::ostringstream line;
        line << pad(key.first, 66) << ' ' << pad(key.second, 6);
        for (int b = 0; b < kBackendCount; ++b) line << ' ' << pad(e.status[b] ? statusName(*e.status[b]) : "-", 7);
        const std::string& r0 = e.reason[0];
        const std::string& r1 = e.reason[1];
        if (!r0.empty() && !r1.empty() && r0 != r1) line << " | cpu: " << r0 << " | vulkan: " << r1;
        else if (!r0.empty() || !r1.empty()) line << " | " << (r0.empty() ? r1 : r0);
        f << trim(line.str()) << "\n";
    }
}

}  // namespace percept::conformance
