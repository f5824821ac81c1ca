// SPDX-License-Identifier: Apache-2.0
#pragma once
// int8 (INT8.md): the quantised GEMM behind the int8 convolutions and matrix products, one
// table per SIMD level, and the output stage that turns its int32 sums into the node's output.
//
//   C[M x N] (int32) = A[M x K] (int8 weights) * B[K x N] (uint8 activations)
//
// A is packed once, at session creation, into panels of mr rows; B is packed per tile of
// output columns into strips of nr columns. Both pad K to a multiple of kGroup with zeros. Int8
// activations are packed as uint8 by flipping their sign bit (x + 128), their zero point moving
// with them, so every level multiplies unsigned activations by signed weights: `vpdpbusd`
// (AVX-512 VNNI) on groups of 4, `vpmaddwd` on 16-bit pairs (AVX2), or plain loops.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpu/isa.h"
#include "graph/ir.h"

namespace percept::cpu {

struct Int8Kernels {
    const char* name = "";  // for the per-layer table: "vnni", "avx2", "generic"
    int mr = 0, nr = 0, kGroup = 0;
    int elemBytes = 1;  // of the packed operands: 1 (u8 / s8) or 2 (16-bit widened)
    // A: M x K int8, row-major with leading dimension lda -> panels (packedABytes).
    void (*packA)(const int8_t* a, int64_t lda, int64_t M, int64_t K, void* dst) = nullptr;
    // B: K rows of n bytes -- row k at b + rows[k], or at b + k * ldb when rows is null -- each
    // XORed with `flip` (0x80 for int8 activations) -> strips of nr columns (packedBBytes).
    void (*packB)(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) = nullptr;
    // One A panel times packed B: C rows [0, mr), columns [0, n), c[r * ldc + j].
    void (*kernel)(const void* aPanel, const void* b, int64_t K, int64_t n, int32_t* c, int64_t ldc) = nullptr;
    // Matrix-vector product for a single column: y[m] = A[m] . x over K, for m < M, on A packed
    // by packGemv (packedGemvBytes) and x packed by packB with n = 1. y has room for M + 16
    // values (int8::accBytes): a level may write its last panel whole.
    void (*packGemv)(const int8_t* a, int64_t lda, int64_t M, int64_t K, void* dst) = nullptr;
    void (*gemv)(const void* a, const void* x, int64_t M, int64_t K, int32_t* y) = nullptr;
    int gemvRows = 1;  // rows per packGemv panel
    // q[j] = clamp(round(acc[j] * scale + offset) + zp, lo, hi) as a byte, for j < n.
    void (*requantRow)(const int32_t* acc, int64_t n, float scale, float offset, int32_t zp, int32_t lo, int32_t hi, uint8_t* q) = nullptr;

    // ---- Rows of the other quantised ops.
    // MaxPool's 3-wide windows at stride 2 across a row of codes in unsigned order:
    // y[j] = max(t[2j], t[2j+1], t[2j+2]) for j < n; reads t[0 .. 2n].
    void (*max3s2)(const uint8_t* t, uint8_t* y, int64_t n) = nullptr;
    // QuantizeLinear: q[i] = clamp(round_half_even(x[i] / scale) + zero, lo, hi); NaN gives zero.
    void (*quantizeRow)(const float* x, uint8_t* q, int64_t n, float scale, int32_t zero, int32_t lo, int32_t hi) = nullptr;
    // Add in output steps: y[i] = clamp(round(a[i] * ca + (b[i] * cb + c0)) + zp, lo, hi), a and b
    // as unsigned bytes (an int8 input's sign bit flipped by the caller's choice of c0: see AddKernel).
    void (*addRow)(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t flipA, uint8_t flipB, float ca, float cb, float c0, int32_t zp,
                   int32_t lo, int32_t hi, uint8_t* y) = nullptr;
    // Weights with zero points (int8_gemm_driver.h): sums[j] = sum over the K rows of B (as packB
    // finds them) of (byte ^ flip), for j < n; then c[r][j] -= zero[r] * sums[j] over a block.
    void (*columnSums)(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, int32_t* sums) = nullptr;
    void (*zeroTerms)(int32_t* c, int64_t ldc, const int32_t* zero, int64_t rows, const int32_t* sums, int64_t n) = nullptr;
    // Depthwise: y[i] = (x[i] ^ flip) - zero as floats, the codes' offsets from the zero point.
    void (*toOffsets)(const uint8_t* x, float* y, int64_t n, uint8_t flip, float zero) = nullptr;
    // Depthwise 3x3, stride 1, on one channel already padded with its zero point: rows of `ld`
    // bytes, OH + 2 of them, each readable 64 + 2 bytes past OW (codes ^ flip are the GEMM's
    // uint8 values). acc[oy * OW + ox] = sum over the taps of (w - wZero) x; w: the 9 int8 taps.
    // (int8_depthwise.cpp calls it with OH = 1 over a plane's padded rows laid end to end.)
    // Null where the level has none (int8_depthwise.cpp then takes the fp32 kernel's path).
    void (*depthwise3x3s1)(const uint8_t* x, int64_t ld, int64_t OH, int64_t OW, uint8_t flip, const int8_t* w, int32_t wZero, int32_t* acc) = nullptr;
    // Depthwise 3x3, stride 2, the same contract on rows 2 OH + 1 tall, each readable to byte
    // 2 * (OW rounded up to 16) + 1: acc[oy * OW + ox] = sum over ky, kx of
    // (w - wZero) (x[(2 oy + ky) * ld + 2 ox + kx] ^ flip). Null where the level has none.
    void (*depthwise3x3s2)(const uint8_t* x, int64_t ld, int64_t OH, int64_t OW, uint8_t flip, const int8_t* w, int32_t wZero, int32_t* acc) = nullptr;

