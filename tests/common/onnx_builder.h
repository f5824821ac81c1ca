// SPDX-License-Identifier: Apache-2.0
#pragma once
// Builds small ONNX models in memory with the onnx protobuf classes, for tests of the
// importer (folding, opset forms, errors) without model files.
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace percept::testing {

class OnnxBuilder {
public:
    explicit OnnxBuilder(int opset) {
        model_.set_ir_version(7);
        auto* op = model_.add_opset_import();
        op->set_domain("");
        op->set_version(opset);
        model_.mutable_graph()->set_name("test");
    }
    OnnxBuilder& input(const std::string& name, const std::vector<int64_t>& shape) {
        auto* in = model_.mutable_graph()->add_input();
        in->set_name(name);
        auto* tt = in->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (auto d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
        return *this;
    }
    OnnxBuilder& output(const std::string& name) {
        model_.mutable_graph()->add_output()->set_name(name);
        return *this;
    }
    OnnxBuilder& floats(const std::string& name, const std::vector<int64_t>& shape, const std::vector<float>& v) {
        auto* t = model_.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (auto d : shape) t->add_dims(d);
        for (float x : v) t->add_float_data(x);
        return *this;
    }
    OnnxBuilder& ints(const std::string& name, const std::vector<int64_t>& shape, const std::vector<int64_t>& v) {
        auto* t = model_.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        for (auto d : shape) t->add_dims(d);
        for (auto x : v) t->add_int64_data(x);
        return *this;
    }
    // int8, uint8 or int32 initializers (int32_data holds them all), for quantised graphs.
    OnnxBuilder& smallInts(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& shape,
                           const std::vector<int32_t>& v) {
        auto* t = model_.mutable_graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        for (auto d : shape) t->add_dims(d);
        for (auto x : v) t->add_int32_data(x);
        return *this;
    }
    onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& ins, const std::vector<std::string>& outs,
                          const std::string& name = "") {
        auto* n = model_.mutable_graph()->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? op + "_" + std::to_string(model_.graph().node_size()) : name);
        for (const auto& i : ins) n->add_input(i);
        for (const auto& o : outs) n->add_output(o);
        return *n;
    }
    static void attr(onnx::NodeProto& n, const std::string& key, int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attr(onnx::NodeProto& n, const std::string& key, float v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void attr(onnx::NodeProto& n, const std::string& key, const std::vector<int64_t>& v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v) a->add_ints(x);
    }
    std::string bytes() const { return model_.SerializeAsString(); }

private:
    onnx::ModelProto model_;
};

}  // namespace percept::testing
