// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): pieces the quantised kernels share -- a value's codes as signed or unsigned
// integers, and the 256-entry tables that map each input code to an output code (a unary
// function, or a change of scale, zero point or type).
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "cpu/op_util.h"
#include "graph/quant.h"

namespace percept::cpu::int8 {

using Table = std::array<uint8_t, 256>;

// The code a raw byte holds (int8 codes are signed).
inline int32_t codeOf(uint8_t b, graph::DType t) { return t == graph::DType::Int8 ? static_cast<int8_t>(b) : b; }

inline void requirePerTensor(const graph::Node& n, const graph::Value& v) {
    if (!graph::isByteType(v.dtype) || !v.quant.perTensor()) fail(n, "the int8 tensor '" + v.name + "' has no scale and zero point");
}

// Whether two 8-bit values hold the same reals in the same bytes.
inline bool sameBytes(const graph::Value& a, const graph::Value& b) { return a.dtype == b.dtype && a.quant == b.quant; }

// out code of f(real(in code)) for every input byte; f: the node's functions, in order.
inline Table tableOf(const graph::Value& in, const graph::Value& out, std::initializer_list<graph::FusedActivation> f) {
    std::array<float, 256> r;
    for (int b = 0; b < 256; ++b)
        r[static_cast<size_t>(b)] = graph::dequantizeOne(codeOf(static_cast<uint8_t>(b), in.dtype), in.quant.scale[0], in.quant.zeroPoint[0]);
    for (const graph::FusedActivation& a : f)
        if (a.any()) activate(a, r.data(), r.data(), 256);
    Table t;
    for (size_t b = 0; b < 256; ++b) t[b] = static_cast<uint8_t>(graph::quantizeOne(r[b], out.quant.scale[0], out.quant.zeroPoint[0], out.dtype));
    return t;
}

// y[i] = table[x[i]] (x == y allowed), or a copy when there is no table.
inline void mapBytes(const uint8_t* x, uint8_t* y, int64_t n, const Table* t) {
    if (!t) {
        if (x != y) std::memmove(y, x, static_cast<size_t>(n));
        return;
    }
    for (int64_t i = 0; i < n; ++i) y[i] = (*t)[x[i]];
}

}  // namespace percept::cpu::int8
