// SPDX-License-Identifier: Apache-2.0
#include "report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <cctype>

namespace percept::conformance {
namespace {

const Backend kBackends[] = {Backend::Cpu, Backend::Vulkan};

// A reason with quoted names blanked, so that the same refusal on different nodes groups. A
// quote after a letter is an apostrophe ("engine's"), not the start of a name.
std::string generic(const std::string& reason) {
    std::string out;
    for (size_t k = 0; k < reason.size(); ++k) {
        const size_t close = reason.find('\'', k + 1);
        if (reason[k] == '\'' && (k == 0 || !std::isalpha(static_cast<unsigned char>(reason[k - 1]))) && close != std::string::npos) {
            out += "'_'";
            k = close;
        } else {
            out += reason[k];
        }
    }
    return out;
}

}  // namespace

void printCounts(const std::vector<Result>& results, const std::vector<std::string>& folders) {
    struct Row { int n[4] = {0, 0, 0, 0}; };
    std::map<std::tuple<std::string, int, int>, Row> rows;
    for (const Result& r : results)
        ++rows[{r.test->folder, static_cast<int>(r.mode), static_cast<int>(r.backend)}].n[static_cast<int>(r.outcome.status)];
    std::printf("\n%-18s %-6s %-7s %6s %6s %8s %6s %6s\n", "folder", "mode", "backend", "pass", "fail", "refused", "crash", "total");
    for (const std::string& f : folders)
        for (Mode m : {Mode::Inputs, Mode::Const})
            for (Backend b : kBackends) {
                auto it = rows.find({f, static_cast<int>(m), static_cast<int>(b)});
                if (it == rows.end()) continue;
                const int* n = it->second.n;
                std::printf("%-18s %-6s %-7s %6d %6d %8d %6d %6d\n", f.c_str(), modeName(m), backendName(b), n[0], n[1], n[2], n[3],
                            n[0] + n[1] + n[2] + n[3]);
            }
}

void printRefusals(const std::vector<Result>& results, size_t top) {
    for (Backend b : kBackends) {
        struct Group {
            int count = 0;
            std::map<std::string, int> reasons;
        };
        std::map<std::string, Group> byOp;
        std::map<std::string, int> byType;
        int total = 0, types = 0;
        for (const Result& r : results)
            if (r.backend == b && r.outcome.status == Status::Refused) {
                if (r.outcome.op.empty()) {  // a type the public API lacks: no op to implement
                    ++byType[generic(r.outcome.reason.substr(0, r.outcome.reason.find(" (")))], ++types;
                    continue;
                }
                Group& g = byOp[r.outcome.op];
                ++g.count, ++total;
                ++g.reasons[generic(r.outcome.reason)];
            }
        if (types) {
            std::vector<std::pair<std::string, int>> order(byType.begin(), byType.end());
            std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
            std::printf("\nRefused on %s before reaching the engine (the public Tensor is float32): %d (test, mode) runs:",
                        backendName(b), types);
            for (size_t k = 0; k < order.size(); ++k) std::printf("%s %s %d", k ? "," : "", order[k].first.c_str(), order[k].second);
            std::printf("\n");
        }
        if (!total) continue;
        std::vector<std::pair<std::string, const Group*>> order;
        for (const auto& [op, g] : byOp) order.emplace_back(op, &g);
        std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.second->count > y.second->count; });
        std::printf("\nRefused by the engine on %s: %d (test, mode) runs; by op, the %zu most refused (of %zu), "
                    "with the most common reason:\n",
                    backendName(b), total, std::min(top, order.size()), order.size());
        for (size_t k = 0; k < order.size() && k < top; ++k) {
            const Group& g = *order[k].second;
            auto most = std::max_element(g.reasons.begin(), g.reasons.end(),
                                         [](const auto& x, const auto& y) { return x.second < y.second; });
            std::string why = most->first;
            if (why.size() > 150) why = why.substr(0, 147) + "...";
            std::printf("  %4d  %-24s %s%s\n", g.count, order[k].first.c_str(), why.c_str(),
                        g.reasons.size() > 1 ? (" (+" + std::to_string(g.reasons.size() - 1) + " other reasons)").c_str() : "");
        }
    }
}

void printSlowest(const std::vector<Result>& results, size_t top) {
    for (Backend b : kBackends) {
        std::vector<const Result*> mine;
        double sum = 0;
        for (const Result& r : results)
            if (r.backend == b) mine.push_back(&r), sum += r.outcome.seconds;
        if (mine.empty()) continue;
        std::sort(mine.begin(), mine.end(), [](const Result* x, const Result* y) { return x->outcome.seconds > y->outcome.seconds; });
        std::printf("\nSlowest on %s (%.1f s in all runs):", backendName(b), sum);
        for (size_t k = 0; k < mine.size() && k < top; ++k)
            std::printf("%s %s %s %.2f s", k ? "," : "", mine[k]->test->id().c_str(), modeName(mine[k]->mode), mine[k]->outcome.seconds);
        std::printf("\n");
    }
}

}  // namespace percept::conformance
