// SPDX-License-Identifier: Apache-2.0
#include "run_case.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>

#include "compare.h"
#include "percept/percept.h"

namespace percept::conformance {
namespace {

// The name the model is loaded under; the engine starts its messages with it.
constexpr const char* kSource = "model";

// One line, without the "model: " prefix, no '|' (the expectations file's separator).
std::string oneLine(std::string s) {
    const std::string prefix = std::string(kSource) + ": ";
    if (s.rfind(prefix, 0) == 0) s.erase(0, prefix.size());
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        else if (c == '|') c = '/';
    return s;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
    return s;
}

bool isIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The op a refusal is about: the one the engine's message names ("unsupported op: Foo (...)",
// "Foo node 'x': ..."), else the model's op types.
std::string opOf(const std::string& reason, const LoadedTest& t) {
    if (size_t p = reason.find("unsupported op"); p != std::string::npos) {
        p = reason.find(": ", p);
        if (p != std::string::npos) {
            size_t e = p + 2;
            while (e < reason.size() && isIdentChar(reason[e])) ++e;
            if (e > p + 2) return reason.substr(p + 2, e - p - 2);
        }
    }
    if (size_t p = reason.find(" node '"); p != std::string::npos) {
        size_t b = p;
        while (b > 0 && isIdentChar(reason[b - 1])) --b;
        if (b < p && std::isupper(static_cast<unsigned char>(reason[b]))) return reason.substr(b, p - b);
    }
    std::vector<std::string> ops(t.opTypes.begin(), t.opTypes.begin() + std::min<size_t>(3, t.opTypes.size()));
    if (t.opTypes.size() > 3) ops.push_back("...");
    return joined(ops, "+");
}

Outcome refused(std::string why, const LoadedTest& t) {
    Outcome o{Status::Refused, oneLine(std::move(why)), ""};
    o.op = opOf(o.reason, t);
    return o;
}

// Why the engine cannot take this data set through its public API (float32 tensors in and
// out), or empty. Only the inputs fed in this mode count; the others become initializers.
std::string typeRefusal(const LoadedTest& t, const DataSet& ds, Mode mode) {
    for (size_t k = 0; k < ds.inputs.size(); ++k) {
        if (t.inputKinds[k] != "tensor")
            return t.inputKinds[k] + " input '" + t.graphInputs[k]->name() + "' (the engine's values are tensors)";
        if (isFed(mode, k) && ds.inputs[k].data_type() != onnx::TensorProto::FLOAT)
            return dtypeName(ds.inputs[k].data_type()) + " input (the engine's inputs are float32)";
    }
    for (size_t k = 0; k < ds.outputs.size(); ++k) {
        if (t.outputKinds[k] != "tensor") return t.outputKinds[k] + " output (the engine's values are tensors)";
        if (ds.outputs[k].data_type() != onnx::TensorProto::FLOAT)
            return dtypeName(ds.outputs[k].data_type()) + " output (the engine's outputs are float32)";
    }
    return {};
}

Shape dimsOf(const onnx::TensorProto& t) { return Shape(t.dims().begin(), t.dims().end()); }

Outcome runLoaded(const TestCase& tc, const LoadedTest& t, Mode mode, const RunOptions& opt) {
    if (opt.verbose) std::printf("%s [%s, %s] ops: %s\n", tc.id().c_str(), modeName(mode), backendName(opt.backend),
                                 joined(t.opTypes, ", ").c_str());
    for (const DataSet& ds : t.dataSets)
        if (std::string why = typeRefusal(t, ds, mode); !why.empty()) return {Status::Refused, why, ""};  // no op to blame

    for (const DataSet& ds : t.dataSets) {
        std::vector<Tensor> inputs;
        for (size_t k = 0; k < ds.inputs.size(); ++k)
            if (isFed(mode, k)) inputs.emplace_back(dimsOf(ds.inputs[k]), floatValues(ds.inputs[k]));
        std::vector<Tensor> outputs;
        try {
            const std::string bytes = modelForRun(t, ds, mode);
            const Model model = Model::fromBytes(bytes.data(), bytes.size(), kSource);
            if (opt.verbose)
                for (const auto& in : model.inputs()) std::printf("  input '%s' %s\n", in.name.c_str(), shapeToString(in.shape).c_str());
            SessionOptions so;
            so.backend = opt.backend;
            so.threads = opt.threads;
            so.profile = false;
            auto session = Session::create(model, so);
            outputs = session->run(inputs);
        } catch (const Error& e) {
            if (opt.verbose) std::printf("  refused: %s\n", e.what());
            return refused(e.what(), t);
        }
        if (outputs.size() != ds.outputs.size())
            return {Status::Fail, std::to_string(outputs.size()) + " outputs, expected " + std::to_string(ds.outputs.size()), ""};
        for (size_t k = 0; k < outputs.size(); ++k) {
            const std::string diff = compareOutput(outputs[k].shape, outputs[k].data, dimsOf(ds.outputs[k]), floatValues(ds.outputs[k]));
            const std::string name = t.model.graph().output(static_cast<int>(k)).name();
            if (opt.verbose)
                std::printf("  %s output %zu '%s' %s: %s\n", ds.name.c_str(), k, name.c_str(), shapeToString(outputs[k].shape).c_str(),
                            diff.empty() ? "ok" : diff.c_str());
            if (!diff.empty()) return {Status::Fail, oneLine(ds.name + " output " + std::to_string(k) + " '" + name + "': " + diff), ""};
        }
    }
    return {Status::Pass, "", ""};
}

}  // namespace

Outcome runCase(const TestCase& tc, Mode mode, const RunOptions& opt) {
    try {
        const LoadedTest t = loadTest(tc);
        return runLoaded(tc, t, mode, opt);
    } catch (const std::exception& e) {
        return {Status::Crash, oneLine(std::string("exception: ") + e.what()), ""};
    } catch (...) {
        return {Status::Crash, "unknown exception", ""};
    }
}

}  // namespace percept::conformance
