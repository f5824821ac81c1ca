// SPDX-License-Identifier: Apache-2.0
#include "qdq_quantizer.h"

#include <algorithm>
#include <climits>
#include <limits>
#include <cmath>
#include <cstring>

#include "percept/error.h"

// ONNX's version converter is in libonnx; Debian's libonnx-dev ships its library but not this
// header (onnx/version_converter/convert.h).
namespace onnx::version_conversion {
ModelProto ConvertVersion(const ModelProto& mp_in, int target_version);
}

namespace percept::tools {
namespace {

const std::set<std::string> kActivations = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"};
const std::set<std::string> kViews = {"Flatten", "Reshape", "Squeeze", "Unsqueeze"};

struct Index {
    std::map<std::string, int> producer;
    std::map<std::string, std::vector<int>> readers;  // every node reading the tensor (once per node)
    std::set<std::string> constants;                  // initializers and Constant outputs
    std::set<std::string> outputs;                    // graph outputs
};

Index indexOf(const onnx::GraphProto& g) {
    Index ix;
    for (const auto& t : g.initializer()) ix.constants.insert(t.name());
    for (int k = 0; k < g.node_size(); ++k) {
        const auto& n = g.node(k);
        for (const auto& o : n.output()) {
            ix.producer[o] = k;
            if (n.op_type() == "Constant") ix.constants.insert(o);
        }
        std::set<std::string> seen;
        for (const auto& i : n.input())
            if (!i.empty() && seen.insert(i).second) ix.readers[i].push_back(k);
    }
    for (const auto& o : g.output()) ix.outputs.insert(o.name());
    return ix;
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}
int64_t attrInt(const onnx::NodeProto& n, const std::string& name, int64_t def) {
    const auto* a = attr(n, name);
    return a ? a->i() : def;
}
float attrFloat(const onnx::NodeProto& n, const std::string& name, float def) {
    const auto* a = attr(n, name);
    return a ? a->f() : def;
}

const onnx::TensorProto* initializer(const onnx::GraphProto& g, const std::string& name) {
    for (const auto& t : g.initializer())
        if (t.name() == name) return &t;
    return nullptr;
}

// The weight input of a product the engine runs in int8, and the axis of its output channels:
// -1 when the node is not one (weights computed, or a form the int8 kernels do not take).
int64_t weightAxis(const onnx::GraphProto& g, const onnx::NodeProto& n) {
    if (n.input_size() < 2) return -1;
    const onnx::TensorProto* w = initializer(g, n.input(1));
    if (!w || w->data_type() != onnx::TensorProto::FLOAT) return -1;
    if (n.op_type() == "Conv") return w->dims_size() == 4 ? 0 : -1;
    if (n.op_type() == "Gemm") {
        if (attrInt(n, "transA", 0) != 0 || attrFloat(n, "alpha", 1.0f) != 1.0f || attrFloat(n, "beta", 1.0f) != 1.0f || w->dims_size() != 2) return -1;
        return attrInt(n, "transB", 0) ? 0 : 1;
    }
    if (n.op_type() == "MatMul") return w->dims_size() == 2 ? 1 : -1;
    return -1;
}

// The inputs of `n` it reads as quantised data, or none when it is not a quantisable node.
std::vector<int> dataInputs(const onnx::GraphProto& g, const Index& ix, const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") return {};
    auto computed = [&](int k) { return k < n.input_size() && !n.input(k).empty() && !ix.constants.count(n.input(k)); };
    if (op == "Conv" || op == "Gemm" || op == "MatMul") return weightAxis(g, n) >= 0 && computed(0) ? std::vector<int>{0} : std::vector<int>{};
    if (op == "Add") return computed(0) && computed(1) ? std::vector<int>{0, 1} : std::vector<int>{};
    if (op == "Concat") {
        std::vector<int> all;
        for (int k = 0; k < n.input_size(); ++k) {
            if (!computed(k)) return {};
            all.push_back(k);
        }
        return all;
    }
    if (op == "MaxPool" && n.output_size() > 1 && !n.output(1).empty()) return {};
    if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool" || kViews.count(op) || kActivations.count(op))
        return computed(0) ? std::vector<int>{0} : std::vector<int>{};
    return {};
}

}  // namespace

std::vector<std::string> tensorsToQuantize(const onnx::GraphProto& g) {
    const Index ix = indexOf(g);
    // t -> the quantisable nodes reading it as data.
    std::map<std::string, std::vector<int>> quantReaders;
    for (int k = 0; k < g.node_size(); ++k)
        for (int p : dataInputs(g, ix, g.node(k))) quantReaders[g.node(k).input(p)].push_back(k);
    auto fusedIntoProducer = [&](const std::string& t) {
        auto p = ix.producer.find(t);
        if (p == ix.producer.end()) return false;
        const std::string& op = g.node(p->second).op_type();
        const auto& r = ix.readers.at(t);
        return (op == "Conv" || op == "Gemm" || op == "MatMul" || op == "Add") && r.size() == 1 && !ix.outputs.count(t) &&
               kActivations.count(g.node(r[0]).op_type());
    };
    std::set<std::string> chosen;
    // A reader counts when it computes, or is a view whose own output is chosen: iterate to the fixpoint.
    for (bool changed = true; changed;) {
        changed = false;
        for (const auto& [t, readers] : quantReaders) {
            if (chosen.count(t) || fusedIntoProducer(t)) continue;
            for (int k : readers) {
                const auto& n = g.node(k);
                if (!kViews.count(n.op_type()) || chosen.count(n.output(0))) {
                    chosen.insert(t);
                    changed = true;
                    break;
                }
            }
        }
    }
    // In graph order (inputs first), for reproducible files.
    std::vector<std::string> out;
    for (const auto& in : g.input())
        if (chosen.count(in.name())) out.push_back(in.name());
    for (const auto& n : g.node())
        for (const auto& o : n.output())
            if (chosen.count(o)) out.push_back(o);
    return out;
}

void tieRanges(const onnx::GraphProto& g, std::map<std::string, std::pair<float, float>>& ranges) {
    const Index ix = indexOf(g);
    for (const auto& n : g.node()) {
        const std::string& op = n.op_type();
        if (n.output_size() < 1 || !ranges.count(n.output(0))) continue;
        if ((op == "MaxPool" || kViews.count(op)) && n.input_size() > 0 && ranges.count(n.input(0))) {
            ranges[n.output(0)] = ranges[n.input(0)];
        } else if (op == "Concat") {
            auto u = ranges[n.output(0)];
            bool all = true;
            for (const auto& i : n.input()) {
                if (!ranges.count(i)) all = false;
                else u = {std::min(u.first, ranges[i].first), std::max(u.second, ranges[i].second)};
            }
            if (!all) continue;
            ranges[n.output(0)] = u;
            for (const auto& i : n.input())
                if (ix.readers.at(i).size() == 1 && !ix.outputs.count(i)) ranges[i] = u;
        }
    }
}

namespace {

std::vector<float> floatsOf(const onnx::TensorProto& t) {
    int64_t n = 1;
    for (int64_t d : t.dims()) n *= d;
    std::vector<float> v(static_cast<size_t>(n));
    if (!t.raw_data().empty()) {
        if (t.raw_data().size() != v.size() * 4) throw Error("initializer '" + t.name() + "': raw data does not match its shape");
        std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
    } else {
        if (t.float_data_size() != n) throw Error("initializer '" + t.name() + "': float data does not match its shape");
        std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
    }
    return v;
}

onnx::TensorProto tensor(const std::string& name, onnx::TensorProto::DataType type, const std::vector<int64_t>& dims, const void* data, size_t bytes) {
    onnx::TensorProto t;
    t.set_name(name);
    t.set_data_type(type);
    for (int64_t d : dims) t.add_dims(d);
    t.set_raw_data(std::string(static_cast<const char*>(data), bytes));
    return t;
}

onnx::NodeProto node(const std::string& op, const std::string& name, std::vector<std::string> ins, const std::string& out, int64_t axis = -1) {
    onnx::NodeProto n;
    n.set_op_type(op);
    n.set_name(name);
    for (auto& i : ins) n.add_input(i);
    n.add_output(out);
    if (axis >= 0) {
        auto* a = n.add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(axis);
    }
    return n;
}

struct Activation {
    float scale;
    uint8_t zero;
};

Activation paramsOf(std::pair<float, float> r) {
    Activation a;
    a.scale = (r.second - r.first) / 255.0f;
    if (!(a.scale > 0) || !std::isfinite(a.scale)) a.scale = 1.0f;
    a.zero = static_cast<uint8_t>(std::clamp(std::nearbyint(-r.first / a.scale), 0.0f, 255.0f));
    return a;
}

// Weights that already lie on a uniform grid of at most 256 levels through zero (a model
// dequantised from a quantised original, as the TFLite MobileNets' ONNX copies are) are kept on
// it exactly: one scale, and the zero point that fits the levels into int8. Re-rounding them onto
// another grid would add error on top of what the original quantisation made.
struct Grid {
    float scale = 0;
    int8_t zero = 0;
    std::vector<int8_t> q;
};
bool exactGrid(const std::vector<float>& w, Grid& grid) {
    std::vector<float> u(w);
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    if (u.size() < 2 || u.size() > 256) return false;
    double step = std::numeric_limits<double>::infinity();
    for (size_t k = 1; k < u.size(); ++k) step = std::min(step, static_cast<double>(u[k]) - u[k - 1]);
    if (!(step > 0) || !std::isfinite(step)) return false;
    double kmin = 0, kmax = 0;
    for (float v : u) {
        const double k = v / step, r = std::nearbyint(k);
        if (std::fabs(k - r) > 1e-3) return false;
        kmin = std::min(kmin, r);
        kmax = std::max(kmax, r);
    }
    if (kmax - kmin > 255) return false;
    const double zero = std::clamp(-128.0 - kmin, -128.0, 127.0);
    if (kmin + zero < -128 || kmax + zero > 127) return false;
    grid.scale = static_cast<float>(step);
    grid.zero = static_cast<int8_t>(zero);
    grid.q.resize(w.size());
    for (size_t e = 0; e < w.size(); ++e) grid.q[e] = static_cast<int8_t>(std::nearbyint(w[e] / step) + zero);
    return true;
}

// The rewrite: new initializers and the nodes to emit before / after each original node.
class Writer {
public:
    Writer(onnx::ModelProto& m, const std::map<std::string, std::pair<float, float>>& ranges, bool perChannel)
        : m_(m), g_(*m.mutable_graph()), ranges_(ranges), perChannel_(perChannel) {}

