// SPDX-License-Identifier: Apache-2.0
// Runs the fuzz target over files (the kept corpus and crash reproducers) without libFuzzer,
// so every normal build re-checks them as a regression test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    int files = 0;
    for (int k = 1; k < argc; ++k) {
        std::vector<std::filesystem::path> paths;
        if (std::filesystem::is_directory(argv[k])) {
            for (const auto& e : std::filesystem::directory_iterator(argv[k])) paths.push_back(e.path());
        } else {
            paths.emplace_back(argv[k]);
        }
        for (const auto& p : paths) {
            std::ifstream f(p, std::ios::binary);
            std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
            ++files;
        }
    }
    std::printf("replayed %d inputs without a crash\n", files);
    return files > 0 ? 0 : 1;
}
