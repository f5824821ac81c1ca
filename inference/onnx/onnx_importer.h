// SPDX-License-Identifier: Apache-2.0
#pragma once
// ONNX (protobuf) -> graph IR. Only translation happens here: every node, initializer and
// attribute is copied into the IR; shape inference, constant folding and the passes run later.
#include <cstddef>
#include <string>

#include "graph/ir.h"

namespace percept::onnx_import {

// Throws percept::Error for non-ONNX or truncated bytes, unsupported tensor types,
// external data, or an opset outside what the engine implements.
graph::Graph importOnnx(const void* data, size_t size, const std::string& sourceName);

}  // namespace percept::onnx_import
