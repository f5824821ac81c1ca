// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md): the portable int8 GEMM (plain loops over the same packed layout the SIMD
// levels use: groups of 4 along K), the dispatcher between the levels, and the output stage.
#include "cpu/int8_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu/op_util.h"
#include "graph/quant.h"
#include "percept/error.h"

namespace percept::cpu {

namespace int8 {
namespace {

constexpr int kMr = 4, kNr = 8, kGroup = 4;

// Strips of kNr columns: [strip][K/4][kNr][4].
void packB(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) {
    const int64_t Kp = (K + kGroup - 1) / kGroup * kGroup;
    uint8_t* d = static_cast<uint8_t*>(dst);
    for (int64_t j0 = 0; j0 < n; j0 += kNr)
        for (int64_t k0 = 0; k0 < Kp; k0 += kGroup)
            for (int64_t j = 0; j < kNr; ++j)
                for (int64_t i = 0; i < kGroup; ++i)
                    *d++ = j0 + j < n && k0 + i < K ? static_cast<uint8_t>(rowOf(b, rows, ldb, k0 + i)[j0 + j] ^ flip) : 0;
}

void kernel(const void* aPanel, const void* bPacked, int64_t K, int64_t n, int32_t* c, int64_t ldc) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPanel);
    const uint8_t* b = static_cast<const uint8_t*>(bPacked);
    for (int64_t j0 = 0; j0 < n; j0 += kNr, b += groups * kNr * kGroup) {
        int32_t acc[kMr][kNr] = {};
        for (int64_t g = 0; g < groups; ++g) {
            const int8_t* ag = a + g * kMr * kGroup;
            const uint8_t* bg = b + g * kNr * kGroup;
            for (int r = 0; r < kMr; ++r)
                for (int j = 0; j < kNr; ++j)
                    for (int i = 0; i < kGroup; ++i) acc[r][j] += static_cast<int32_t>(ag[r * kGroup + i]) * static_cast<int32_t>(bg[j * kGroup + i]);
        }
        const int64_t cols = std::min<int64_t>(kNr, n - j0);
        for (int r = 0; r < kMr; ++r)
            for (int64_t j = 0; j < cols; ++j) c[r * ldc + j0 + j] = acc[r][j];
    }
}

// x packed by packB with n = 1: group g's 4 values at g * kNr * 4.
void gemv(const void* aPacked, const void* xPacked, int64_t M, int64_t K, int32_t* y) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPacked);
    const uint8_t* x = static_cast<const uint8_t*>(xPacked);
    for (int64_t m0 = 0; m0 < M; m0 += kMr, a += groups * kMr * kGroup) {
        int32_t acc[kMr] = {};
        for (int64_t g = 0; g < groups; ++g)
            for (int r = 0; r < kMr; ++r)
                for (int i = 0; i < kGroup; ++i)
                    acc[r] += static_cast<int32_t>(a[(g * kMr + r) * kGroup + i]) * static_cast<int32_t>(x[g * kNr * kGroup + i]);
        for (int64_t r = 0; r < kMr && m0 + r < M; ++r) y[m0 + r] = acc[r];
    }
}

void requantRow(const int32_t* acc, int64_t n, float scale, float offset, int32_t zp, int32_t lo, int32_t hi, uint8_t* q) {
    for (int64_t j = 0; j < n; ++j) {
        q[j] = static_cast<uint8_t>(clampSteps(std::nearbyint(static_cast<float>(acc[j]) * scale + offset) + static_cast<float>(zp), lo, hi));
    }
}

void max3s2(const uint8_t* t, uint8_t* y, int64_t n) {
    for (int64_t j = 0; j < n; ++j) y[j] = std::max(std::max(t[2 * j], t[2 * j + 1]), t[2 * j + 2]);
}

// Rounding halves to even by the fp32 trick (v + 1.5 * 2^23 - 1.5 * 2^23, exact for
// |v| < 2^22 in the default rounding mode) after clamping, so the loop needs no libm call.
void quantizeRow(const float* x, uint8_t* q, int64_t n, float scale, int32_t zero, int32_t lo, int32_t hi) {
    constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
    const float z = static_cast<float>(zero), l = static_cast<float>(lo), h = static_cast<float>(hi);
    for (int64_t i = 0; i < n; ++i) {
        float v = x[i] / scale;
        v = v == v ? v : 0.0f;
        v = v > -4.0e6f ? (v < 4.0e6f ? v : 4.0e6f) : -4.0e6f;
        v = (v + kMagic) - kMagic + z;
        v = v < l ? l : v > h ? h : v;
        q[i] = static_cast<uint8_t>(static_cast<int32_t>(v));
    }
}

void addRow(const uint8_t* a, const uint8_t* b, int64_t n, uint8_t flipA, uint8_t flipB, float ca, float cb, float c0, int32_t zp, int32_t lo,
            int32_t hi, uint8_t* y) {
    for (int64_t i = 0; i < n; ++i) {
        const float v = static_cast<float>(a[i] ^ flipA) * ca + (static_cast<float>(b[i] ^ flipB) * cb + c0);
        y[i] = static_cast<uint8_t>(clampSteps(std::nearbyint(v) + static_cast<float>(zp), lo, hi));
    }
}

void columnSums(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, int32_t* sums) {
    std::fill(sums, sums + n, 0);
    for (int64_t k = 0; k < K; ++k) {
        const uint8_t* row = rowOf(b, rows, ldb, k);
        for (int64_t j = 0; j < n; ++j) sums[j] += static_cast<uint8_t>(row[j] ^ flip);
    }
}

