// SPDX-License-Identifier: Apache-2.0
#pragma once
// One schema per op (after ONNX's own OpSchema, reduced to what the engine needs): how many
// inputs it takes, the check and shape inference that run at load time, and its FLOP count.
// The table (op_schema.cpp) has one entry per line of ops.def, checked at compile time.
//
// infer() sees a node whose inputs have known shapes and that constant folding did not
// evaluate. It rejects every attribute or input it does not support with an error naming the
// node, rewrites the node's parameters into one canonical form for the backends (explicit
// pads, non-negative sorted axes, parameters given as constant inputs in newer opsets copied
// into attributes), and sets each output's shape and dtype.
#include <cstdint>

#include "graph/ir.h"

namespace percept::graph {

struct OpSchema {
    OpKind kind;
    int minInputs = 1, maxInputs = 1;  // maxInputs < 0: variadic
    void (*infer)(Graph& g, Node& n) = nullptr;
    // Multiply-adds count as 2; null: data movement only.
    int64_t (*flops)(const Graph& g, const Node& n) = nullptr;
    // Shape arithmetic that must fold to a constant at load time; a backend never runs it.
    bool foldOnly = false;
};

const OpSchema& schemaOf(OpKind k);

}  // namespace percept::graph
