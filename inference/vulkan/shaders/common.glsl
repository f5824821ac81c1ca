// SPDX-License-Identifier: Apache-2.0
// Shared by every shader: the storage type of tensors and the fused activations.
//
// Each .comp is compiled twice (see ../CMakeLists.txt): with FP16 defined, tensors in storage
// buffers are float16_t (VK_KHR_16bit_storage) and every value is widened to fp32 on load, so
// the arithmetic stays fp32; without it they are plain floats.
#extension GL_EXT_control_flow_attributes : enable
#ifdef FP16
#extension GL_EXT_shader_16bit_storage : require
#define sfloat float16_t
#define svec4 f16vec4
#else
#define sfloat float
#define svec4 vec4
#endif
// The arithmetic type of a kernel's inner products: float16_t in the "_fp16a" variant of a
// shader that has one (FP16_ARITH: the device's shaderFloat16, SessionOptions::fp16Arithmetic),
// which then sums short runs of products in fp16 and adds those sums to fp32 accumulators;
// float otherwise.
#ifdef FP16_ARITH
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define afloat float16_t
#define avec4 f16vec4
#else
#define afloat float
#define avec4 vec4
#endif

// Activation codes: ACT_<Name>, generated from graph/activations.def (activation_codes.glsl,
// written by CMake), the same numbers as graph::Activation. `kind` is a specialisation constant
// in every caller, so the driver folds the branches away. a, b: the parameters
// (vk_ops.cpp activationParams: Clip [a, b] = [min, max], otherwise alpha and beta).
#include "activation_codes.glsl"

// erf as a rational function on [-4, 4] (Eigen's generic_fast_erf_float: a few ulp in fp32);
// the same coefficients as the CPU kernels (cpu/activation.cpp). Beyond +-4 erf is +-1 in fp32
// exactly: returned as such, since a GPU's division (NVIDIA's: reciprocal and multiply, 2 ulp)
// gives -0.99999994 there, and Gelu of -1e30 came out -4e21 instead of -0 on an H100.
float erfApprox(float v) {
    const float x = clamp(v, -4.0, 4.0);
    const float x2 = x * x;
    float p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
    p = p * x2 - 2.10102402082508e-06;
    p = p * x2 - 5.69250639462346e-05;
    p = p * x2 - 7.34990630326855e-04;
    p = p * x2 - 2.95459980854025e-03;
    p = p * x2 - 1.60960333262415e-02;
    p = p * x;
    float q = x2 * -1.45660718464996e-05 - 2.13374055278905e-04;
    q = q * x2 - 1.68282697438203e-03;
    q = q * x2 - 7.37332916720468e-03;
    q = q * x2 - 1.42647390514189e-02;
    return abs(v) >= 4.0 ? sign(v) : p / q;
}

// GLSL leaves log, sqrt, pow, asin, acos, acosh, atanh undefined outside their domains (and
// sign of NaN); ONNX (numpy, IEEE) gives NaN, or +-inf at the poles. These helpers spell that
// out so no driver decides.
bool signBit(float v) { return (floatBitsToUint(v) & 0x80000000u) != 0u; }
float nanValue() { return uintBitsToFloat(0x7fc00000u); }
float infValue() { return uintBitsToFloat(0x7f800000u); }
float logOf(float v) { return v > 0.0 ? log(v) : v == 0.0 ? -infValue() : nanValue(); }
float sqrtOf(float v) { return v >= 0.0 ? sqrt(v) : nanValue(); }
// Through atan (the drivers' asin/acos polynomials are off by up to 4e-4), with 1 - v^2 as
// (1 - v)(1 + v), exact near |v| = 1.
float asinOf(float v) { return abs(v) <= 1.0 ? atan(v, sqrt((1.0 - v) * (1.0 + v))) : nanValue(); }
float acosOf(float v) { return abs(v) <= 1.0 ? atan(sqrt((1.0 - v) * (1.0 + v)), v) : nanValue(); }
// The log forms with their large-|v| branch, where v * v would overflow.
float asinhOf(float v) {
    const float a = abs(v);
    const float r = a > 1e18 ? log(a) + 0.69314718055994531 : log(a + sqrt(a * a + 1.0));
    return v < 0.0 ? -r : r;
}
float acoshOf(float v) {
    if (!(v >= 1.0)) return nanValue();
    return v > 1e18 ? log(v) + 0.69314718055994531 : log(v + sqrt(v * v - 1.0));
}
float atanhOf(float v) {
    const float a = abs(v);
    if (!(a <= 1.0)) return nanValue();
    const float r = a == 1.0 ? infValue() : 0.5 * log((1.0 + a) / (1.0 - a));
    return v < 0.0 ? -r : r;
}
float signOf(float v) { return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : v; }  // 0 and NaN as they are
// pow as C/numpy: negative bases with integer exponents, zero bases, NaN rules.
float powOf(float x, float y) {
    if (y == 0.0 || x == 1.0 || (x == -1.0 && isinf(y))) return 1.0;
    if (isnan(x) || isnan(y)) return nanValue();
    if (y == 2.0) return x * x;
    const bool intY = floor(y) == y;
    const bool oddY = intY && abs(y) < 16777216.0 && mod(y, 2.0) == 1.0;
    if (x == 0.0) {
        const float r = y > 0.0 ? 0.0 : infValue();
        return oddY && signBit(x) ? -r : r;
    }
    if (x < 0.0 && !intY) return nanValue();
    const float r = exp2(y * log2(abs(x)));
    return x < 0.0 && oddY ? -r : r;
}
// C's fmod (the sign of the dividend), ONNX Mod with fmod=1: x - trunc(x / y) y, with the
// quotient corrected by one where x / y rounded across an integer. Exact while |x / y| stays
// well inside 2^24.
float fmodOf(float x, float y) {
    if (y == 0.0 || isnan(x) || isnan(y) || isinf(x)) return nanValue();
    if (isinf(y)) return x;
    const float ay = abs(y);
    float r = fma(-trunc(x / y), y, x);
    if (x >= 0.0) {
        if (r < 0.0) r += ay;
        if (r >= ay) r -= ay;
    } else {
        if (r > 0.0) r -= ay;
        if (r <= -ay) r += ay;
    }
    return r;
}

