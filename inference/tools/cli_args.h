// SPDX-License-Identifier: Apache-2.0
#pragma once
// Minimal "--flag value" / "--switch" parser shared by the command-line tools.
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "percept/error.h"

namespace percept::tools {

class Args {
public:
    // valued: flags that take a value; switches: flags that do not; repeated: valued flags that
    // may be given several times (getAll).
    Args(int argc, char** argv, const std::set<std::string>& valued, const std::set<std::string>& switches,
         const std::set<std::string>& repeated = {}) {
        for (int k = 1; k < argc; ++k) {
            std::string a = argv[k];
            std::string value;
            bool inlineValue = false;
            if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
                value = a.substr(eq + 1);
                a = a.substr(0, eq);
                inlineValue = true;
            }
            if (switches.count(a)) {
                flags_.insert(a);
            } else if (repeated.count(a)) {
                if (!inlineValue) {
                    if (k + 1 >= argc) throw Error("option " + a + " needs a value");
                    value = argv[++k];
                }
                repeated_[a].push_back(value);
            } else if (valued.count(a)) {
                if (!inlineValue) {
                    if (k + 1 >= argc) throw Error("option " + a + " needs a value");
                    value = argv[++k];
                }
                values_[a] = value;
            } else {
                throw Error("unknown option '" + a + "' (see --help)");
            }
        }
    }
    bool has(const std::string& f) const { return flags_.count(f) || values_.count(f) || repeated_.count(f); }
    // Every value of a repeated flag, in command-line order.
    std::vector<std::string> getAll(const std::string& f) const {
        auto it = repeated_.find(f);
        return it == repeated_.end() ? std::vector<std::string>{} : it->second;
    }
    std::string get(const std::string& f, const std::string& def = "") const {
        auto it = values_.find(f);
        return it == values_.end() ? def : it->second;
    }
    int getInt(const std::string& f, int def) const {
        auto it = values_.find(f);
        if (it == values_.end()) return def;
        try {
            size_t used = 0;
            int v = std::stoi(it->second, &used);
            if (used != it->second.size()) throw std::invalid_argument("");
            return v;
        } catch (const std::exception&) {
            throw Error("option " + f + " needs an integer, got '" + it->second + "'");
        }
    }
    std::vector<float> getFloats(const std::string& f) const {
        std::vector<float> out;
        std::string s = get(f);
        size_t pos = 0;
        while (pos < s.size()) {
            size_t end = s.find(',', pos);
            if (end == std::string::npos) end = s.size();
            try {
                out.push_back(std::stof(s.substr(pos, end - pos)));
            } catch (const std::exception&) {
                throw Error("option " + f + " needs comma-separated numbers, got '" + s + "'");
            }
            pos = end + 1;
        }
        return out;
    }

private:
    std::set<std::string> flags_;
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> repeated_;
};

// A tool's first answer, before it does anything: --help or -h prints its usage and leaves
// with 0; a missing required option prints the usage and leaves with 2. Returns that exit
// code, or -1 to go on.
inline int answerHelpOrMissing(const Args& a, std::initializer_list<const char*> required, void (*usage)()) {
    if (a.has("--help") || a.has("-h")) {
        usage();
        return 0;
    }
    for (const char* r : required)
        if (!a.has(r)) {
            usage();
            return 2;
        }
    return -1;
}

}  // namespace percept::tools
