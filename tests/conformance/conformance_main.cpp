// SPDX-License-Identifier: Apache-2.0
// percept_conformance: ONNX's backend conformance data (onnx/backend/test/data) through the
// engine, every test in two modes (onnx_test_case.h) on the CPU and/or Vulkan backend, each
// test in a forked worker (isolation.h); the outcomes are compared with expected.txt, or
// written to it with --update. README.md says what runs and how to read the output.
#include <regex.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "expectations.h"
#include "isolation.h"
#include "onnx_test_case.h"
#include "report.h"
#include "run_case.h"

namespace fs = std::filesystem;
using namespace percept;
using namespace percept::conformance;

namespace {

constexpr int kSkipped = 77;  // CTest's SKIP_RETURN_CODE

struct Args {
    fs::path data = PERCEPT_ONNX_TESTDATA_DIR;
    std::vector<std::string> folders = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    std::vector<Backend> backends = {Backend::Cpu};
    fs::path expected;
    bool update = false, verbose = false, fork = true;
    std::string filter;
    int jobs = 1, threads = 1, top = 25;
    double timeout = 120;
};

void usage() {
    std::printf(
        "usage: percept_conformance [options]\n"
        "  --data DIR         ONNX's backend test data (default %s)\n"
        "  --folders A,B      folders under DIR (default node,pytorch-converted,pytorch-operator,simple)\n"
        "  --backend B        cpu, vulkan or all (default cpu)\n"
        "  --expected FILE    compare with (or, with --update, write) this expectations file\n"
        "  --update           rewrite FILE's lines for the tests and backends run\n"
        "  --filter REGEX     only tests whose <folder>/<test> matches (POSIX extended regex)\n"
        "  --verbose          print every run's details\n"
        "  --jobs N           worker processes at once (default 1)\n"
        "  --threads N        CPU session threads (default 1)\n"
        "  --timeout S        seconds before a test counts as hung (default 120)\n"
        "  --no-fork          run every test in this process (for a debugger)\n"
        "  --top N            ops listed in the refusal summary (default 25)\n",
        PERCEPT_ONNX_TESTDATA_DIR);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t comma = s.find(',', start);
        const std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!part.empty()) out.push_back(part);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

Args parseArgs(int argc, char** argv) {
    Args a;
    for (int k = 1; k < argc; ++k) {
        const std::string arg = argv[k];
        auto value = [&]() -> std::string {
            if (k + 1 >= argc) throw std::runtime_error(arg + " needs a value");
            return argv[++k];
        };
        if (arg == "--data") a.data = value();
        else if (arg == "--folders") a.folders = split(value());
        else if (arg == "--backend") {
            const std::string b = value();
            a.backends = b == "all" ? std::vector<Backend>{Backend::Cpu, Backend::Vulkan} : std::vector<Backend>{parseBackend(b)};
        } else if (arg == "--expected") a.expected = value();
        else if (arg == "--update") a.update = true;
        else if (arg == "--filter") a.filter = value();
        else if (arg == "--verbose") a.verbose = true;
        else if (arg == "--jobs") a.jobs = std::stoi(value());
        else if (arg == "--threads") a.threads = std::stoi(value());
        else if (arg == "--timeout") a.timeout = std::stod(value());
        else if (arg == "--no-fork") a.fork = false;
        else if (arg == "--top") a.top = std::stoi(value());
        else if (arg == "--help" || arg == "-h") usage(), std::exit(0);
        else throw std::runtime_error("unknown option " + arg + " (--help lists them)");
    }
    if (a.update && a.expected.empty()) throw std::runtime_error("--update needs --expected FILE");
    return a;
}

// --filter: a POSIX extended regular expression searched for in "<folder>/<test>"; an empty
// one matches everything.
class Filter {
public:
    explicit Filter(const std::string& pattern) : any_(pattern.empty()) {
        if (any_) return;
        if (const int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
            char msg[256];
            regerror(rc, &re_, msg, sizeof msg);
            throw std::runtime_error("--filter '" + pattern + "': " + msg);
        }
    }
    ~Filter() {
        if (!any_) regfree(&re_);
    }
    Filter(const Filter&) = delete;
    Filter& operator=(const Filter&) = delete;
    bool matches(const std::string& s) const { return any_ || regexec(&re_, s.c_str(), 0, nullptr, 0) == 0; }

private:
    bool any_;
    regex_t re_{};
};

// Whether the backend has a device, asked in a worker: opening a Vulkan device here would
// start driver threads before the fork()s.
std::string backendMissing(Backend b, const IsolationOptions& iso) {
    const auto probe = [b](size_t) {
        std::string why;
        return backendAvailable(b, &why) ? Outcome{Status::Pass, "", ""} : Outcome{Status::Refused, why, ""};
    };
    IsolationOptions once = iso;
    once.jobs = 1;
    once.timeoutSeconds = std::max(iso.timeoutSeconds, 60.0);
    const Outcome o = runIsolated(1, probe, once).outcomes.at(0);
    return o.status == Status::Pass ? "" : o.reason.empty() ? "unavailable" : o.reason;
}

// The differences between a run and the expectations of the backends it ran; true if none.
bool compareWithExpectations(const std::vector<Result>& results, const Expectations& expected, const Args& args,
                             const Filter& filter) {
    std::vector<std::string> newlyPassing, changed, never;
    std::map<std::pair<std::string, std::string>, bool> seen;
    for (const Result& r : results) {
        const auto key = std::make_pair(r.test->id(), std::string(modeName(r.mode)));
        seen[key] = true;
        const int b = static_cast<int>(r.backend);
        auto it = expected.find(key);
        const bool recorded = it != expected.end() && it->second.status[b].has_value();
        const Status want = recorded ? *it->second.status[b] : Status::Crash;
        const Outcome& got = r.outcome;
        const std::string where = key.first + " " + key.second + " " + backendName(r.backend) + ": ";
        const std::string reason = got.reason.empty() ? "" : " (" + got.reason + ")";
        if (got.status == Status::Fail || got.status == Status::Crash) never.push_back(where + statusName(got.status) + reason);
        if (!recorded) {
            (got.status == Status::Pass ? newlyPassing : changed)
                .push_back(where + "not in the expectations, now " + statusName(got.status) + reason);
        } else if (want != got.status) {
            (got.status == Status::Pass ? newlyPassing : changed)
                .push_back(where + "expected " + statusName(want) + ", now " + statusName(got.status) + reason);
        } else if (got.status == Status::Refused && it->second.reason[b] != got.reason) {
            changed.push_back(where + "REFUSED for another reason: now '" + got.reason + "', expected '" + it->second.reason[b] + "'");
        }
    }
    // Expected lines no run answered (a test gone from the data, a folder emptied).
    for (const auto& [key, e] : expected) {
        if (seen.count(key)) continue;
        const std::string folder = key.first.substr(0, key.first.find('/'));
        if (std::find(args.folders.begin(), args.folders.end(), folder) == args.folders.end()) continue;
        if (!filter.matches(key.first)) continue;
        for (Backend b : args.backends)
            if (e.status[static_cast<int>(b)])
                changed.push_back(key.first + " " + key.second + " " + backendName(b) + ": expected " +
                                  statusName(*e.status[static_cast<int>(b)]) + ", but the test data has no such test");
    }
    auto list = [](const char* title, std::vector<std::string> v) {
        if (v.empty()) return;
        std::sort(v.begin(), v.end());
        std::printf("\n%s (%zu):\n", title, v.size());
        for (const auto& s : v) std::printf("  %s\n", s.c_str());
    };
    list("Newly passing: record them with --update", newlyPassing);
    list("Newly failing or changed", changed);
    list("FAIL and CRASH are never expected: fix the engine, or make its schema refuse with the real reason", never);
    const bool same = newlyPassing.empty() && changed.empty() && never.empty();
    std::printf("\n%s\n", same ? "Conformance matches the expectations." : "Conformance differs from the expectations (see above).");
    return same;
}

int run(const Args& args) {
    if (!fs::is_directory(args.data / "node")) {
        if (std::getenv("CI")) {
            std::printf("FAILED: ONNX's backend test data is missing under CI: %s (install libonnx-testdata)\n", args.data.c_str());
            return 1;
        }
        std::printf("SKIPPED: ONNX's backend test data is missing: %s (install libonnx-testdata)\n", args.data.c_str());
        return kSkipped;
    }
    const Filter filter(args.filter);

    std::vector<TestCase> tests;
    for (const std::string& f : args.folders)
        for (TestCase& tc : listTests(args.data, f))
            if (filter.matches(tc.id())) tests.push_back(std::move(tc));
    std::printf("%zu tests in %s\n", tests.size(), args.data.c_str());

    IsolationOptions iso;
    iso.jobs = args.jobs;
    iso.timeoutSeconds = args.timeout;
    iso.fork = args.fork;

    std::vector<Result> results;
    std::vector<std::string> workerErrors;
    for (Backend b : args.backends) {
        if (std::string why = backendMissing(b, iso); !why.empty()) {
            std::printf("FAILED (%s): %s\n", backendName(b), why.c_str());
            return 1;
        }
        // A test with one input is the same model in both modes: run it once.
        std::vector<std::pair<const TestCase*, Mode>> runs;
        for (const TestCase& tc : tests) {
            runs.emplace_back(&tc, Mode::Inputs);
            if (tc.inputCount > 1) runs.emplace_back(&tc, Mode::Const);
        }
        RunOptions ro;
        ro.backend = b;
        ro.threads = args.threads;
        ro.verbose = args.verbose;
        const auto t0 = std::chrono::steady_clock::now();
        const auto task = [&](size_t i) { return runCase(*runs[i].first, runs[i].second, ro); };
        const auto done = [&](size_t i, const Outcome& o) {
            if (args.verbose || o.status == Status::Fail || o.status == Status::Crash)
                std::printf("%-7s %s %s %s%s%s\n", statusName(o.status), runs[i].first->id().c_str(), modeName(runs[i].second),
                            backendName(b), o.reason.empty() ? "" : ": ", o.reason.c_str());
            std::fflush(stdout);
        };
        IsolatedRun run = runIsolated(runs.size(), task, iso, done);
        const std::vector<Outcome>& outcomes = run.outcomes;
        workerErrors.insert(workerErrors.end(), run.workerErrors.begin(), run.workerErrors.end());
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("%s: %zu runs in %.1f s (%d worker%s, %d thread%s per session)\n", backendName(b), runs.size(), seconds, args.jobs,
                    args.jobs > 1 ? "s" : "", args.threads, args.threads > 1 ? "s" : "");
        for (size_t i = 0; i < runs.size(); ++i) {
            results.push_back({runs[i].first, runs[i].second, b, outcomes[i]});
            if (runs[i].first->inputCount <= 1) {
                results.push_back({runs[i].first, Mode::Const, b, outcomes[i]});
                results.back().outcome.seconds = 0;
            }
        }
    }

    printCounts(results, args.folders);
    printRefusals(results, static_cast<size_t>(args.top));
    printSlowest(results, 5);

    for (const std::string& e : workerErrors) std::printf("\nERROR: %s\n", e.c_str());
    const bool anyWrong = !workerErrors.empty() || std::any_of(results.begin(), results.end(), [](const Result& r) {
        return r.outcome.status == Status::Fail || r.outcome.status == Status::Crash;
    });
    if (args.expected.empty()) return anyWrong ? 1 : 0;
    Expectations expected = readExpectations(args.expected);
    if (args.update) {
        // Replace the lines of this run's backends; tests gone from the data lose theirs.
        for (auto it = expected.begin(); it != expected.end();) {
            const std::string folder = it->first.first.substr(0, it->first.first.find('/'));
            const bool inRun = std::find(args.folders.begin(), args.folders.end(), folder) != args.folders.end() &&
                               filter.matches(it->first.first);
            if (inRun)
                for (Backend b : args.backends) {
                    it->second.status[static_cast<int>(b)].reset();
                    it->second.reason[static_cast<int>(b)].clear();
                }
            const bool empty = !it->second.status[0] && !it->second.status[1];
            it = empty ? expected.erase(it) : std::next(it);
        }
        for (const Result& r : results) {
            Expected& e = expected[{r.test->id(), modeName(r.mode)}];
            e.status[static_cast<int>(r.backend)] = r.outcome.status;
            e.reason[static_cast<int>(r.backend)] = r.outcome.reason;
        }
        writeExpectations(args.expected, expected);
        std::printf("\nWrote %s\n", args.expected.c_str());
        return 0;
    }
    const bool same = compareWithExpectations(results, expected, args, filter);
    return same && workerErrors.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parseArgs(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "percept_conformance: %s\n", e.what());
        return 2;
    }
}