    void run() {
        const Index ix = indexOf(g_);
        std::vector<std::vector<onnx::NodeProto>> before(static_cast<size_t>(g_.node_size())), after(static_cast<size_t>(g_.node_size()));
        std::vector<onnx::NodeProto> first;
        for (const auto& [t, r] : ranges_) act_[t] = paramsOf(r);
        // Q -> DQ after each chosen tensor's producer (or first, for a graph input).
        for (const auto& [t, a] : act_) {
            auto p = ix.producer.find(t);
            auto& where = p == ix.producer.end() ? first : after[static_cast<size_t>(p->second)];
            const std::string s = t + "_scale", z = t + "_zero_point";
            inits_.push_back(tensor(s, onnx::TensorProto::FLOAT, {}, &a.scale, 4));
            inits_.push_back(tensor(z, onnx::TensorProto::UINT8, {}, &a.zero, 1));
            where.push_back(node("QuantizeLinear", t + "_QuantizeLinear", {t, s, z}, t + "_quantized"));
            where.push_back(node("DequantizeLinear", t + "_DequantizeLinear", {t + "_quantized", s, z}, t + "_dequantized"));
        }
        for (int k = 0; k < g_.node_size(); ++k) {
            onnx::NodeProto& n = *g_.mutable_node(k);
            const std::vector<int> data = dataInputs(g_, ix, n);
            bool quantised = !data.empty();
            for (int p : data) quantised &= act_.count(n.input(p)) > 0;
            if (!quantised) continue;
            const float xScale = act_.at(n.input(data[0])).scale;
            for (int p : data) n.set_input(p, n.input(p) + "_dequantized");
            const int64_t axis = weightAxis(g_, n);
            if (axis >= 0) quantizeWeights(n, axis, xScale, before[static_cast<size_t>(k)]);
        }
        std::vector<onnx::NodeProto> nodes = first;
        for (int k = 0; k < g_.node_size(); ++k) {
            for (auto& b : before[static_cast<size_t>(k)]) nodes.push_back(std::move(b));
            nodes.push_back(g_.node(k));
            for (auto& a : after[static_cast<size_t>(k)]) nodes.push_back(std::move(a));
        }
        g_.clear_node();
        for (auto& n : nodes) *g_.add_node() = std::move(n);
        for (auto& t : inits_) *g_.add_initializer() = std::move(t);
        dropUnused();
    }

private:
    // Int8 weights (and an int32 bias) through DequantizeLinear for product node n.
    void quantizeWeights(onnx::NodeProto& n, int64_t axis, float xScale, std::vector<onnx::NodeProto>& out) {
        const onnx::TensorProto& wt = *initializer(g_, n.input(1));
        const std::vector<float> w = floatsOf(wt);
        std::vector<int64_t> dims(wt.dims().begin(), wt.dims().end());
        Grid grid;
        const bool exact = exactGrid(w, grid);
        exactWeights_ += exact;
        const int64_t C = perChannel_ && !exact ? dims[static_cast<size_t>(axis)] : 1;
        int64_t inner = 1;
        for (size_t d = static_cast<size_t>(axis) + 1; d < dims.size(); ++d) inner *= dims[d];
        auto channel = [&](size_t e) { return C == 1 ? 0 : static_cast<size_t>((static_cast<int64_t>(e) / inner) % C); };
        std::vector<float> scale(static_cast<size_t>(C), 0.0f);
        std::vector<int8_t> q(w.size()), zeros(static_cast<size_t>(C), 0);
        if (exact) {
            scale[0] = grid.scale;
            zeros[0] = grid.zero;
            q = grid.q;
        } else {  // symmetric: the largest magnitude of each channel at +-127
            for (size_t e = 0; e < w.size(); ++e) scale[channel(e)] = std::max(scale[channel(e)], std::fabs(w[e]));
            for (float& s : scale) s = s > 0 && std::isfinite(s) ? s / 127.0f : 1.0f;
            for (size_t e = 0; e < w.size(); ++e) q[e] = static_cast<int8_t>(std::clamp(std::nearbyint(w[e] / scale[channel(e)]), -127.0f, 127.0f));
        }
        const std::string name = n.name().empty() ? n.input(1) : n.name();
        const std::string wq = name + "_weight_quantized", ws = name + "_weight_scale", wz = name + "_weight_zero_point";
        const std::vector<int64_t> pd = C == 1 ? std::vector<int64_t>{} : std::vector<int64_t>{C};
        inits_.push_back(tensor(wq, onnx::TensorProto::INT8, dims, q.data(), q.size()));
        inits_.push_back(tensor(ws, onnx::TensorProto::FLOAT, pd, scale.data(), scale.size() * 4));
        inits_.push_back(tensor(wz, onnx::TensorProto::INT8, pd, zeros.data(), zeros.size()));
        out.push_back(node("DequantizeLinear", name + "_weight_DequantizeLinear", {wq, ws, wz}, name + "_weight_dequantized", C == 1 ? -1 : axis));
        n.set_input(1, name + "_weight_dequantized");
        // The bias: one value per output channel, scale xScale * the channel's weight scale.
        if (n.op_type() == "MatMul" || n.input_size() < 3 || n.input(2).empty()) return;
        const onnx::TensorProto* bt = initializer(g_, n.input(2));
        const int64_t channels = dims[static_cast<size_t>(axis)];
        if (!bt || bt->data_type() != onnx::TensorProto::FLOAT) return;
        const std::vector<float> b = floatsOf(*bt);
        if (static_cast<int64_t>(b.size()) != channels || bt->dims(bt->dims_size() - 1) != channels) return;
        std::vector<float> bs(static_cast<size_t>(channels));
        std::vector<int32_t> bq(static_cast<size_t>(channels));
        for (int64_t c = 0; c < channels; ++c) {
            bs[static_cast<size_t>(c)] = xScale * scale[C == 1 ? 0 : static_cast<size_t>(c)];
            const double v = std::nearbyint(static_cast<double>(b[static_cast<size_t>(c)]) / bs[static_cast<size_t>(c)]);
            bq[static_cast<size_t>(c)] = static_cast<int32_t>(std::clamp(v, static_cast<double>(INT32_MIN), static_cast<double>(INT32_MAX)));
        }
        const std::string bqn = name + "_bias_quantized", bsn = name + "_bias_scale";
        const std::vector<int64_t> bdims(bt->dims().begin(), bt->dims().end());
        inits_.push_back(tensor(bqn, onnx::TensorProto::INT32, bdims, bq.data(), bq.size() * 4));
        inits_.push_back(tensor(bsn, onnx::TensorProto::FLOAT, {channels}, bs.data(), bs.size() * 4));
        out.push_back(node("DequantizeLinear", name + "_bias_DequantizeLinear", {bqn, bsn}, name + "_bias_dequantized", static_cast<int64_t>(bdims.size()) - 1));
        n.set_input(2, name + "_bias_dequantized");
    }

