// SPDX-License-Identifier: Apache-2.0
#include "train/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "graph/schemas.h"
#include "onnx/onnx_metadata.h"
#include "percept/error.h"

namespace percept::train {
namespace {

using graph::Activation;
using graph::OpKind;

// Writes the branch's nodes into the file's graph.
class Writer {
public:
    Writer(onnx::GraphProto& g, int64_t opset) : g_(g), opset_(opset) {
        for (const auto& n : g.node())
            for (const auto& o : n.output()) names_.insert(o);
        for (const auto& i : g.initializer()) names_.insert(i.name());
        for (const auto& i : g.input()) names_.insert(i.name());
    }

    bool has(const std::string& name) const { return names_.count(name) != 0; }

    std::string fresh(const std::string& base) {
        std::string name = base;
        for (int k = 2; names_.count(name); ++k) name = base + "_" + std::to_string(k);
        names_.insert(name);
        return name;
    }

    std::string floats(const std::string& base, const Shape& shape, const std::vector<float>& data) {
        onnx::TensorProto* t = g_.add_initializer();
        t->set_name(fresh(base));
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : shape) t->add_dims(d);
        t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
        return t->name();
    }
    std::string ints(const std::string& base, const std::vector<int64_t>& v) {
        onnx::TensorProto* t = g_.add_initializer();
        t->set_name(fresh(base));
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<int64_t>(v.size()));
        for (int64_t x : v) t->add_int64_data(x);
        return t->name();
    }

    onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& in, const std::string& out) {
        onnx::NodeProto* n = g_.add_node();
        n->set_op_type(op);
        n->set_name(fresh(out + "_" + op));
        for (const auto& i : in) n->add_input(i);
        n->add_output(out);
        names_.insert(out);
        return *n;
    }

    static void attrInts(onnx::NodeProto& n, const std::string& key, const std::vector<int64_t>& v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
    }
    static void attrInt(onnx::NodeProto& n, const std::string& key, int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attrFloat(onnx::NodeProto& n, const std::string& key, float v) {
        auto* a = n.add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }

    // A pointwise function in the file's opset: out = act(in).
    void activation(const graph::FusedActivation& act, const std::string& in, const std::string& out) {
        switch (act.kind) {
            case Activation::Relu: node("Relu", {in}, out); return;
            case Activation::Sigmoid: node("Sigmoid", {in}, out); return;
            case Activation::LeakyRelu: attrFloat(node("LeakyRelu", {in}, out), "alpha", act.alpha); return;
            case Activation::HardSigmoid: {
                onnx::NodeProto& n = node("HardSigmoid", {in}, out);
                attrFloat(n, "alpha", act.alpha);
                attrFloat(n, "beta", act.beta);
                return;
            }
            case Activation::Clip: {
                const bool hasMin = std::isfinite(act.min), hasMax = std::isfinite(act.max);
                if (opset_ < 11) {
                    onnx::NodeProto& n = node("Clip", {in}, out);
                    if (hasMin) attrFloat(n, "min", act.min);
                    if (hasMax) attrFloat(n, "max", act.max);
                } else {
                    std::vector<std::string> ins = {in, hasMin ? floats(out + "_min", {}, {act.min}) : std::string()};
                    if (hasMax) ins.push_back(floats(out + "_max", {}, {act.max}));
                    node("Clip", ins, out);
                }
                return;
            }
            case Activation::HardSwish:
                if (opset_ >= 14) {
                    node("HardSwish", {in}, out);
                } else {
                    graph::FusedActivation hs;
                    hs.kind = Activation::HardSigmoid;
                    hs.alpha = 1.0f / 6.0f;
                    hs.beta = 0.5f;
                    const std::string gate = fresh(out + "_gate");
                    activation(hs, in, gate);
                    node("Mul", {in, gate}, out);
                }
                return;
            case Activation::Silu: {
                const std::string gate = fresh(out + "_gate");
                node("Sigmoid", {in}, gate);
                node("Mul", {in, gate}, out);
                return;
            }
            default: throw Error(std::string("the activation ") + graph::activationName(act.kind) + " cannot be exported by teaching");
        }
    }

private:
    onnx::GraphProto& g_;
    int64_t opset_;
    std::set<std::string> names_;
};

