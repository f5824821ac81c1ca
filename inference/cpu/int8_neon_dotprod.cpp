// SPDX-License-Identifier: Apache-2.0
// int8 (INT8.md) on arm64 CPUs with the dot-product extension (ARMv8.2 FEAT_DotProd: SDOT,
// every phone core since the Cortex-A55/A75 and the Raspberry Pi 5's A76): the GEMM and GEMV
// of the quantised Conv, Gemm and MatMul. The other rows (requantisation, pooling, Add, ...)
// are the portable ones. Compiled on aarch64 only (inference/CMakeLists.txt: *neon* files);
// chosen by int8KernelsFor() at the NEON level where HWCAP reports ASIMDDP.
//
// SDOT multiplies signed bytes by signed bytes; the activations are unsigned (codes ^ flip, as
// on every level). packB stores them minus 128 (one more XOR with 0x80, exact), and each row's
// products get 128 x (the sum of its weights) back: A (b - 128) + 128 sum(A) = A b. The sum is
// one more SDOT per group against a vector of ones, once per call of the kernel.
//
// The tile is 8 rows x 8 columns: 16 accumulators of 4 columns each. Per group of 4 along K,
// two loads of A (rows 0-3, 4-7), two of B (columns 0-3, 4-7) and 16 SDOTs, each taking one
// row's 4 weights from a lane of A, so an accumulator holds 4 consecutive columns of one row
// and stores straight into C.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "cpu/int8_kernels.h"

namespace percept::cpu::neon {
namespace {

constexpr int kMr = 8, kNr = 8, kGroup = 4;

// Strips of kNr columns: [strip][K/4][kNr][4], each byte (b ^ flip) - 128 as a signed byte.
void packB(const uint8_t* b, const int64_t* rows, int64_t ldb, int64_t K, int64_t n, uint8_t flip, void* dst) {
    const int64_t Kp = (K + kGroup - 1) / kGroup * kGroup;
    const uint8_t toSigned = static_cast<uint8_t>(flip ^ 0x80u);
    uint8_t* d = static_cast<uint8_t*>(dst);
    for (int64_t j0 = 0; j0 < n; j0 += kNr)
        for (int64_t k0 = 0; k0 < Kp; k0 += kGroup)
            for (int64_t j = 0; j < kNr; ++j)
                for (int64_t i = 0; i < kGroup; ++i)
                    *d++ = j0 + j < n && k0 + i < K ? static_cast<uint8_t>(rowOf(b, rows, ldb, k0 + i)[j0 + j] ^ toSigned) : 0;
}

// The dot-product code: a target region of its own (the rest of the engine is plain ARMv8-A),
// with nothing but these functions inside, so no inline function of a shared header is
// compiled for the extension.
#pragma GCC push_options
#pragma GCC target("arch=armv8.2-a+dotprod")

// 128 x each row's weight sum over the panel's groups (rows 0-3, 4-7).
inline void rowCorrections(const int8_t* a, int64_t groups, int32x4_t& c0, int32x4_t& c1) {
    const int8x16_t ones = vdupq_n_s8(1);
    int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
    for (int64_t g = 0; g < groups; ++g) {
        s0 = vdotq_s32(s0, vld1q_s8(a + g * 32), ones);
        s1 = vdotq_s32(s1, vld1q_s8(a + g * 32 + 16), ones);
    }
    c0 = vshlq_n_s32(s0, 7);
    c1 = vshlq_n_s32(s1, 7);
}

// acc[r][h] += (B columns 4h .. 4h + 3) . (row r's 4 weights), for one group.
#define PERCEPT_SDOT_ROW(r, a)                                \
    acc[r][0] = vdotq_laneq_s32(acc[r][0], b0, a, (r) % 4); \
    acc[r][1] = vdotq_laneq_s32(acc[r][1], b1, a, (r) % 4)

void kernel(const void* aPanel, const void* bPacked, int64_t K, int64_t n, int32_t* c, int64_t ldc) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPanel);
    const int8_t* b = static_cast<const int8_t*>(bPacked);
    int32x4_t corr0, corr1;
    rowCorrections(a, groups, corr0, corr1);
    int32_t corr[kMr];
    vst1q_s32(corr, corr0);
    vst1q_s32(corr + 4, corr1);
    for (int64_t j0 = 0; j0 < n; j0 += kNr, b += groups * kNr * kGroup) {
        int32x4_t acc[kMr][2];
        for (int r = 0; r < kMr; ++r) acc[r][0] = acc[r][1] = vdupq_n_s32(corr[r]);
        for (int64_t g = 0; g < groups; ++g) {
            const int8x16_t a0 = vld1q_s8(a + g * 32), a1 = vld1q_s8(a + g * 32 + 16);
            const int8x16_t b0 = vld1q_s8(b + g * 32), b1 = vld1q_s8(b + g * 32 + 16);
            PERCEPT_SDOT_ROW(0, a0);
            PERCEPT_SDOT_ROW(1, a0);
            PERCEPT_SDOT_ROW(2, a0);
            PERCEPT_SDOT_ROW(3, a0);
            PERCEPT_SDOT_ROW(4, a1);
            PERCEPT_SDOT_ROW(5, a1);
            PERCEPT_SDOT_ROW(6, a1);
            PERCEPT_SDOT_ROW(7, a1);
        }
        const int64_t cols = n - j0 < kNr ? n - j0 : kNr;
        for (int r = 0; r < kMr; ++r) {
            int32_t* row = c + r * ldc + j0;
            if (cols == kNr) {
                vst1q_s32(row, acc[r][0]);
                vst1q_s32(row + 4, acc[r][1]);
            } else {
                int32_t t[kNr];
                vst1q_s32(t, acc[r][0]);
                vst1q_s32(t + 4, acc[r][1]);
                for (int64_t j = 0; j < cols; ++j) row[j] = t[j];
            }
        }
    }
}
#undef PERCEPT_SDOT_ROW

