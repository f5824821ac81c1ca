// SPDX-License-Identifier: Apache-2.0
// percept-make-model: writes a random-weight ResNet-18 or MobileNetV2 as an ONNX file.
#include <cstdio>
#include <fstream>

#include "cli_args.h"
#include "synthetic_models.h"

using namespace percept;

int main(int argc, char** argv) {
    try {
        tools::Args a(argc, argv, {"--arch", "--out", "--size", "--seed"}, {"--help", "-h"});
        if (a.has("--help") || a.has("-h") || !a.has("--arch") || !a.has("--out")) {
            std::printf("usage: percept-make-model --arch resnet18|mobilenetv2 --out FILE.onnx [--size 224] [--seed 1]\n"
                        "Writes a random-weight model exported the way PyTorch does (Conv+BN+Relu, Shape/Gather/Reshape).\n");
            return a.has("--help") || a.has("-h") ? 0 : 2;
        }
        tools::SyntheticArch arch;
        if (!tools::parseSyntheticArch(a.get("--arch"), arch)) throw Error("--arch must be resnet18 or mobilenetv2");
        const std::string bytes = tools::makeSyntheticModel(arch, a.getInt("--size", 224), static_cast<uint32_t>(a.getInt("--seed", 1)));
        std::ofstream f(a.get("--out"), std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!f) throw Error("cannot write " + a.get("--out"));
        std::printf("%s: %zu bytes\n", a.get("--out").c_str(), bytes.size());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept-make-model: %s\n", e.what());
        return 1;
    }
}
