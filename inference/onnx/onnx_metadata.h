// SPDX-License-Identifier: Apache-2.0
#pragma once
// metadata_props of an ONNX ModelProto, edited by the programs that write model files
// (percept-tag-model, teaching's export).
#include <map>
#include <string>

namespace onnx {
class ModelProto;
}

namespace percept::onnx_import {

// Replaces or adds the given entries and keeps the others (written back sorted by key).
void setMetadata(onnx::ModelProto& model, const std::map<std::string, std::string>& entries);

}  // namespace percept::onnx_import
