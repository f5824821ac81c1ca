// SPDX-License-Identifier: Apache-2.0
// Writes the fuzzer's seed corpus: hand-made small graphs covering every supported op and the
// opset-specific forms, plus (when the model directory is given) truncated and bit-flipped
// copies of the real models.
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "common/onnx_builder.h"

using percept::testing::OnnxBuilder;

namespace {

void write(const std::string& dir, const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string convNet(int opset) {
    OnnxBuilder b(opset);
    b.input("x", {1, 3, 8, 8}).output("y");
    b.floats("w", {4, 3, 3, 3}, std::vector<float>(108, 0.05f)).floats("bias", {4}, {0.1f, 0.2f, 0.3f, 0.4f});
    auto& c = b.node("Conv", {"x", "w", "bias"}, {"c"});
    OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.node("Relu", {"c"}, {"r"});
    auto& p = b.node("MaxPool", {"r"}, {"p"});
    OnnxBuilder::attr(p, "kernel_shape", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(p, "strides", std::vector<int64_t>{2, 2});
    b.node("GlobalAveragePool", {"p"}, {"g"});
    b.node("Flatten", {"g"}, {"f"});
    b.floats("fc", {4, 5}, std::vector<float>(20, 0.1f));
    b.node("MatMul", {"f", "fc"}, {"m"});
    b.node("Softmax", {"m"}, {"y"});
    return b.bytes();
}

std::string reshapeChain() {
    OnnxBuilder b(11);
    b.input("x", {1, 2, 3, 4}).output("y");
    b.ints("zero", {}, {0}).ints("m1", {1}, {-1});
    b.node("Shape", {"x"}, {"s"});
    b.node("Gather", {"s", "zero"}, {"n"});
    auto& u = b.node("Unsqueeze", {"n"}, {"n1"});
    OnnxBuilder::attr(u, "axes", std::vector<int64_t>{0});
    auto& c = b.node("Concat", {"n1", "m1"}, {"t"});
    OnnxBuilder::attr(c, "axis", int64_t{0});
    b.node("Reshape", {"x", "t"}, {"r"});
    auto& t = b.node("Transpose", {"r"}, {"y"});
    OnnxBuilder::attr(t, "perm", std::vector<int64_t>{1, 0});
    return b.bytes();
}

std::string eltwise() {
    OnnxBuilder b(13);
    b.input("x", {1, 3, 4, 4}).output("y");
    b.floats("s", {3, 1, 1}, {1.0f, 2.0f, 3.0f}).floats("lo", {}, {0.0f}).floats("hi", {}, {6.0f});
    b.node("Mul", {"x", "s"}, {"a"});
    b.node("Add", {"a", "x"}, {"b"});
    b.node("Clip", {"b", "lo", "hi"}, {"c"});
    b.node("Sigmoid", {"c"}, {"d"});
    auto& l = b.node("LRN", {"d"}, {"e"});
    OnnxBuilder::attr(l, "size", int64_t{3});
    b.ints("pads", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Pad", {"e", "pads"}, {"f"});
    auto& ap = b.node("AveragePool", {"f"}, {"g"});
    OnnxBuilder::attr(ap, "kernel_shape", std::vector<int64_t>{3, 3});
    auto& cc = b.node("Concat", {"g", "g"}, {"y"});
    OnnxBuilder::attr(cc, "axis", int64_t{1});
    return b.bytes();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: percept-fuzz-seeds OUT_DIR [MODELS_DIR]\n");
        return 2;
    }
    const std::string out = argv[1];
    std::filesystem::create_directories(out);
    write(out, "conv_opset10.onnx", convNet(10));
    write(out, "conv_opset13.onnx", convNet(13));
    write(out, "reshape_chain.onnx", reshapeChain());
    write(out, "eltwise.onnx", eltwise());
    if (argc > 2) {
        std::mt19937 rng(1);
        for (const char* name : {"mobilenet_v1_0.25_128.dequant.onnx", "squeezenet1.1.onnx"}) {
            std::ifstream f(std::string(argv[2]) + "/" + name, std::ios::binary);
            if (!f) continue;
            std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            for (double frac : {0.001, 0.05, 0.5}) write(out, std::string(name) + ".cut" + std::to_string(frac), bytes.substr(0, static_cast<size_t>(bytes.size() * frac)));
            for (int k = 0; k < 3; ++k) {
                std::string flipped = bytes;
                for (int j = 0; j < 16; ++j) flipped[rng() % flipped.size()] ^= static_cast<char>(1u << (rng() % 8));
                write(out, std::string(name) + ".flip" + std::to_string(k), flipped);
            }
        }
    }
    std::printf("seeds written to %s\n", out.c_str());
    return 0;
}
