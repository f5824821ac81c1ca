// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 on Vulkan (INT8.md): what the quantised op families share (vk_int8_linear.cpp,
// vk_int8_ops.cpp). They run on a device with 8-bit storage and packed integer dot products
// (Context::supportsInt8DotProduct); the session refuses a quantised model elsewhere, and the
// CPU backend runs it.
#include <string>

#include "graph/quant.h"
#include "vulkan/vk_op.h"

namespace percept::vk::int8 {

// The grid an op's result is rounded onto (its output's scale, zero point and type, the codes
// [lo, hi] a Relu or Clip activation leaves), or a float output (asFloat: the node writes the
// reals, as a quantised node ending a model does). As the CPU's cpu::int8::QuantOut reads them.
struct OutGrid {
    bool asFloat = false;
    bool steps = false;  // the activation is at most a clamp: [lo, hi] applies it
    float scale = 1.0f;
    int32_t zero = 0, lo = 0, hi = 255;
};
OutGrid outGridOf(Builder& b, const graph::Value& y, const graph::FusedActivation& act);

// A quantised Add's terms as cpu/int8_ops.cpp's AddKernel makes them: real = sa (a - za) +
// sb (b - zb) = ca a + (cb b + c0), divided by `div` (the output's scale where the result is
// rounded in steps, else 1); c0u is c0 for codes read as unsigned bytes (int8 ones XOR flip
// 0x80), as its addRow and the shaders' steps form read them.
struct AddTerms {
    float ca = 1.0f, cb = 1.0f, c0 = 0.0f, c0u = 0.0f;
    uint32_t flipA = 0, flipB = 0;
};
AddTerms addTermsOf(const graph::Value& a, const graph::Value& b, double div);

// The per-tensor scale and zero point of an 8-bit operand, or a refusal naming it.
const graph::QuantParams& perTensor(Builder& b, const graph::Value& v);

// A 256-entry table as the shaders read it (one word per entry).
template <class Table>
std::vector<uint32_t> tableWords(const Table& t) {
    return std::vector<uint32_t>(t.begin(), t.end());
}

// Raw 32-bit words for the shaders' parameter buffers.
uint32_t floatBits(float f);

}  // namespace percept::vk::int8

namespace percept::vk {

// The factory for a quantised node (INT8.md's table), nullptr with `why` set where there is
// none on Vulkan.
OpFactory findInt8Factory(const graph::Graph& g, const graph::Node& n, std::string* why);

void buildInt8Linear(Builder& b);   // quantised Conv (2-D, 1-D), Gemm, MatMul; a Conv with its residual Add fused
// Whether buildInt8Linear takes a quantised conv's residual Add (8-bit operands per tensor, the
// Add's activation at most a clamp, not depthwise).
bool fitsInt8FusedAdd(const graph::Graph& g, const graph::FusedAdd& fa);
void buildQuantize(Builder& b);     // QuantizeLinear, DequantizeLinear
void buildInt8Add(Builder& b);      // quantised Add
void buildInt8Concat(Builder& b);   // quantised Concat
void buildInt8Pool(Builder& b);     // quantised MaxPool, AveragePool, GlobalAveragePool
void buildInt8Map(Builder& b);      // views and unary functions of 8-bit tensors (tables)

}  // namespace percept::vk
