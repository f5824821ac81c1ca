// SPDX-License-Identifier: Apache-2.0
// The model zoo: today's torchvision classifiers (random but informative weights, exported by
// export_zoo.py) loaded by the engine and run on the CPU and on Vulkan, on a real photograph,
// against two independent references: PyTorch (the model's own framework) and ONNX Runtime.
//   every backend vs PyTorch and vs ONNX Runtime: max |diff| <= 1e-4 x max |reference|, same top-1
//   CPU vs Vulkan:                                  max |diff| <= 1e-4 x max |CPU|,       same top-1
// What the engine cannot load yet is listed in expectations.txt with the reason it gives; the
// test fails when reality differs from the list either way (a model that now loads, one that
// is refused, or refused for another reason), so the list is always today's truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "agreement.h"
#include "common/backends.h"
#include "common/test_data.h"
#include "npy.h"
#include "percept/percept.h"

namespace percept::testing {
namespace {

constexpr double kTolerance = 1e-4;  // x max |reference output|

std::string zooDir() { return envOr("PERCEPT_ZOO_DIR", PERCEPT_ZOO_DIR); }

// One line of expectations.txt: "<id> runs" or "<id> refused: <the engine's message>".
struct Expectation {
    std::string id;
    bool runs = false;
    std::string reason;  // when refused: Model::load's / Session::create's message, path removed
};

std::vector<Expectation> readExpectations() {
    std::ifstream f(PERCEPT_ZOO_EXPECTATIONS);
    if (!f) throw std::runtime_error("cannot read " + std::string(PERCEPT_ZOO_EXPECTATIONS));
    std::vector<Expectation> out;
    std::string line;
    for (int n = 1; std::getline(f, line); ++n) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream in(line);
        Expectation e;
        std::string verdict;
        in >> e.id >> verdict;
        if (verdict == "runs") {
            e.runs = true;
        } else if (verdict == "refused:") {
            std::getline(in >> std::ws, e.reason);
        }
        if (e.id.empty() || (!e.runs && e.reason.empty()))
            throw std::runtime_error(std::string(PERCEPT_ZOO_EXPECTATIONS) + ":" + std::to_string(n) +
                                     ": expected '<id> runs' or '<id> refused: <message>'");
        for (const Expectation& o : out)
            if (o.id == e.id)
                throw std::runtime_error(std::string(PERCEPT_ZOO_EXPECTATIONS) + ":" + std::to_string(n) + ": " + e.id + " is listed twice");
        out.push_back(e);
    }
    return out;
}

const std::vector<Expectation>& expectations() {
    static const std::vector<Expectation> all = readExpectations();
    return all;
}

// The engine's message without the model's path in front (the path depends on the build tree).
std::string withoutPath(std::string msg, const std::string& path) {
    if (msg.rfind(path + ": ", 0) == 0) msg.erase(0, path.size() + 2);
    return msg;
}

void PrintTo(const Expectation& e, std::ostream* os) { *os << e.id; }  // gtest's name for a failing case

Tensor toTensor(const tools::NpyArray& a) { return Tensor(a.shape, a.data); }

// Checks `mine` against `ref` (tolerance relative to max |ref|), recording a failure naming both.
void expectAgrees(const Tensor& mine, const Tensor& ref, const std::string& what, std::string& summary) {
    ASSERT_EQ(mine.shape, ref.shape) << what;
    const tools::Agreement a = tools::compareOutputs(mine.data.data(), ref.data.data(), ref.data.size());
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %s %.1e%s", what.c_str(), a.maxRelDiff, a.sameTop1() ? "" : " (top-1 differs)");
    summary += buf;
    EXPECT_LE(a.maxRelDiff, kTolerance) << what << ": max |diff| = " << a.maxRelDiff << " x max |reference|";
    EXPECT_TRUE(a.sameTop1()) << what << ": top-1 " << a.top1 << " vs " << a.refTop1;
}

class Zoo : public ::testing::TestWithParam<Expectation> {};

TEST_P(Zoo, RunsRightOrIsRefusedAsListed) {
    const Expectation& want = GetParam();
    const std::string base = zooDir() + "/" + want.id;
    for (const char* suffix : {".onnx", ".input.npy", ".torch.npy", ".ort.npy"}) PERCEPT_REQUIRE_DATA(base + suffix);
    const std::string path = base + ".onnx";
    const std::string update = "; update tests/zoo/expectations.txt";

    // Loading and compiling for the CPU: where the engine refuses a model it says why.
    std::optional<Model> model;
    std::unique_ptr<Session> cpu;
    std::string refusal;
    try {
        model.emplace(Model::load(path));
        SessionOptions so;
        so.tuning = Tuning::fromEnvironment();
        cpu = Session::create(*model, so);
    } catch (const Error& e) {
        refusal = withoutPath(e.what(), path);
    }
    if (!refusal.empty()) {
        EXPECT_FALSE(want.runs) << want.id << " is expected to run but the engine refuses it: " << refusal;
        if (!want.runs) {
            EXPECT_EQ(refusal, want.reason) << want.id << " is refused for another reason than the one listed" << update;
        }
        std::printf("[ zoo ] %s: refused: %s\n", want.id.c_str(), refusal.c_str());
        return;
    }
    // Loads: check the answers either way, so a model that newly loads says whether it is right.
    if (!want.runs)
        ADD_FAILURE() << want.id << " is listed as refused (" << want.reason << ") but the engine now loads it" << update
                      << " to 'runs' if the comparisons below pass";

    const Tensor input = toTensor(tools::readNpy(base + ".input.npy"));
    const Tensor torchRef = toTensor(tools::readNpy(base + ".torch.npy"));
    const Tensor ortRef = toTensor(tools::readNpy(base + ".ort.npy"));
    std::string summary;
    // The two references must agree with each other first, or the export itself is suspect.
    expectAgrees(ortRef, torchRef, "onnxruntime vs pytorch", summary);
    const Tensor onCpu = cpu->run(input);
    expectAgrees(onCpu, torchRef, "cpu vs pytorch", summary);
    expectAgrees(onCpu, ortRef, "cpu vs onnxruntime", summary);
    for (Backend b : testBackends()) {
        if (b == Backend::Cpu) continue;
        SessionOptions so;
        so.backend = b;
        so.tuning = Tuning::fromEnvironment();
        const std::string name = backendName(b);
        std::unique_ptr<Session> s;
        try {
            s = Session::create(*model, so);
        } catch (const Error& e) {
            ADD_FAILURE() << want.id << " loads, runs on the CPU, but " << name << " refuses it: " << e.what();
            continue;
        }
        const Tensor got = s->run(input);
        expectAgrees(got, torchRef, name + " vs pytorch", summary);
        expectAgrees(got, ortRef, name + " vs onnxruntime", summary);
        expectAgrees(got, onCpu, name + " vs cpu", summary);
    }
    std::printf("[ zoo ] %s: runs;%s\n", want.id.c_str(), summary.c_str());
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo, ::testing::ValuesIn(expectations()),
                         [](const ::testing::TestParamInfo<Expectation>& info) { return info.param.id; });

// The list and the generated zoo name the same models: a model exported without an
// expectation would otherwise never be tested.
TEST(ZooList, EveryExportedModelIsListed) {
    PERCEPT_REQUIRE_DATA(zooDir());
    std::vector<std::string> exported, listed;
    for (const auto& e : std::filesystem::directory_iterator(zooDir()))
        if (e.path().extension() == ".onnx") exported.push_back(e.path().stem().string());
    for (const auto& e : expectations()) listed.push_back(e.id);
    std::sort(exported.begin(), exported.end());
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(exported, listed) << "the models in " << zooDir() << " and in tests/zoo/expectations.txt differ";
}

}  // namespace
}  // namespace percept::testing