    int64_t kPadded(int64_t K) const { return (K + kGroup - 1) / kGroup * kGroup; }
    int64_t panels(int64_t M) const { return (M + mr - 1) / mr; }
    int64_t strips(int64_t n) const { return (n + nr - 1) / nr; }
    size_t packedABytes(int64_t M, int64_t K) const { return static_cast<size_t>(panels(M) * mr * kPadded(K) * elemBytes); }
    size_t panelBytes(int64_t K) const { return static_cast<size_t>(mr * kPadded(K) * elemBytes); }
    size_t packedBBytes(int64_t K, int64_t n) const { return static_cast<size_t>(strips(n) * nr * kPadded(K) * elemBytes); }
    size_t packedGemvBytes(int64_t M, int64_t K) const {
        return static_cast<size_t>((M + gemvRows - 1) / gemvRows * gemvRows * kPadded(K) * elemBytes);
    }
};

// The weights' panels every level packs (packA, packGemv): M x K int8 (row-major, lda) as
// panels of Rows rows, K in groups of Group zero-padded, [panel][K / Group][Rows][Group], each
// value stored as T (int8, or int16 for the 16-bit dot products).
template <int Rows, int Group, class T>
void packPanels(const int8_t* a, int64_t lda, int64_t M, int64_t K, void* dst) {
    const int64_t Kp = (K + Group - 1) / Group * Group;
    T* d = static_cast<T*>(dst);
    for (int64_t m0 = 0; m0 < M; m0 += Rows)
        for (int64_t k0 = 0; k0 < Kp; k0 += Group)
            for (int64_t r = 0; r < Rows; ++r)
                for (int64_t i = 0; i < Group; ++i) *d++ = m0 + r < M && k0 + i < K ? a[(m0 + r) * lda + k0 + i] : 0;
}

// Where packB finds row k of B.
inline const uint8_t* rowOf(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t k) { return b + (rows ? rows[k] : k * ldb); }

// The stride-2 depthwise byte kernels' taps (Int8Kernels::depthwise3x3s2): per window row ky,
// the 16-bit pair (w0 - wZero, w1 - wZero) as one 32-bit word for vpmaddwd / vpdpwssd, and
// (w2 - wZero, 0); |w - wZero| <= 255 fits 16 bits exactly.
inline void depthwiseS2Taps(const int8_t* w, int32_t wZero, int32_t pair[3], int32_t last[3]) {
    for (int ky = 0; ky < 3; ++ky) {
        const auto tap = [&](int kx) { return static_cast<uint32_t>(static_cast<uint16_t>(static_cast<int16_t>(w[3 * ky + kx] - wZero))); };
        pair[ky] = static_cast<int32_t>(tap(0) | tap(1) << 16);
        last[ky] = static_cast<int32_t>(tap(2));
    }
}

// v clamped to [lo, hi] as an integer; NaN (from a NaN bias in a broken file) gives lo.
inline int32_t clampSteps(float v, int32_t lo, int32_t hi) {
    return v >= static_cast<float>(lo) ? (v <= static_cast<float>(hi) ? static_cast<int32_t>(v) : hi) : lo;
}

// The int8 GEMM for a session's SIMD level (one dispatcher, as cpuKernels() is for fp32):
// Avx512 takes VNNI where the CPU has AVX-512 VNNI and the AVX2 kernels otherwise, Avx2 the
// AVX2 ones, Neon the SDOT GEMM where the CPU has the dot-product extension, every other level
// (and Neon without it) the portable loops.
const Int8Kernels& int8KernelsFor(const CpuKernels& simd);

// Each level's table (int8_kernels.cpp, int8_avx2.cpp, int8_vnni.cpp, int8_neon_dotprod.cpp).
namespace int8 {
extern const Int8Kernels kPortable;
}
namespace avx2 {
extern const Int8Kernels kInt8Kernels;
// Shared with the VNNI table (AVX2 code runs on every AVX-512 CPU).
void max3s2(const uint8_t* t, uint8_t* y, int64_t n);
void quantizeRow(const float* x, uint8_t* q, int64_t n, float scale, int32_t zero, int32_t lo, int32_t hi);
void addRow(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t flipA, uint8_t flipB, float ca, float cb, float c0, int32_t zp, int32_t lo,
            int32_t hi, uint8_t* y);
void columnSums(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, int32_t* sums);
void zeroTerms(int32_t* c, int64_t ldc, const int32_t* zero, int64_t rows, const int32_t* sums, int64_t n);
void toOffsets(const uint8_t* x, float* y, int64_t n, uint8_t flip, float zero);
}
namespace avx512 {
extern const Int8Kernels kInt8Vnni;
}
namespace neon {
extern const Int8Kernels kInt8Dot;  // arm64 with the dot-product extension (int8_neon_dotprod.cpp)
}

// The output side of a quantised node (INT8.md): real results -> the fused activation -> the
// output's rounding (8-bit) or nothing (Float32). Relu and Clip on an 8-bit output are a clamp
// of the integers (rounding is monotonic), the fast path of every kernel.
class QuantOut {
public:
    QuantOut(const graph::Value& out, const graph::FusedActivation& act);
    bool floatOutput() const { return mode_ == Mode::Float; }
    bool clamp() const { return mode_ == Mode::Clamp; }  // 8-bit, activation at most a clamp
    float outScale() const { return outScale_; }      // 8-bit: the output's scale
    int32_t zero() const { return zp_; }
    int32_t lo() const { return lo_; }
    int32_t hi() const { return hi_; }
    // n real values r (overwritten) into out[j * stride] (bytes or floats).
    void fromReal(float* r, int64_t n, void* out, int64_t stride) const;
    // n values already divided by the output's scale (clamp() only) into bytes.
    void fromSteps(const float* v, int64_t n, uint8_t* out, int64_t stride) const {
        for (int64_t j = 0; j < n; ++j) out[j * stride] = static_cast<uint8_t>(clampSteps(std::nearbyint(v[j]) + static_cast<float>(zp_), lo_, hi_));
    }

private:
    enum class Mode { Clamp, General, Float } mode_;
    int32_t zp_ = 0, lo_ = 0, hi_ = 255;
    float outScale_ = 1.0f;
    graph::DType type_ = graph::DType::UInt8;
    graph::FusedActivation act_;
};

// The end of every quantised product: per output row m, the real result is
//     r = acc * realScale[m] + realOffset[m]
// (acc the int32 sum over uint8 activations; the activations' zero point and the bias are
// folded into realOffset), then QuantOut.
class OutputStage {
public:
    OutputStage(const graph::Value& out, const graph::FusedActivation& act, const std::vector<double>& realScale,
                const std::vector<double>& realOffset, const Int8Kernels& gemm);
    // Rows [m0, m0 + rows) of C (columns [0, n), leading dimension ldc) into the output: element
    // (m, j) at out + m * rowStride + j * colStride (in elements of the output's type).
    // scratch: n floats.
    void write(const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t n, void* out, int64_t rowStride, int64_t colStride,
               float* scratch) const;
    bool floatOutput() const { return q_.floatOutput(); }

private:
    QuantOut q_;
    std::vector<float> scale_, offset_;  // clamp(): in output steps; otherwise real values
    const Int8Kernels& gemm_;
};

}  // namespace percept::cpu
