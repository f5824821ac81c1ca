// SPDX-License-Identifier: Apache-2.0
#pragma once
// Drivers of the packed SIMD GEMM (cpu/isa.h's PackedGemm) shared by the convolution family's
// kernels: the conv's split over the thread pool, and B matrices packed once ahead (the
// constant weights of Gemm and MatMul).
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "cpu/isa.h"
#include "cpu/thread_pool.h"
#include "graph/ir.h"

namespace percept::cpu {

// Storage on 64-byte (cache line) boundaries for the weights a kernel streams with vector
// loads: a GEMV over rows starting 16 bytes into a line ran 15-40% slower (every load split
// over two lines), and std::vector's allocator only promises 16 bytes.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}
    T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
    void deallocate(T* p, size_t) { ::operator delete(p, std::align_val_t{64}); }
    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const { return true; }
};
using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

// Runs C[M x N] = act(A * B + bias) (A packed) on the pool: by column strips when there are
// enough of them, otherwise by row panels (small spatial sizes: 5x5, 7x7).
// `scratch` holds pool.size() slices of packBFloats() floats (packScratchFloats). `residual`
// (laid out as C) is added before the activation, when not null; B's row k is scaled by
// bRowScale[k] as it is read, when not null (PackedGemmArgs::bRowScale).
void packedGemmParallel(ThreadPool& pool, const PackedGemm& pg, const float* ap, int64_t M, int64_t K, const float* b, int64_t ldb,
                        int64_t N, float* c, int64_t ldc, const float* bias, const graph::FusedActivation& act, float* scratch,
                        const float* residual = nullptr, const float* bRowScale = nullptr);
size_t packScratchFloats(int threads);

// B [K x N] (row-major; `transposed`: given as [N x K]) times alpha, packed for
// PackedGemmArgs::bPacked at `nr` columns per strip; bPackedCols is N rounded up to nr.
AlignedFloats packBMatrix(const float* b, bool transposed, int64_t K, int64_t N, float alpha, int nr);
// Rows [rows x K] transposed from a [K x rows] matrix (a GEMV's weights), or copied when
// `transposed` is false: cache-line aligned either way.
AlignedFloats gemvRows(const float* w, bool transposed, int64_t rows, int64_t K);
inline int64_t packedCols(int64_t N, int nr) { return (N + nr - 1) / nr * nr; }

}  // namespace percept::cpu