// Renames a value everywhere it is produced or read.
void rename(onnx::GraphProto& g, const std::string& from, const std::string& to) {
    for (auto& n : *g.mutable_node()) {
        for (auto& o : *n.mutable_output())
            if (o == from) o = to;
        for (auto& i : *n.mutable_input())
            if (i == from) i = to;
    }
    for (auto& v : *g.mutable_value_info())
        if (v.name() == from) v.set_name(to);
}

// Drops the nodes the outputs do not need, then initializers and value_info nobody reads.
void prune(onnx::GraphProto& g) {
    std::set<std::string> needed;
    for (const auto& o : g.output()) needed.insert(o.name());
    std::vector<bool> keep(static_cast<size_t>(g.node_size()), false);
    for (int k = g.node_size(); k-- > 0;) {
        const auto& n = g.node(k);
        bool used = false;
        for (const auto& o : n.output()) used |= needed.count(o) != 0;
        if (!used) continue;
        keep[static_cast<size_t>(k)] = true;
        for (const auto& i : n.input()) needed.insert(i);
    }
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (int k = 0; k < g.node_size(); ++k)
        if (keep[static_cast<size_t>(k)]) *nodes.Add() = g.node(k);
    g.mutable_node()->Swap(&nodes);
    google::protobuf::RepeatedPtrField<onnx::TensorProto> inits;
    for (const auto& t : g.initializer())
        if (needed.count(t.name())) *inits.Add() = t;
    g.mutable_initializer()->Swap(&inits);
    // Real inputs stay (even if unused); initializers listed as inputs (IR < 4) only when still read.
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> keptInputs;
    for (const auto& i : g.input()) {
        const bool isInit = std::any_of(g.initializer().begin(), g.initializer().end(), [&](const auto& t) { return t.name() == i.name(); });
        if (needed.count(i.name()) || !isInit) *keptInputs.Add() = i;
    }
    g.mutable_input()->Swap(&keptInputs);
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> infos;
    for (const auto& v : g.value_info())
        if (needed.count(v.name())) *infos.Add() = v;
    g.mutable_value_info()->Swap(&infos);
}

}  // namespace

