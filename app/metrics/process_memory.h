// SPDX-License-Identifier: Apache-2.0
#pragma once
// Resident set size of this process, from /proc/self/statm (second field, in pages).
#include <cstddef>
#include <optional>
#include <string>

namespace percept::app {

// Parses statm text ("size resident shared text lib data dt"); nullopt when malformed.
std::optional<size_t> parseStatmResidentBytes(const std::string& statmText, size_t pageSize);
// RSS in bytes; nullopt where /proc is not available (not Linux).
std::optional<size_t> residentSetBytes(const std::string& statmPath = "/proc/self/statm");

}  // namespace percept::app
