// SPDX-License-Identifier: Apache-2.0
#pragma once
// Runtime CPU dispatch, after XNNPACK's configs: the engine is compiled for the baseline
// x86-64 ISA; the hot kernels have AVX2+FMA and AVX-512 variants (separate translation units
// built with GCC target pragmas), and each level exports ONE table of them (CpuKernels, at the
// end of this header). A session picks the table once, from what the CPU supports capped by
// SessionOptions::tuning.cpuIsa (tests run every level on one machine), and hands it to every
// kernel it builds. On arm64 the levels are generic and NEON (Advanced SIMD, part of the
// aarch64 baseline: simd_neon.cpp); each architecture compiles only its own SIMD files.
#include <cstdint>
#include <string>
#include <vector>

#include "graph/ir.h"
#include "percept/backend.h"

namespace percept::cpu {

enum class Isa {
    Generic = 0, Avx2 = 1, Avx512 = 2,
    // arm64/NEON: its own family, not ordered against the x86 levels.
    Neon = 16,
};

const char* isaName(Isa isa);

// The packed SGEMM behind the 1x1 and im2col convolutions:
//   C[M x N] = act(A[M x K] * B[K x N] + bias[M])   (row-major, B and C with leading dims)
// A is packed once (weights, at session creation) into MR-row panels (zero padded to a whole
// panel), grouped by KC-row blocks; B is packed per NR-column strip and KC-row block into the caller's
// scratch (packBFloats() floats). Work is cut by columns [n0, n1) and row panels [mb0, mb1).
struct PackedGemmArgs {
    const float* a = nullptr;  // packed A
    int64_t M = 0, K = 0;
    const float* b = nullptr;
    int64_t ldb = 0;
    float* c = nullptr;
    int64_t ldc = 0;
    int64_t n0 = 0, n1 = 0;    // columns to compute
    int64_t mb0 = 0, mb1 = 0;  // row panels to compute
    const float* bias = nullptr;  // M values or null
    graph::FusedActivation act;
    float* packB = nullptr;    // scratch, packBFloats() floats, 64-byte aligned
    // Convolution family (Gemm/MatMul with constant B): B already packed, the strips of NR
    // columns of each KC block as [kc][NR] (zero padded), block k0 at k0 * bPackedCols, strip s
    // of it at s * kc * NR (cpu/packed_gemm.h's packBMatrix writes it); b, ldb and packB are then unused and n0
    // must be a multiple of NR.
    const float* bPacked = nullptr;
    int64_t bPackedCols = 0;   // the packed width: N rounded up to whole strips
    // CPU speed: a bias per column (a Linear layer's, MatMul + Add fused), added with `bias`;
    // readable up to N rounded up to whole NR strips (partial tiles read whole ones).
    const float* colBias = nullptr;
    // CPU speed: a residual connection added before the activation (a Conv fused with the Add
    // that reads it: graph::fusedAddCandidates), laid out as c (row stride ldc), or null.
    const float* residual = nullptr;
    // CPU speed: row k of B times bRowScale[k] (K values) as B is packed, or null: a
    // squeeze-and-excitation gate on a 1x1 conv's input channels (graph::SqueezeExciteConv).
    // Only with B given row-major (not bPacked).
    const float* bRowScale = nullptr;
};

struct PackedGemm {
    int mr = 0, nr = 0;
    void (*pack)(const float* a, int64_t lda, int64_t M, int64_t K, float* dst) = nullptr;
    void (*run)(const PackedGemmArgs& args) = nullptr;
    int64_t panels(int64_t M) const { return (M + mr - 1) / mr; }
    int64_t packedFloats(int64_t M, int64_t K) const { return panels(M) * mr * K; }
};
inline constexpr int64_t kPackKc = 256;    // rows of B per packed block
inline constexpr int64_t kPackStrips = 4;  // NR-column strips of B packed together
inline int64_t packBFloats() { return kPackKc * 32 * kPackStrips; }

// Depthwise KxK (stride 1 or 2, no dilation) over one plane, or a band of its output rows,
// SIMD, with the fused activation; null when the level has none.
struct DepthwiseArgs {
    const float* x;
    int64_t H, W;
    const float* w;  // k * k taps
    float bias;
    float* y;
    int64_t OH, OW, stride, pt, pl;
    graph::FusedActivation act;
    int64_t k = 3;         // kernel size (CpuKernels::depthwiseK; depthwise3x3 takes 3 only)
    float* pad = nullptr;  // scratch for the zero-padded plane: depthwisePadRows x depthwisePadPitch floats
    // Output rows [oy0, min(oy1, OH)) only: a thread's share when the threads split a plane by
    // rows (conv.cpp says why).
    int64_t oy0 = 0, oy1 = INT64_MAX;
    // x holds the plane from input row xRow0 on, the rows output rows [oy0, oy1) read: a band
    // the 1x1 conv before it just wrote (conv.cpp's ConvPointwiseDepthwise). 0: all of it.
    int64_t xRow0 = 0;
};
// The kernel sizes CpuKernels::depthwiseK takes (3x3 MobileNets, 5x5 EfficientNet and
// MobileNetV3, 7x7 ConvNeXt).
inline bool depthwiseKTakes(int64_t k) { return k == 3 || k == 5 || k == 7; }
// The padded plane's row pitch: whole vectors (of up to 16 lanes) of output columns plus one,
// at the stride (an output vector's loads reach 2 vectors past its first input column; a
// 64-byte multiple, so rows stay aligned); its rows: those the output rows read.
inline int64_t depthwisePadPitch(int64_t OW, int64_t stride) { return stride * ((OW + 15) / 16 * 16 + 16); }
inline int64_t depthwisePadRows(int64_t OH, int64_t stride, int64_t k) { return (OH - 1) * stride + k; }
// The widest padded row the SIMD kernels that pad (depthwise, grouped) take: their per-vector
// load masks of a row are worked out once, into a fixed array (kDwPadMaxVectors of up to 16
// lanes); wider planes (2000+ output columns) take the portable loops.
inline constexpr int64_t kDwPadMaxVectors = 256;
inline bool depthwisePadTakes(int64_t OW, int64_t stride) { return depthwisePadPitch(OW, stride) <= kDwPadMaxVectors * 16; }
using DepthwiseFn = void (*)(const DepthwiseArgs&);
// CPU speed: the same convolution over a block of up to `lanes` (the level's vector width)
// small planes at once, with the channels in the vector lanes (simd_depthwise.inc says why).
struct DepthwiseLanesArgs {
    const float* x;        // the block's first input plane; the others follow, H * W apart
    int64_t channels;      // planes in the block: 1 .. lanes
    int64_t H, W;
    const float* w;        // the block's k * k taps per channel, channel after channel
    const float* bias;     // the block's biases, one per channel
    float* y;              // the block's first output plane; the others follow, OH * OW apart
    int64_t OH, OW, stride, pt, pl, k;
    graph::FusedActivation act;
    float* scratch;        // depthwiseLanesScratch() floats, 64-byte aligned
};
using DepthwiseLanesFn = void (*)(const DepthwiseLanesArgs&);
// Its scratch: the padded planes channel-interleaved, the outputs likewise, the taps and the
// biases lane-major, and the pixels' offsets.
inline int64_t depthwiseLanesScratch(int64_t OH, int64_t OW, int64_t stride, int64_t k, int lanes) {
    const int64_t padded = ((OH - 1) * stride + k) * ((OW - 1) * stride + k);
    return (padded + OH * OW + k * k + 1) * lanes + OH * OW;
}

// CPU speed: one group of a grouped convolution with few channels per group (RegNet: 8 in,
// 8 out), computed directly over zero-padded copies of its input planes (simd_groupconv.inc).
struct GroupConvArgs {
    const float* x;     // the group's input planes [Cg][H][W]
    int64_t Cg, H, W;
    const float* w;     // weights repacked as [Cg][k][k][Mg]
    const float* bias;  // Mg values
    float* y;           // the group's output planes [Mg][OH][OW] (see yPlane)
    int64_t Mg, OH, OW, stride, pt, pl;
    int64_t k = 3;      // the square kernel's size (groupConvTakes)
    graph::FusedActivation act;
    float* pad;         // scratch: Cg x depthwisePadRows x depthwisePadPitch floats
    // The output rows computed, for all Mg channels: [oyBegin, oyEnd) (all OH, or a stem's band:
    // its one group's rows are shared among the threads, each padding only the input rows its
    // band reads).
    int64_t oyBegin = 0, oyEnd = 0;
    // Where output row oy of channel m goes: y + m * yPlane + (oy - yRow0) * OW. yPlane 0 is
    // OH * OW (whole planes); a band buffer (the stem's Conv + MaxPool) holds rows from yRow0.
    int64_t yPlane = 0, yRow0 = 0;
    int64_t yPlaneFloats() const { return yPlane ? yPlane : OH * OW; }
};
using GroupConvFn = void (*)(const GroupConvArgs&);
// The shapes CpuKernels::groupConv takes: 3x3 kernels, and 7x7 ones (ResNet's stem), stride 1
// or 2, no dilation (the caller checks), output channels per group a multiple of 4.
inline bool groupConvTakes(int64_t k, int64_t Mg) { return (k == 3 || k == 7) && Mg % 4 == 0; }

// y[r] = dot(w + r * ldw, x) over K, for r < rows: the matrix-vector product of a classifier
// (1x1 conv on a 1x1 plane, Gemm with one row). Four rows share each load of x; the weights
// stream once. Null for Generic (OpenBLAS then).
using DotRowsFn = void (*)(const float* w, int64_t ldw, const float* x, int64_t K, int64_t rows, float* y);

// dst[j] = src[2j] for j < n: the stride-2 rows of im2col (stems, downsampling convs), which
// a scalar loop copies one float at a time. Reads src[0 .. 2n-2] only. Null for Generic.
using CopyStride2Fn = void (*)(const float* src, float* dst, int64_t n);

// MaxPool rows (pool.cpp): t[i] = max over k < rows of r[k * W + i] for i < n (the max down a
// window's consecutive input rows, in one pass), and y[j] = max(t[2j], t[2j+1], t[2j+2]) for
// j < n (3-wide windows at stride 2 across that row; t holds at least 2n + 1 floats). Scalar
// loops otherwise.
struct MaxPoolRowFns {
    void (*maxRows)(float* t, const float* r, int64_t W, int64_t rows, int64_t n) = nullptr;
    void (*window3s2)(const float* t, float* y, int64_t n) = nullptr;
};

// Winograd F(4x4, 3x3) transforms (see conv_winograd.cpp): 6x6 input tiles at a stride of 4,
// 36 transform-domain positions (pos = 6i + j), each a [channels x tiles] matrix that a packed
// GEMM multiplies by the transformed weights. Vectors run across the tiles of one tile row.
// Floats of one scratch row for rows of TX tiles (room for whole vectors and the 2-column overlap).
inline int64_t winogradRowFloats(int64_t TX) { return 4 * ((TX + 15) / 16 * 16) + 16; }
// Per-thread scratch of either transform, in floats.
inline int64_t winogradScratchFloats(int64_t TX) { return 12 * winogradRowFloats(TX); }

// One input channel's tile rows [ty0, ty1): v[pos * posStride + (ty - ty0) * TX + tx].
struct WinoInArgs {
    const float* x;  // the channel's plane [H][W]
    int64_t H, W, pt, pl;
    int64_t ty0, ty1, TX;
    float* v;
    int64_t posStride;
    float* scratch;  // winogradScratchFloats(TX)
};
// One output channel's tile rows [ty0, ty1) back to the plane y [OH][OW], with the bias, an
// optional residual (same layout as y, added before the activation) and the activation.
struct WinoOutArgs {
    const float* m;  // m[pos * posStride + (ty - ty0) * TX + tx]; readable a vector past the end
    int64_t posStride;
    float* y;
    const float* residual;
    int64_t OH, OW, ty0, ty1, TX;
    float bias;
    graph::FusedActivation act;
    float* scratch;
};
// The same for F(2x2, 3x3) (4x4 input tiles at a stride of 2, 16 positions; tile rows of 2
// output rows): for small planes, where F(4x4) has too few tiles for the GEMM.
struct WinogradFns {
    void (*input)(const WinoInArgs&) = nullptr;
    void (*output)(const WinoOutArgs&) = nullptr;
    void (*input2)(const WinoInArgs&) = nullptr;
    void (*output2)(const WinoOutArgs&) = nullptr;
};
// y = act(x) over n values (x == y allowed): the level's vector rows for the functions real
// models use (Relu, Clip, LeakyRelu, Sigmoid, SiLU, HardSigmoid, HardSwish, Tanh, Gelu, Erf,
// Exp), every other kind through the portable cpu::activate. Null for Generic (the caller
// then takes cpu::activate: cpu::activationFn).
using ActivateFn = void (*)(const graph::FusedActivation& act, const float* x, float* y, int64_t n);
// ---- arm64/NEON: softmax rows (written once for every level, simd_activation.inc) ----
// y = softmax(x), or log-softmax with `logSoftmax`, over one contiguous row of n > 0 values (x == y
// allowed): the max, e^(x - max) with the vector exp and its sum, then one scaling (or the
// shift (x - max) - log(sum)). Null for Generic (cpu/softmax.cpp's scalar loop then).
using SoftmaxRowFn = void (*)(const float* x, float* y, int64_t n, bool logSoftmax);

// One level's kernels. The generic table has every member null: the callers then take their
// portable loops (and OpenBLAS for the GEMM).
struct CpuKernels {
    Isa isa = Isa::Generic;
    const PackedGemm* gemm = nullptr;
    DepthwiseFn depthwise3x3 = nullptr;
    DotRowsFn dotRows = nullptr;
    CopyStride2Fn copyStride2 = nullptr;
    MaxPoolRowFns maxPool;
    WinogradFns winograd;
    ActivateFn activate = nullptr;
    // CPU speed (issue 10)
    DepthwiseFn depthwiseK = nullptr;  // KxK depthwise for depthwiseKTakes(k), stride 1 or 2, no dilation
    GroupConvFn groupConv = nullptr;   // one group of a grouped conv (groupConvTakes)
    SoftmaxRowFn softmaxRow = nullptr;  // arm64/NEON: softmax rows
    DepthwiseLanesFn depthwiseLanes = nullptr;  // CPU speed: small depthwise planes, channels in lanes
    int lanes = 1;                              // floats per vector (depthwiseLanes' block)
    int64_t depthwiseLanesMaxWidth = 0;         // the widest output plane depthwiseLanes is chosen for
    // "avx512" for the per-layer table's algorithm names ("depthwise/avx512").
    const char* name() const { return isaName(isa); }
};

// Whether CpuKernels::depthwiseLanes takes a depthwise conv with a square k x k kernel, no
// dilation and the same stride both ways (the caller checks those): a size it has, stride 1 or
// 2, at least a block of channels, an output plane no wider than maxWidth (where it pays: the
// level's depthwiseLanesMaxWidth against the fp32 per-plane kernel) and of at most 256 pixels
// (its scratch holds a padded plane per lane).
inline bool depthwiseLanesTakes(const CpuKernels& kern, int64_t k, int64_t stride, int64_t OH, int64_t OW, int64_t C, int64_t maxWidth) {
    return kern.depthwiseLanes && depthwiseKTakes(k) && (stride == 1 || stride == 2) && C >= kern.lanes && OW <= maxWidth && OH * OW <= 256;
}

// The best level this CPU supports, capped by `cap`; a cap of the other architecture's family
// (avx2 on arm64, neon on x86-64) is a percept::Error saying so.
Isa bestIsa(Tuning::CpuIsa cap);
// Every level this CPU supports, generic first (what the tests compare against each other).
std::vector<Isa> supportedIsas();
// That level's table.
const CpuKernels& cpuKernels(Isa isa);

// Each SIMD translation unit's table (simd_table.inc).
namespace avx512 { extern const CpuKernels kKernels; }
namespace avx2 { extern const CpuKernels kKernels; }

// ---- arm64/NEON ------------------------------------------------------------------------------
namespace neon { extern const CpuKernels kKernels; }
// What HWCAP reports beyond the baseline Advanced SIMD: the dot-product (SDOT/UDOT, for int8
// kernels) and half-precision arithmetic extensions. All false on x86-64.
struct ArmFeatures {
    bool dotProd = false, fp16 = false;
};
ArmFeatures armFeatures();
// The level's name with those extensions, for reports: "neon+dotprod+fp16", "avx512".
std::string isaDescription(Isa isa);

}  // namespace percept::cpu
