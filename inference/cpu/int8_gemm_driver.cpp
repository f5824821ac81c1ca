// SPDX-License-Identifier: Apache-2.0
#include "cpu/int8_gemm_driver.h"

#include <algorithm>

#include "graph/quant.h"

namespace percept::cpu::int8 {
namespace {

// Packed B per tile: about this many bytes, so a tile stays in L2 while every A panel runs over it.
constexpr int64_t kTileBBytes = 128 * 1024;

}  // namespace

Weights readWeights(const graph::Graph& g, const graph::Node& n, int valueId, int64_t M, int64_t K, bool transposed) {
    const graph::Value& v = g.value(valueId);
    if (!v.constant || v.constant->dtype != graph::DType::Int8 || v.quant.empty())
        fail(n, "int8 weights must be a quantised int8 constant (INT8.md)");
    const graph::QuantParams& p = v.quant;
    if (p.scale.size() != 1 && static_cast<int64_t>(p.scale.size()) != M) fail(n, "int8 weights need one scale or one per output channel");
    if (p.zeroPoint.size() != p.scale.size()) fail(n, "int8 weights need as many zero points as scales");
    if (static_cast<int64_t>(v.constant->bytes.size()) != M * K) fail(n, "int8 weights do not have M x K values");
    const int8_t* src = reinterpret_cast<const int8_t*>(v.constant->bytes.data());
    Weights r;
    r.w.resize(static_cast<size_t>(M * K));
    r.rowSum.assign(static_cast<size_t>(M), 0);
    for (int64_t m = 0; m < M; ++m) {
        const size_t c = p.scale.size() == 1 ? 0 : static_cast<size_t>(m);
        r.scale.push_back(p.scale[c]);
        r.zero.push_back(p.zeroPoint[c]);
        r.asymmetric |= p.zeroPoint[c] != 0;
        for (int64_t k = 0; k < K; ++k) {
            const int8_t x = transposed ? src[k * M + m] : src[m * K + k];
            r.w[static_cast<size_t>(m * K + k)] = x;
            r.rowSum[static_cast<size_t>(m)] += x - p.zeroPoint[c];
        }
    }
    return r;
}

Input readInput(const graph::Graph& g, const graph::Node& n, int valueId) {
    const graph::Value& v = g.value(valueId);
    if (!graph::isByteType(v.dtype) || !v.quant.perTensor()) fail(n, "the int8 input '" + v.name + "' has no scale and zero point");
    Input in;
    in.scale = v.quant.scale[0];
    in.padByte = static_cast<uint8_t>(v.quant.zeroPoint[0]);
    in.flip = v.dtype == graph::DType::Int8 ? 0x80 : 0;
    in.zero = v.quant.zeroPoint[0] + (in.flip ? 128 : 0);
    return in;
}

void realTerms(const Weights& w, const Input& in, const std::vector<float>& bias, std::vector<double>& scale, std::vector<double>& offset) {
    const size_t M = w.scale.size();
    scale.resize(M);
    offset.resize(M);
    for (size_t m = 0; m < M; ++m) {
        scale[m] = in.scale * w.scale[m];
        offset[m] = (bias.empty() ? 0.0 : bias[m]) - static_cast<double>(in.zero) * static_cast<double>(w.rowSum[m]) * scale[m];
    }
}

std::vector<float> biasOf(const graph::Graph& g, const graph::Node& n, size_t k, int64_t count) {
    std::vector<float> b = constInput(g, n, k, "bias");
    if (!b.empty() && static_cast<int64_t>(b.size()) != count) fail(n, "the bias must have one value per output channel");
    return b;
}

void subtractGemvZeroTerms(const Int8Kernels& k, int32_t* y, const int32_t* zero, int64_t M, const uint8_t* x, int64_t K, uint8_t flip) {
    if (!zero) return;
    int32_t sum = 0;
    k.columnSums(x, nullptr, 1, K, 1, flip, &sum);
    k.zeroTerms(y, 1, zero, M, &sum, 1);
}

void GemmPlan::init(const Int8Kernels& k, int64_t m, int64_t kk, int64_t p, int64_t bufferPerColumn, size_t sharedBytes) {
    gemm = &k;
    M = m;
    K = kk;
    P = p;
    const int64_t perCol = std::max<int64_t>(1, k.kPadded(K) * k.elemBytes);
    tile = std::max<int64_t>(k.nr, kTileBBytes / perCol / k.nr * k.nr);
    tile = std::min(tile, k.strips(P) * k.nr);
    shared = threadStrideBytes(sharedBytes);  // the per-thread slices after it start on a page
    bufferBytes = align64(static_cast<size_t>(bufferPerColumn * tile));
    packBytes = align64(k.packedBBytes(K, tile));
    cBytes = align64(static_cast<size_t>(k.mr * tile) * sizeof(int32_t));
    floatBytes = align64(static_cast<size_t>(tile) * (sizeof(float) + sizeof(int32_t)));  // scratch, then column sums
}

}  // namespace percept::cpu::int8
