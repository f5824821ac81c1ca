// SPDX-License-Identifier: Apache-2.0
#pragma once
// The built-in manifests whose model files are in the shared test data: the download-only
// ones (fetched on first run, Manifest::inTestData false) are left out of every whole-model
// test, and this is the one place that says so.
#include <vector>

#include "percept/models/manifest.h"

namespace percept::testing {

inline std::vector<const models::Manifest*> testDataManifests() {
    std::vector<const models::Manifest*> v;
    for (const auto& m : models::builtinManifests())
        if (m.inTestData) v.push_back(&m);
    return v;
}

}  // namespace percept::testing
