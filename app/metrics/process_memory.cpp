// SPDX-License-Identifier: Apache-2.0
#include "metrics/process_memory.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace percept::app {

std::optional<size_t> parseStatmResidentBytes(const std::string& statmText, size_t pageSize) {
    std::istringstream in(statmText);
    unsigned long long sizePages = 0, residentPages = 0;
    if (!(in >> sizePages >> residentPages)) return std::nullopt;
    return static_cast<size_t>(residentPages) * pageSize;
}

std::optional<size_t> residentSetBytes(const std::string& statmPath) {
    std::ifstream f(statmPath);
    if (!f) return std::nullopt;
    std::string line;
    std::getline(f, line);
    const long page = sysconf(_SC_PAGESIZE);
    return parseStatmResidentBytes(line, page > 0 ? static_cast<size_t>(page) : 4096);
}

}  // namespace percept::app
