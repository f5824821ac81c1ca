// SPDX-License-Identifier: Apache-2.0
#pragma once
// Small edits of an ONNX file that keep everything else byte-for-byte as the exporter wrote it:
// setting metadata_props (percept-tag-model) and appending a Softmax to the output (tests of
// models that end in one).
#include <map>
#include <string>

namespace percept::tools {

// Reads `in`, replaces/adds the metadata_props entries in `entries`, writes `out`. Throws
// percept::Error when the file is not an ONNX model or cannot be written.
void writeWithMetadata(const std::string& in, const std::string& out, const std::map<std::string, std::string>& entries);

// Reads `in`, appends Softmax(axis = last) after its first output (which keeps its name),
// writes `out`.
void writeWithSoftmaxOutput(const std::string& in, const std::string& out);

}  // namespace percept::tools
