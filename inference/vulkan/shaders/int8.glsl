// SPDX-License-Identifier: Apache-2.0
// What the int8 shaders share (INT8.md): 8-bit tensors in storage buffers as raw bytes
// (VK_KHR_8bit_storage), the code a byte holds, ONNX's rounding onto an 8-bit grid, and the
// packed 4 x 8-bit dot products of VK_KHR_shader_integer_dot_product.
//
// The session runs these shaders only on a device with shaderInt8, 8-bit storage and integer
// dot products (Context::supportsInt8DotProduct). The dot products are declared through
// GL_EXT_spirv_intrinsics: Debian 12's glslang (11.13) predates GL_EXT_integer_dot_product,
// and the SPIR-V instruction is what that extension would emit.
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_spirv_intrinsics : require

// OpSUDot (4452) on PackedVectorFormat4x8Bit (0): the sum of the four products of a's bytes
// as signed and b's bytes as unsigned integers. Capabilities DotProduct (6019) and
// DotProductInput4x8BitPacked (6018).
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4452)
int dotSignedUnsigned4x8(uint a, uint b, spirv_literal int packedVectorFormat);
// OpUDot (4451): both unsigned (the sum of a column's codes: b against 0x01010101).
spirv_instruction(extensions = ["SPV_KHR_integer_dot_product"], capabilities = [6019, 6018], id = 4451)
uint dotUnsigned4x8(uint a, uint b, spirv_literal int packedVectorFormat);

// The code a raw byte holds: int8 codes are signed (isSigned: the tensor is Int8).
int codeOf(uint byteValue, bool isSigned) { return isSigned ? bitfieldExtract(int(byteValue), 0, 8) : int(byteValue); }

// ONNX QuantizeLinear of a real value: saturate(round_half_to_even(r / scale) + zero) onto
// [lo, hi] ([-128, 127] or [0, 255]), as a raw byte; the quotient in fp32, as the CPU's rows
// and graph::quantizeOne compute it (a multiplication by 1 / scale rounds some values near a
// half the other way). NaN becomes the zero point.
uint quantizeToByte(float r, float scale, int zero, int lo, int hi) {
    const float q = roundEven(r / scale);
    const int v = isnan(q) ? zero : int(clamp(q + float(zero), float(lo), float(hi)));
    return uint(v) & 0xffu;
}

// A result already in steps of the output's grid (the host divided the real terms by its scale,
// as cpu::int8::OutputStage does) as a raw byte: rounded, the zero point added, clamped to
// [lo, hi] (which applies a Relu or Clip activation).
uint stepsToByte(float v, int zero, int lo, int hi) { return uint(int(clamp(roundEven(v) + float(zero), float(lo), float(hi)))) & 0xffu; }