std::string exportPersonalised(const std::string& baseOnnx, const graph::Graph& g, const Plan& plan, const std::vector<Tensor>& params,
                               const std::vector<float>& offsets, bool extend, const std::map<std::string, std::string>& metadata) {
    onnx::ModelProto model;
    if (!model.ParseFromString(baseOnnx) || !model.has_graph()) throw Error("teaching: the base model's file is not an ONNX model");
    int64_t opset = 0;
    for (const auto& op : model.opset_import())
        if (op.domain().empty() || op.domain() == "ai.onnx") opset = op.version();
    if (opset < 7) throw Error("teaching: the base model's opset " + std::to_string(opset) + " is older than 7 (numpy broadcasting); it cannot be exported");
    onnx::GraphProto& gp = *model.mutable_graph();
    if (gp.output_size() != 1) throw Error("teaching: the base model's file has more than one output");
    Writer w(gp, opset);
    const std::string outName = gp.output(0).name();
    const std::string cutName = g.value(plan.cut).name;
    if (!w.has(cutName)) throw Error("teaching: the value '" + cutName + "' at the cut is not in the model file (the optimiser made it); this model cannot be exported");

    // The branch, node by node; values named after the base's with "_taught".
    std::map<int, std::string> names = {{plan.cut, cutName}};
    auto nameOf = [&](int v) -> std::string {
        auto it = names.find(v);
        if (it != names.end()) return it->second;
        const graph::Value& val = g.value(v);
        if (!val.constant) throw Error("internal error: teaching export reads '" + val.name + "' before it is written");
        if (val.dtype != graph::DType::Float32) throw Error("teaching: the branch reads an integer constant '" + val.name + "'");
        return names[v] = w.floats(val.name + "_taught", val.shape, val.constant->f);
    };
    for (size_t k : plan.nodes) {
        const graph::Node& n = g.nodes[k];
        const int out = n.outputs[0];
        const std::string y = w.fresh(g.value(out).name + "_taught");
        const auto layer = std::find_if(plan.layers.begin(), plan.layers.end(), [&](const Layer& l) { return l.node == k; });
        const auto act = graph::activationOf(n);
        const bool fused = n.act.any() && !act && !plan.dropsActivation(k);
        if (act && plan.dropsActivation(k)) {
            names[out] = nameOf(n.inputs[0]);  // left out of the branch (Plan::dropsActivation)
            continue;
        }
        const std::string z = fused ? w.fresh(y + "_pre") : y;
        if (layer != plan.layers.end()) {
            const Param& wp = plan.params[static_cast<size_t>(layer->weight)];
            std::vector<std::string> in = {nameOf(n.inputs[0]), w.floats(wp.name + "_taught", wp.value.shape, params[static_cast<size_t>(layer->weight)].data)};
            if (layer->bias >= 0) {
                const Param& bp = plan.params[static_cast<size_t>(layer->bias)];
                in.push_back(w.floats(bp.name + "_taught", bp.value.shape, params[static_cast<size_t>(layer->bias)].data));
            }
            if (n.op == OpKind::Conv) {
                onnx::NodeProto& c = w.node("Conv", in, z);
                for (const char* key : {"kernel_shape", "strides", "dilations", "pads"}) Writer::attrInts(c, key, n.attrInts(key));
                Writer::attrInt(c, "group", n.attrInt("group", 1));
            } else if (n.op == OpKind::Gemm) {
                Writer::attrInt(w.node("Gemm", in, z), "transB", layer->transB ? 1 : 0);
            } else {
                w.node("MatMul", in, z);
            }
        } else if (act) {
            w.activation(*act, nameOf(n.inputs[0]), z);
        } else {
            switch (n.op) {
                case OpKind::GlobalAveragePool: w.node("GlobalAveragePool", {nameOf(n.inputs[0])}, z); break;
                case OpKind::Reshape:
                case OpKind::Flatten:
                case OpKind::Squeeze:
                case OpKind::Unsqueeze: w.node("Reshape", {nameOf(n.inputs[0]), w.ints(y + "_shape", plan.branchShape(g, out, 1))}, z); break;
                case OpKind::Add:
                case OpKind::Sub:
                case OpKind::Mul: w.node(n.opName(), {nameOf(n.inputs[0]), nameOf(n.inputs[1])}, z); break;
                case OpKind::Concat: {
                    std::vector<std::string> in;
                    for (int v : n.inputs) in.push_back(nameOf(v));
                    Writer::attrInt(w.node("Concat", in, z), "axis", n.attrInt("axis", 1));
                    break;
                }
                default: throw Error(n.describe() + ": cannot be exported by teaching");
            }
        }
        if (fused) w.activation(n.act, z, y);
        names[out] = y;
    }

    // The new output: [base scores, new scores] or the new scores alone, then the base's final
    // Softmax when it had one. The old output value keeps its bytes under another name.
    const std::string base = w.fresh(outName + "_base");
    rename(gp, outName, base);
    const std::string baseScores = plan.endsIn == OpKind::Identity ? base : g.value(plan.logits).name;
    const int64_t K = plan.classes, N0 = plan.baseClasses;
    const std::string taught = w.fresh(outName + "_taught_2d");
    w.node("Reshape", {names.at(plan.logits), w.ints(taught + "_shape", {1, K})}, taught);
    std::string scores = taught;
    if (std::any_of(offsets.begin(), offsets.end(), [](float v) { return v != 0.0f; })) {
        scores = w.fresh(outName + "_taught_offset");
        w.node("Add", {taught, w.floats(scores + "_value", {1, K}, offsets)}, scores);
    }
    if (extend) {
        const std::string base2d = w.fresh(outName + "_base_2d");
        w.node("Reshape", {baseScores, w.ints(base2d + "_shape", {1, N0})}, base2d);
        const std::string taughtScores = scores;
        scores = w.fresh(outName + "_scores");
        Writer::attrInt(w.node("Concat", {base2d, taughtScores}, scores), "axis", 1);
    }
    if (plan.endsIn != OpKind::Identity) {
        Writer::attrInt(w.node(plan.endsIn == OpKind::Softmax ? "Softmax" : "LogSoftmax", {scores}, outName), "axis", 1);
    } else {
        w.node("Identity", {scores}, outName);
    }
    onnx::ValueInfoProto& ov = *gp.mutable_output(0);
    ov.set_name(outName);
    auto* tt = ov.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->clear_dim();
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(extend ? N0 + K : K);
    prune(gp);

    onnx_import::setMetadata(model, metadata);
    std::string bytes;
    if (!model.SerializeToString(&bytes)) throw Error("teaching: the personalised model could not be serialised");
    return bytes;
}

}  // namespace percept::train
