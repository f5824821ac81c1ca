// SPDX-License-Identifier: Apache-2.0
#pragma once
// OpKind: every ONNX op the engine knows, generated from graph/ops.def. The importer maps an
// op's name to its kind once; everything after it (schemas, kernels, passes) switches on the
// kind, never on the name.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace percept::graph {

enum class OpKind : uint16_t {
#define PERCEPT_OP(kind, name) kind,
#include "graph/ops.def"
#undef PERCEPT_OP
};

inline constexpr size_t kOpCount = 0
#define PERCEPT_OP(kind, name) +1
#include "graph/ops.def"
#undef PERCEPT_OP
    ;

// The ONNX name of an op ("Conv").
const char* opName(OpKind k);
// The kind of an ONNX op name; nullopt for an op the engine does not know.
std::optional<OpKind> opKindFromName(std::string_view name);
// Why an op the engine does not know is refused: a sentence for the well-known families that
// are out of scope (recurrent, control flow, random, sequence, training), else a generic one.
const char* unknownOpReason(std::string_view name);

// An entry of a backend's kernel table: the backend's function for the op, or null and why the
// backend does not run it.
template <class Fn>
struct BackendOp {
    OpKind kind;
    Fn fn = nullptr;
    const char* missing = nullptr;
};

// A per-kind table (schemas, backend kernels) is complete when it has one entry per kind, in
// ops.def order; the tables static_assert this.
template <class Entry, size_t N>
constexpr bool coversEveryOp(const Entry (&table)[N]) {
    if (N != kOpCount) return false;
    for (size_t k = 0; k < N; ++k)
        if (static_cast<size_t>(table[k].kind) != k) return false;
    return true;
}

}  // namespace percept::graph