void zeroTerms(int32_t* c, int64_t ldc, const int32_t* zero, int64_t rows, const int32_t* sums, int64_t n) {
    for (int64_t r = 0; r < rows; ++r)
        if (zero[r])
            for (int64_t j = 0; j < n; ++j) c[r * ldc + j] -= zero[r] * sums[j];
}

void toOffsets(const uint8_t* x, float* y, int64_t n, uint8_t flip, float zero) {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<uint8_t>(x[i] ^ flip)) - zero;
}

}  // namespace

const Int8Kernels kPortable = {"generic", kMr, kNr, kGroup, 1, &packPanels<kMr, kGroup, int8_t>, &packB, &kernel, &packPanels<kMr, kGroup, int8_t>, &gemv, kMr,
                               &requantRow, &max3s2, &quantizeRow, &addRow,
                               &columnSums, &zeroTerms, &toOffsets};

}  // namespace int8

const Int8Kernels& int8KernelsFor(const CpuKernels& simd) {
#if defined(__x86_64__) || defined(__i386__)
    static const bool vnni = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512vnni") != 0;
    }();
    switch (simd.isa) {
        case Isa::Avx512: return vnni ? avx512::kInt8Vnni : avx2::kInt8Kernels;
        case Isa::Avx2: return avx2::kInt8Kernels;
        default: return int8::kPortable;
    }
#elif defined(__aarch64__)
    // arm64: SDOT where the CPU has the dot-product extension (ARMv8.2+), else plain loops.
    return simd.isa == Isa::Neon && armFeatures().dotProd ? neon::kInt8Dot : int8::kPortable;
#else
    (void)simd;
    return int8::kPortable;
#endif
}

namespace {

// round(v / step) as an integer, saturated far outside any 8-bit range (the clamp bounds of an
// activation given in real units).
int32_t stepsOf(float v, float step) {
    const double q = std::nearbyint(static_cast<double>(v) / step);
    return q < -1e6 ? -1000000 : q > 1e6 ? 1000000 : static_cast<int32_t>(q);
}

}  // namespace

QuantOut::QuantOut(const graph::Value& out, const graph::FusedActivation& act) : act_(act) {
    using graph::Activation;
    type_ = out.dtype;
    if (!graph::isByteType(type_)) {
        mode_ = Mode::Float;
        return;
    }
    if (!out.quant.perTensor()) throw Error("internal error: int8 output '" + out.name + "' has no scale and zero point");
    outScale_ = out.quant.scale[0];
    zp_ = out.quant.zeroPoint[0];
    lo_ = graph::qmin(type_);
    hi_ = graph::qmax(type_);
    mode_ = act.kind == Activation::None || act.kind == Activation::Relu || act.kind == Activation::Clip ? Mode::Clamp : Mode::General;
    if (act.kind == Activation::Relu) lo_ = std::max(lo_, zp_);
    if (act.kind == Activation::Clip) {
        // round(clamp(r, a, b) / s) = clamp(round(r / s), round(a / s), round(b / s)): rounding is monotonic.
        if (std::isfinite(act.min)) lo_ = std::max(lo_, zp_ + stepsOf(act.min, outScale_));
        if (std::isfinite(act.max)) hi_ = std::min(hi_, zp_ + stepsOf(act.max, outScale_));
        if (hi_ < lo_) lo_ = hi_;  // min > max: ONNX's Clip gives max
    }
}

void QuantOut::fromReal(float* r, int64_t n, void* out, int64_t stride) const {
    if (mode_ == Mode::Float) {
        if (act_.any()) activate(act_, r, r, n);
        float* y = static_cast<float*>(out);
        for (int64_t j = 0; j < n; ++j) y[j * stride] = r[j];
        return;
    }
    uint8_t* q = static_cast<uint8_t*>(out);
    if (mode_ == Mode::Clamp) {
        for (int64_t j = 0; j < n; ++j) r[j] /= outScale_;
        fromSteps(r, n, q, stride);
        return;
    }
    activate(act_, r, r, n);
    for (int64_t j = 0; j < n; ++j) q[j * stride] = static_cast<uint8_t>(graph::quantizeOne(r[j], outScale_, zp_, type_));
}

OutputStage::OutputStage(const graph::Value& out, const graph::FusedActivation& act, const std::vector<double>& realScale,
                         const std::vector<double>& realOffset, const Int8Kernels& gemm)
    : q_(out, act), gemm_(gemm) {
    const double div = q_.clamp() ? q_.outScale() : 1.0;
    for (size_t m = 0; m < realScale.size(); ++m) {
        scale_.push_back(static_cast<float>(realScale[m] / div));
        offset_.push_back(static_cast<float>(realOffset[m] / div));
    }
}

void OutputStage::write(const int32_t* c, int64_t ldc, int64_t m0, int64_t rows, int64_t n, void* out, int64_t rowStride, int64_t colStride,
                        float* scratch) const {
    const size_t eb = q_.floatOutput() ? sizeof(float) : 1;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t m = m0 + r;
        const int32_t* acc = c + r * ldc;
        const float s = scale_[static_cast<size_t>(m)], o = offset_[static_cast<size_t>(m)];
        void* row = static_cast<uint8_t*>(out) + static_cast<size_t>(m * rowStride) * eb;
        if (q_.clamp() && colStride == 1) {
            gemm_.requantRow(acc, n, s, o, q_.zero(), q_.lo(), q_.hi(), static_cast<uint8_t*>(row));
            continue;
        }
        for (int64_t j = 0; j < n; ++j) scratch[j] = static_cast<float>(acc[j]) * s + o;
        if (q_.clamp()) q_.fromSteps(scratch, n, static_cast<uint8_t*>(row), colStride);
        else q_.fromReal(scratch, n, row, colStride);
    }
}

}  // namespace percept::cpu