// x packed by packB with n = 1: group g's 4 signed bytes at g * kNr * 4.
void gemv(const void* aPacked, const void* xPacked, int64_t M, int64_t K, int32_t* y) {
    const int64_t groups = (K + kGroup - 1) / kGroup;
    const int8_t* a = static_cast<const int8_t*>(aPacked);
    const uint8_t* x = static_cast<const uint8_t*>(xPacked);
    for (int64_t m0 = 0; m0 < M; m0 += kMr, a += groups * kMr * kGroup) {
        int32x4_t acc0, acc1;
        rowCorrections(a, groups, acc0, acc1);
        for (int64_t g = 0; g < groups; ++g) {
            int32_t word;
            std::memcpy(&word, x + g * kNr * kGroup, sizeof word);
            const int8x16_t xv = vreinterpretq_s8_s32(vdupq_n_s32(word));
            acc0 = vdotq_s32(acc0, vld1q_s8(a + g * 32), xv);
            acc1 = vdotq_s32(acc1, vld1q_s8(a + g * 32 + 16), xv);
        }
        int32_t t[kMr];
        vst1q_s32(t, acc0);
        vst1q_s32(t + 4, acc1);
        for (int64_t r = 0; r < kMr && m0 + r < M; ++r) y[m0 + r] = t[r];
    }
}

#pragma GCC pop_options

// The portable table with this level's GEMM: its rows (requantisation, pooling, Add ...) are
// plain loops the compiler vectorises for NEON anyway.
Int8Kernels dotTable() {
    Int8Kernels k = int8::kPortable;
    k.name = "neon-dotprod";
    k.mr = kMr, k.nr = kNr, k.kGroup = kGroup, k.elemBytes = 1;
    k.packA = &packPanels<kMr, kGroup, int8_t>;
    k.packB = &packB;
    k.kernel = &kernel;
    k.packGemv = &packPanels<kMr, kGroup, int8_t>;
    k.gemv = &gemv;
    k.gemvRows = kMr;
    return k;
}

}  // namespace

const Int8Kernels kInt8Dot = dotTable();

}  // namespace percept::cpu::neon
