// SPDX-License-Identifier: Apache-2.0
#include "model_file_edit.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <iterator>

#include "onnx/onnx_metadata.h"
#include "percept/error.h"

namespace percept::tools {
namespace {

onnx::ModelProto read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open the model file");
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    onnx::ModelProto m;
    if (!m.ParseFromString(bytes) || !m.has_graph()) throw Error(path + ": not an ONNX model");
    return m;
}

void write(const onnx::ModelProto& m, const std::string& path) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f || !m.SerializeToOstream(&f)) throw Error(path + ": cannot write the model file");
}

}  // namespace

void writeWithMetadata(const std::string& in, const std::string& out, const std::map<std::string, std::string>& entries) {
    onnx::ModelProto m = read(in);
    onnx_import::setMetadata(m, entries);
    write(m, out);
}

void writeWithSoftmaxOutput(const std::string& in, const std::string& out) {
    onnx::ModelProto m = read(in);
    auto* g = m.mutable_graph();
    if (g->output_size() == 0) throw Error(in + ": the model has no output");
    const std::string name = g->output(0).name();
    const std::string scores = name + "_before_softmax";
    for (auto& n : *g->mutable_node())
        for (auto& o : *n.mutable_output())
            if (o == name) o = scores;
    auto* sm = g->add_node();
    sm->set_op_type("Softmax");
    sm->set_name("appended_softmax");
    sm->add_input(scores);
    sm->add_output(name);
    auto* axis = sm->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(-1);
    write(m, out);
}

}  // namespace percept::tools
