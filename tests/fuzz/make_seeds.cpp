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
#include "compressed/model_file.h"
#include "percept/percept.h"

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

// int8 (inference/INT8.md): a QDQ conv net as ONNX Runtime's quantiser writes it (int8
// per-channel weights, an int32 bias, uint8 activations through Q/DQ around the conv, its ReLU,
// a MaxPool and an Add), and the same conv as QLinearConv.
std::string qdqNet() {
    using T = onnx::TensorProto;
    OnnxBuilder b(13);
    b.input("x", {1, 3, 8, 8}).output("y");
    b.floats("xs", {}, {0.02f}).smallInts("xz", T::UINT8, {}, {128});
    b.floats("ys", {}, {0.05f}).smallInts("yz", T::UINT8, {}, {0});
    std::vector<int32_t> w(4 * 3 * 9);
    for (size_t k = 0; k < w.size(); ++k) w[k] = static_cast<int32_t>(k * 37 % 255) - 127;
    b.smallInts("w", T::INT8, {4, 3, 3, 3}, w).floats("ws", {4}, {0.01f, 0.02f, 0.03f, 0.04f}).smallInts("wz", T::INT8, {4}, {0, 0, 0, 0});
    b.smallInts("bias", T::INT32, {4}, {100, -200, 300, 0}).floats("bs", {4}, {0.0002f, 0.0004f, 0.0006f, 0.0008f});
    b.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
    b.node("DequantizeLinear", {"xq", "xs", "xz"}, {"xd"});
    OnnxBuilder::attr(b.node("DequantizeLinear", {"w", "ws", "wz"}, {"wd"}), "axis", int64_t{0});
    OnnxBuilder::attr(b.node("DequantizeLinear", {"bias", "bs"}, {"bd"}), "axis", int64_t{0});
    OnnxBuilder::attr(b.node("Conv", {"xd", "wd", "bd"}, {"c"}), "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.node("Relu", {"c"}, {"r"});
    b.node("QuantizeLinear", {"r", "ys", "yz"}, {"rq"});
    b.node("DequantizeLinear", {"rq", "ys", "yz"}, {"rd"});
    auto& p = b.node("MaxPool", {"rd"}, {"p"});
    OnnxBuilder::attr(p, "kernel_shape", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(p, "strides", std::vector<int64_t>{2, 2});
    b.node("QuantizeLinear", {"p", "ys", "yz"}, {"pq"});
    b.node("DequantizeLinear", {"pq", "ys", "yz"}, {"pd"});
    b.node("Add", {"pd", "pd"}, {"s"});
    b.node("QuantizeLinear", {"s", "ys", "yz"}, {"sq"});
    b.node("DequantizeLinear", {"sq", "ys", "yz"}, {"y"});
    return b.bytes();
}

std::string qlinearConv() {
    using T = onnx::TensorProto;
    OnnxBuilder b(10);
    b.input("x", {1, 2, 5, 5}).output("y");
    b.floats("xs", {}, {0.02f}).smallInts("xz", T::UINT8, {}, {128}).floats("ys", {}, {0.05f}).smallInts("yz", T::UINT8, {}, {3});
    b.smallInts("w", T::INT8, {3, 2, 3, 3}, std::vector<int32_t>(54, 5)).floats("ws", {}, {0.01f}).smallInts("wz", T::INT8, {}, {0});
    b.node("QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
    b.node("QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"yq"});
    b.node("DequantizeLinear", {"yq", "ys", "yz"}, {"y"});
    return b.bytes();
}

}  // namespace

// Compressed models (.pcz, inference/compressed/): the ONNX seed loaded by the engine and
// written compressed, every weight of 256 or more elements coded.
std::string compressedSeed(const std::string& onnx, int bits) {
    const percept::Model m = percept::Model::fromBytes(onnx.data(), onnx.size(), "seed.onnx");
    percept::compressed::CompressOptions o;
    o.codebook.bits = bits;
    o.codebook.sparsity = 0.25;
    o.minElements = percept::compressed::kMinCodedElements;
    const std::vector<uint8_t> b = percept::compressed::writeCompressedModel(m.graph(), o);
    return std::string(b.begin(), b.end());
}

// A conv and a Gemm large enough to be coded, for the compressed seeds.
std::string codedNet() {
    OnnxBuilder b(13);
    b.input("x", {1, 4, 6, 6}).output("y");
    std::vector<float> w(16 * 4 * 3 * 3), fc(16 * 20);
    for (size_t k = 0; k < w.size(); ++k) w[k] = 0.01f * static_cast<float>(static_cast<int>(k % 23) - 11);
    for (size_t k = 0; k < fc.size(); ++k) fc[k] = 0.02f * static_cast<float>(static_cast<int>(k % 17) - 8);
    b.floats("w", {16, 4, 3, 3}, w).floats("fc", {20, 16}, fc);
    auto& c = b.node("Conv", {"x", "w"}, {"c"});
    OnnxBuilder::attr(c, "pads", std::vector<int64_t>{1, 1, 1, 1});
    b.node("Relu", {"c"}, {"r"});
    b.node("GlobalAveragePool", {"r"}, {"g"});
    b.node("Flatten", {"g"}, {"f"});
    auto& gemm = b.node("Gemm", {"f", "fc"}, {"y"});
    OnnxBuilder::attr(gemm, "transB", int64_t{1});
    return b.bytes();
}

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
    write(out, "coded_net.onnx", codedNet());
    for (int bits : {4, 8}) write(out, "coded_net_" + std::to_string(bits) + ".pcz", compressedSeed(codedNet(), bits));
    write(out, "conv_opset13.pcz", compressedSeed(convNet(13), 6));
    write(out, "qdq_int8.onnx", qdqNet());
    write(out, "qlinear_conv.onnx", qlinearConv());
    if (argc > 2) {
        std::mt19937 rng(1);
        for (const char* name : {"mobilenet_v1_0.25_128.dequant.onnx", "squeezenet1.1.onnx"}) {
            std::ifstream f(std::string(argv[2]) + "/" + name, std::ios::binary);
            if (!f) continue;
            std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            for (double frac : {0.001, 0.05, 0.5}) write(out, std::string(name) + ".cut" + std::to_string(frac), bytes.substr(0, static_cast<size_t>(bytes.size() * frac)));
            if (std::string(name).rfind("mobilenet", 0) == 0) {
                // A real model compressed, whole (over the fuzzer's length limit: it sees its
                // first 256 KiB) and cut (the fuzz target repairs the header and checksum).
                const std::string pcz = compressedSeed(bytes, 5);
                write(out, std::string(name) + ".pcz", pcz);
                write(out, std::string(name) + ".pcz.cut", pcz.substr(0, 60000));
            }
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
