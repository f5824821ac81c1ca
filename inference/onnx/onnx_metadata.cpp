// SPDX-License-Identifier: Apache-2.0
#include "onnx/onnx_metadata.h"

#include <onnx/onnx_pb.h>

namespace percept::onnx_import {

void setMetadata(onnx::ModelProto& m, const std::map<std::string, std::string>& entries) {
    std::map<std::string, std::string> all;
    for (const auto& kv : m.metadata_props()) all[kv.key()] = kv.value();
    for (const auto& [k, v] : entries) all[k] = v;
    m.clear_metadata_props();
    for (const auto& [k, v] : all) {
        auto* p = m.add_metadata_props();
        p->set_key(k);
        p->set_value(v);
    }
}

}  // namespace percept::onnx_import
