// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): which quantised nodes the CPU backend runs, and their kernels. The list is
// INT8.md's table (what graph/fusion_qdq.cpp makes); a node with an 8-bit operand that is not
// in it is refused with the reason, never handed to a float kernel.
#include "cpu/int8.h"
#include "cpu/op_util.h"
#include "graph/quant.h"
#include "graph/schemas.h"

namespace percept::cpu {
namespace {

using graph::OpKind;

// The family factory for a quantised node, or null.
Factory factoryOf(const graph::Graph& g, const graph::Node& n) {
    switch (n.op) {
        case OpKind::Conv: return makeInt8Conv;
        case OpKind::Gemm:
        case OpKind::MatMul: return makeInt8Linear;
        case OpKind::Add: return makeInt8Add;
        case OpKind::Concat: return makeInt8Concat;
        case OpKind::MaxPool:
        case OpKind::AveragePool:
        case OpKind::GlobalAveragePool: return makeInt8Pool;
        case OpKind::Reshape:
        case OpKind::Flatten:
        case OpKind::Squeeze:
        case OpKind::Unsqueeze: return makeInt8View;
        default:
            if (graph::activationOf(n) && n.inputs.size() == 1) return makeInt8Table;
            return nullptr;
    }
    (void)g;
}

}  // namespace

bool int8Supports(const graph::Graph& g, const graph::Node& n, std::string* why) {
    if (factoryOf(g, n)) return true;
    if (why) *why = std::string(n.opName()) + " on the CPU: no int8 kernel for this op (INT8.md lists the quantised ops)";
    return false;
}

std::unique_ptr<Kernel> makeInt8Kernel(const graph::Graph& g, const graph::Node& n, const KernelConfig& cfg) {
    const Factory f = factoryOf(g, n);
    if (!f) fail(n, std::string(n.opName()) + " on the CPU: no int8 kernel for this op (INT8.md lists the quantised ops)");
    return f(g, n, cfg);
}

}  // namespace percept::cpu