    // Float initializers nobody reads any more (the weights now stored as int8) go, with their
    // graph-input entries (IR < 4 lists initializers as inputs).
    void dropUnused() {
        std::set<std::string> used;
        for (const auto& n : g_.node())
            for (const auto& i : n.input()) used.insert(i);
        for (const auto& o : g_.output()) used.insert(o.name());
        auto* inits = g_.mutable_initializer();
        for (int k = inits->size() - 1; k >= 0; --k)
            if (!used.count(inits->Get(k).name())) inits->DeleteSubrange(k, 1);
        std::set<std::string> kept;
        for (const auto& t : g_.initializer()) kept.insert(t.name());
        auto* ins = g_.mutable_input();
        for (int k = ins->size() - 1; k >= 0; --k) {
            const std::string& name = ins->Get(k).name();
            if (!used.count(name) && !kept.count(name)) ins->DeleteSubrange(k, 1);
        }
    }

    onnx::ModelProto& m_;
    onnx::GraphProto& g_;
    const std::map<std::string, std::pair<float, float>>& ranges_;
    bool perChannel_;
    std::map<std::string, Activation> act_;
    std::vector<onnx::TensorProto> inits_;

public:
    int exactWeights_ = 0;
};

}  // namespace

int foldBatchNorms(onnx::GraphProto& g) {
    int folded = 0;
    for (bool again = true; again;) {
        again = false;
        const Index ix = indexOf(g);
        for (int k = 0; k < g.node_size() && !again; ++k) {
            const onnx::NodeProto& bn = g.node(k);
            if (bn.op_type() != "BatchNormalization" || bn.input_size() != 5 || (bn.output_size() > 1 && !bn.output(1).empty())) continue;
            if (attrInt(bn, "training_mode", 0) != 0) continue;
            auto p = ix.producer.find(bn.input(0));
            if (p == ix.producer.end() || ix.readers.at(bn.input(0)).size() != 1 || ix.outputs.count(bn.input(0))) continue;
            onnx::NodeProto& conv = *g.mutable_node(p->second);
            if (conv.op_type() != "Conv" || conv.input_size() < 2) continue;
            const onnx::TensorProto* w = initializer(g, conv.input(1));
            const onnx::TensorProto* params[4] = {};
            bool ok = w && w->data_type() == onnx::TensorProto::FLOAT && w->dims_size() >= 1;
            for (int i = 0; i < 4 && ok; ++i) ok = (params[i] = initializer(g, bn.input(i + 1))) && params[i]->data_type() == onnx::TensorProto::FLOAT;
            const bool hasBias = conv.input_size() > 2 && !conv.input(2).empty();
            const onnx::TensorProto* b = ok && hasBias ? initializer(g, conv.input(2)) : nullptr;
            if (!ok || (hasBias && !b)) continue;
            std::vector<float> wv = floatsOf(*w);
            const int64_t M = w->dims(0), per = static_cast<int64_t>(wv.size()) / std::max<int64_t>(M, 1);
            const auto scale = floatsOf(*params[0]), shift = floatsOf(*params[1]), mean = floatsOf(*params[2]), var = floatsOf(*params[3]);
            const std::vector<float> bias = b ? floatsOf(*b) : std::vector<float>(static_cast<size_t>(M), 0.0f);
            if (static_cast<int64_t>(scale.size()) != M || shift.size() != scale.size() || mean.size() != scale.size() || var.size() != scale.size() ||
                static_cast<int64_t>(bias.size()) != M)
                continue;
            // y = scale (conv + b - mean) / sqrt(var + eps) + shift, in double.
            const double eps = attrFloat(bn, "epsilon", 1e-5f);
            std::vector<float> nb(static_cast<size_t>(M));
            for (int64_t m = 0; m < M; ++m) {
                const size_t u = static_cast<size_t>(m);
                const double f = scale[u] / std::sqrt(static_cast<double>(var[u]) + eps);
                for (int64_t j = 0; j < per; ++j) wv[static_cast<size_t>(m * per + j)] = static_cast<float>(wv[static_cast<size_t>(m * per + j)] * f);
                nb[u] = static_cast<float>((static_cast<double>(bias[u]) - mean[u]) * f + shift[u]);
            }
            const std::string wn = conv.input(1) + "_bn_folded", bnn = bn.output(0) + "_bias";
            const std::vector<int64_t> wdims(w->dims().begin(), w->dims().end());
            *g.add_initializer() = tensor(wn, onnx::TensorProto::FLOAT, wdims, wv.data(), wv.size() * 4);
            *g.add_initializer() = tensor(bnn, onnx::TensorProto::FLOAT, {M}, nb.data(), nb.size() * 4);
            conv.set_input(1, wn);
            if (hasBias) conv.set_input(2, bnn);
            else conv.add_input(bnn);
            conv.set_output(0, bn.output(0));  // the conv now writes what the BN wrote
            g.mutable_node()->DeleteSubrange(k, 1);
            ++folded;
            again = true;
        }
    }
    return folded;
}

int writeQdq(onnx::ModelProto& m, const std::map<std::string, std::pair<float, float>>& ranges, bool perChannel) {
    Writer w(m, ranges, perChannel);
    w.run();
    return w.exactWeights_;
}

onnx::ModelProto atLeastOpset(const onnx::ModelProto& m, int opset) {
    int64_t have = 0;
    for (const auto& o : m.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") have = o.version();
    if (have >= opset) return m;
    onnx::ModelProto out;
    try {
        out = onnx::version_conversion::ConvertVersion(m, opset);
    } catch (const std::exception& e) {
        throw Error("converting the model from opset " + std::to_string(have) + " to " + std::to_string(opset) + " failed: " + e.what());
    }
    if (out.ir_version() < 7) out.set_ir_version(7);  // opset 13 needs IR version 7
    // The converter drops nothing else we keep, but be sure the metadata survives.
    if (out.metadata_props_size() == 0)
        for (const auto& kv : m.metadata_props()) *out.add_metadata_props() = kv;
    return out;
}

}  // namespace percept::tools
