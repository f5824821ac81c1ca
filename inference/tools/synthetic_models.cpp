// SPDX-License-Identifier: Apache-2.0
#include "synthetic_models.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>

namespace percept::tools {
namespace {

class Writer {
public:
    Writer(uint32_t seed, int opset) : rng_(seed), opset_(opset) {
        model_.set_ir_version(6);
        model_.set_producer_name("percept-synthetic");
        auto* op = model_.add_opset_import();
        op->set_domain("");
        op->set_version(opset);
        graph()->set_name("synthetic");
    }
    onnx::GraphProto* graph() { return model_.mutable_graph(); }

    void input(const std::string& name, int size) {
        auto* in = graph()->add_input();
        in->set_name(name);
        auto* tt = in->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (int d : {1, 3, size, size}) tt->mutable_shape()->add_dim()->set_dim_value(d);
    }
    void output(const std::string& name) {
        auto* out = graph()->add_output();
        out->set_name(name);
        auto* tt = out->mutable_type()->mutable_tensor_type();  // OpenCV DNN insists on a type
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (int d : {1, 1000}) tt->mutable_shape()->add_dim()->set_dim_value(d);
    }

    std::string init(const std::string& name, std::vector<int64_t> dims, float scale, float offset = 0.0f, bool positive = false) {
        auto* t = graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        int64_t n = 1;
        for (auto d : dims) t->add_dims(d), n *= d;
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::string raw(static_cast<size_t>(n) * 4, '\0');
        float* p = reinterpret_cast<float*>(raw.data());
        for (int64_t k = 0; k < n; ++k) {
            float v = dist(rng_) * scale;
            p[k] = positive ? offset + std::abs(v) : offset + v;
        }
        t->set_raw_data(raw);
        return name;
    }
    std::string ints(const std::string& name, std::vector<int64_t> dims, std::vector<int64_t> values) {
        auto* t = graph()->add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        for (auto d : dims) t->add_dims(d);
        for (auto v : values) t->add_int64_data(v);
        return name;
    }
    onnx::NodeProto* node(const std::string& op, std::vector<std::string> ins, const std::string& out) {
        auto* n = graph()->add_node();
        n->set_op_type(op);
        n->set_name(op + "_" + std::to_string(counter_++));
        for (auto& i : ins) n->add_input(i);
        n->add_output(out);
        return n;
    }
    static void attr(onnx::NodeProto* n, const std::string& key, std::vector<int64_t> v) {
        auto* a = n->add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v) a->add_ints(x);
    }
    static void attr(onnx::NodeProto* n, const std::string& key, int64_t v) {
        auto* a = n->add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attrf(onnx::NodeProto* n, const std::string& key, float v) {
        auto* a = n->add_attribute();
        a->set_name(key);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    std::string fresh(const std::string& base) { return base + "_" + std::to_string(counter_++); }

    // Conv (no bias, as PyTorch exports before BN) + BatchNormalization (+ activation).
    // act: 0 none, 1 Relu, 2 Clip(0,6).
    std::string convBn(const std::string& x, int cin, int cout, int k, int stride, int group, int act) {
        const std::string id = fresh("conv");
        const float he = std::sqrt(2.0f / (static_cast<float>(cin / group) * k * k));
        auto w = init(id + ".weight", {cout, cin / group, k, k}, he);
        auto* c = node("Conv", {x, w}, id + "_out");
        const int64_t p = k / 2;
        attr(c, "kernel_shape", std::vector<int64_t>{k, k});
        attr(c, "strides", std::vector<int64_t>{stride, stride});
        attr(c, "pads", std::vector<int64_t>{p, p, p, p});
        attr(c, "dilations", std::vector<int64_t>{1, 1});
        attr(c, "group", int64_t{group});
        auto scale = init(id + ".bn.weight", {cout}, 0.1f, 1.0f);
        auto bias = init(id + ".bn.bias", {cout}, 0.1f);
        auto mean = init(id + ".bn.running_mean", {cout}, 0.1f);
        auto var = init(id + ".bn.running_var", {cout}, 0.1f, 1.0f, true);
        auto* bn = node("BatchNormalization", {id + "_out", scale, bias, mean, var}, id + "_bn");
        attrf(bn, "epsilon", 1e-5f);
        std::string y = id + "_bn";
        if (act == 1) node("Relu", {y}, y + "_relu"), y += "_relu";
        if (act == 2) {
            if (opset_ >= 11) {  // min/max as inputs
                node("Clip", {y, init(id + ".clip_min", {}, 0.0f, 0.0f), init(id + ".clip_max", {}, 0.0f, 6.0f)}, y + "_clip");
            } else {  // min/max as attributes (what OpenCV 4.6 reads)
                auto* cl = node("Clip", {y}, y + "_clip");
                attrf(cl, "min", 0.0f);
                attrf(cl, "max", 6.0f);
            }
            y += "_clip";
        }
        return y;
    }

    // PyTorch's torch.flatten(x, 1) export: Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape.
    std::string flattenLikePytorch(const std::string& x) {
        const std::string id = fresh("flatten");
        node("Shape", {x}, id + "_shape");
        auto* g = node("Gather", {id + "_shape", ints(id + ".zero", {}, {0})}, id + "_n");
        attr(g, "axis", int64_t{0});
        auto* u = node("Unsqueeze", {id + "_n"}, id + "_n1");
        attr(u, "axes", std::vector<int64_t>{0});
        auto* c = node("Concat", {id + "_n1", ints(id + ".minus1", {1}, {-1})}, id + "_target");
        attr(c, "axis", int64_t{0});
        node("Reshape", {x, id + "_target"}, id + "_out");
        return id + "_out";
    }

    std::string classifier(const std::string& x, int cin) {
        node("GlobalAveragePool", {x}, "pooled");
        const std::string flat = flattenLikePytorch("pooled");
        auto w = init("fc.weight", {1000, cin}, std::sqrt(1.0f / cin));
        auto b = init("fc.bias", {1000}, 0.01f);
        auto* g = node("Gemm", {flat, w, b}, "logits");
        attrf(g, "alpha", 1.0f);
        attrf(g, "beta", 1.0f);
        attr(g, "transB", int64_t{1});
        return "logits";
    }

    std::string bytes() const { return model_.SerializeAsString(); }

private:
    onnx::ModelProto model_;
    std::mt19937 rng_;
    int opset_;
    int counter_ = 0;
};

std::string resnet18(Writer& w, int size) {
    w.input("data", size);
    std::string x = w.convBn("data", 3, 64, 7, 2, 1, 1);
    auto* mp = w.node("MaxPool", {x}, "maxpool");
    Writer::attr(mp, "kernel_shape", std::vector<int64_t>{3, 3});
    Writer::attr(mp, "strides", std::vector<int64_t>{2, 2});
    Writer::attr(mp, "pads", std::vector<int64_t>{1, 1, 1, 1});
    x = "maxpool";
    int cin = 64;
    for (int stage = 0; stage < 4; ++stage) {
        const int cout = 64 << stage;
        for (int block = 0; block < 2; ++block) {
            const int stride = (stage > 0 && block == 0) ? 2 : 1;
            std::string y = w.convBn(x, cin, cout, 3, stride, 1, 1);
            y = w.convBn(y, cout, cout, 3, 1, 1, 0);
            std::string shortcut = x;
            if (stride != 1 || cin != cout) shortcut = w.convBn(x, cin, cout, 1, stride, 1, 0);
            const std::string sum = w.fresh("add");
            w.node("Add", {y, shortcut}, sum);
            x = sum + "_relu";
            w.node("Relu", {sum}, x);
            cin = cout;
        }
    }
    w.output(w.classifier(x, 512));
    return w.bytes();
}

std::string mobilenetV2(Writer& w, int size) {
    w.input("data", size);
    std::string x = w.convBn("data", 3, 32, 3, 2, 1, 2);
    int cin = 32;
    // (expansion t, channels c, repeats n, stride s) from the paper.
    const int cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    for (const auto& c : cfg) {
        for (int r = 0; r < c[2]; ++r) {
            const int stride = r == 0 ? c[3] : 1, hidden = cin * c[0];
            std::string y = x;
            if (c[0] != 1) y = w.convBn(y, cin, hidden, 1, 1, 1, 2);
            y = w.convBn(y, hidden, hidden, 3, stride, hidden, 2);
            y = w.convBn(y, hidden, c[1], 1, 1, 1, 0);
            if (stride == 1 && cin == c[1]) {
                const std::string sum = w.fresh("add");
                w.node("Add", {x, y}, sum);
                y = sum;
            }
            x = y;
            cin = c[1];
        }
    }
    x = w.convBn(x, cin, 1280, 1, 1, 1, 2);
    w.output(w.classifier(x, 1280));
    return w.bytes();
}

}  // namespace

std::string makeSyntheticModel(SyntheticArch arch, int size, uint32_t seed) {
    // ResNet-18 as opset 11; MobileNetV2 as opset 10, whose attribute-form Clip OpenCV 4.6 reads.
    Writer w(seed, arch == SyntheticArch::ResNet18 ? 11 : 10);
    return arch == SyntheticArch::ResNet18 ? resnet18(w, size) : mobilenetV2(w, size);
}

bool parseSyntheticArch(const std::string& name, SyntheticArch& out) {
    if (name == "resnet18" || name == "synthetic:resnet18") return out = SyntheticArch::ResNet18, true;
    if (name == "mobilenetv2" || name == "synthetic:mobilenetv2") return out = SyntheticArch::MobileNetV2, true;
    return false;
}

}  // namespace percept::tools