float sigmoidOf(float v) { return 1.0 / (1.0 + exp(-v)); }
// log(1 + e^v) without overflow for large v.
float softplusOf(float v) { return v > 20.0 ? v : log(1.0 + exp(v)); }
float tanhOf(float v) {
    // GLSL's tanh overflows in exp for |v| > ~44 on some drivers: saturate first.
    if (abs(v) > 10.0) return sign(v);
    return tanh(v);
}

float activate(uint kind, float v, float a, float b) {
    // NaN gives NaN (numpy, IEEE; GLSL's min/max/clamp/step leave it undefined), except the
    // predicates.
    if (kind != ACT_None && isnan(v))
        return kind == ACT_IsNaN || kind == ACT_NonZero ? 1.0 : kind == ACT_IsInf || kind == ACT_Not ? 0.0 : v;
    switch (kind) {
        case ACT_Relu: return max(v, 0.0);
        case ACT_Clip: return min(max(v, a), b);
        case ACT_LeakyRelu: return v < 0.0 ? v * a : v;
        case ACT_Sigmoid: return sigmoidOf(v);
        case ACT_HardSigmoid: return clamp(a * v + b, 0.0, 1.0);
        case ACT_HardSwish: return v * clamp(v / 6.0 + 0.5, 0.0, 1.0);
        case ACT_Silu: return v * sigmoidOf(v);
        case ACT_Tanh: return tanhOf(v);
        case ACT_Erf: return erfApprox(v);
        case ACT_Gelu: return 0.5 * v * (1.0 + erfApprox(v * 0.70710678118654752));
        case ACT_GeluTanh: return 0.5 * v * (1.0 + tanhOf(0.79788456080286536 * (v + 0.044715 * v * v * v)));
        case ACT_Elu: return v < 0.0 ? a * (exp(v) - 1.0) : v;
        case ACT_Selu: return v <= 0.0 ? b * (a * exp(v) - a) : b * v;
        case ACT_Celu: return v > 0.0 ? v : a * (exp(v / a) - 1.0);  // max(0, x) + min(0, a (e^(x/a) - 1)) for any a
        case ACT_ThresholdedRelu: return v > a ? v : 0.0;
        case ACT_Softplus: return softplusOf(v);
        case ACT_Softsign: return v / (1.0 + abs(v));
        case ACT_Mish: return v * tanhOf(softplusOf(v));
        case ACT_Shrink: return v < -b ? v + a : v > b ? v - a : 0.0;
        case ACT_Exp: return exp(v);
        case ACT_Log: return logOf(v);
        case ACT_Neg: return -v;
        case ACT_Abs: return abs(v);
        case ACT_Sqrt: return sqrtOf(v);
        case ACT_Reciprocal: return 1.0 / v;
        case ACT_Sin: return sin(v);
        case ACT_Cos: return cos(v);
        case ACT_Tan: return tan(v);
        case ACT_Asin: return asinOf(v);
        case ACT_Acos: return acosOf(v);
        case ACT_Atan: return atan(v);
        case ACT_Sinh: return sinh(v);
        case ACT_Cosh: return cosh(v);
        case ACT_Asinh: return asinhOf(v);
        case ACT_Acosh: return acoshOf(v);
        case ACT_Atanh: return atanhOf(v);
        case ACT_Ceil: return ceil(v);
        case ACT_Floor: return floor(v);
        case ACT_Round: return roundEven(v);
        case ACT_Sign: return signOf(v);
        case ACT_Not: return v == 0.0 ? 1.0 : 0.0;
        case ACT_IsNaN: return isnan(v) ? 1.0 : 0.0;
        case ACT_IsInf: return (isinf(v) && ((v > 0.0 && a != 0.0) || (v < 0.0 && b != 0.0))) ? 1.0 : 0.0;
        case ACT_Truncate: return trunc(v);
        case ACT_NonZero: return v != 0.0 ? 1.0 : 0.0;
        default: return v;
    }
}
vec4 activate4(uint kind, vec4 v, float a, float b) {
    if (kind == ACT_None) return v;
    if (kind == ACT_Relu) return mix(max(v, vec4(0.0)), v, isnan(v));
    return vec4(activate(kind, v.x, a, b), activate(kind, v.y, a, b), activate(kind, v.z, a, b), activate(kind, v.w, a, b));
}
