// SPDX-License-Identifier: Apache-2.0
#pragma once
// Reads a little-endian float32 .npy file (format 1.0/2.0, C order) into shape + data: the
// reference inputs/outputs of the tests and of percept-bench --reference; and writes one.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace percept::tools {

struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<float> data;
};

inline NpyArray readNpy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    char magic[8];
    f.read(magic, 8);
    if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error(path + ": not a .npy file");
    uint32_t headerLen = 0;
    if (magic[6] == 1) {
        uint16_t h;
        f.read(reinterpret_cast<char*>(&h), 2);
        headerLen = h;
    } else {
        f.read(reinterpret_cast<char*>(&headerLen), 4);
    }
    std::string header(headerLen, '\0');
    f.read(header.data(), headerLen);
    if (header.find("'descr': '<f4'") == std::string::npos) throw std::runtime_error(path + ": not float32");
    if (header.find("'fortran_order': True") != std::string::npos) throw std::runtime_error(path + ": Fortran order");
    NpyArray a;
    const auto open = header.find('(', header.find("'shape'")), close = header.find(')', open);
    std::string dims = header.substr(open + 1, close - open - 1);
    size_t pos = 0;
    int64_t count = 1;
    while (pos < dims.size()) {
        size_t end = dims.find(',', pos);
        if (end == std::string::npos) end = dims.size();
        std::string d = dims.substr(pos, end - pos);
        if (d.find_first_not_of(' ') != std::string::npos) {
            a.shape.push_back(std::stoll(d));
            count *= a.shape.back();
        }
        pos = end + 1;
    }
    a.data.resize(static_cast<size_t>(count));
    f.read(reinterpret_cast<char*>(a.data.data()), count * 4);
    if (!f) throw std::runtime_error(path + ": truncated");
    return a;
}

inline void writeNpy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& data) {
    std::string dims;
    for (int64_t d : shape) dims += std::to_string(d) + ", ";
    if (shape.size() > 1) dims.resize(dims.size() - 1);  // (n,) for one axis, (a, b) otherwise
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + (shape.size() > 1 ? dims.substr(0, dims.size() - 1) : dims) + "), }";
    header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    const uint16_t len = static_cast<uint16_t>(header.size());
    f.write("\x93NUMPY\x01\x00", 8);
    f.write(reinterpret_cast<const char*>(&len), 2);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * 4));
    if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace percept::tools
