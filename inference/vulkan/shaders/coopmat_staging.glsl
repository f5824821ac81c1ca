// SPDX-License-Identifier: Apache-2.0
// The tensor-core kernels' shared memory (conv_coopmat.comp, gemm_coopmat.comp): a 64 x 64 output
// tile, computed by four 32-wide subgroups from steps of 32 k staged as fp16, A as [row][k] and
// B as [k][column], each twice (double-buffered: step s + 1 is stored while step s is
// multiplied), and the fp32 accumulators' tile for the epilogue.
//
// Every row is padded by 16 bytes (A: 40 halves, not 32; B: 72, not 64; the accumulators: 68
// floats, not 64). Unpadded, the rows of a fragment load (ldmatrix reads 8 rows of 16 bytes at a
// time) started 64 or 128 bytes apart and so fell on the same banks, 4- and 8-way; padded, 8
// consecutive rows cover all 32 banks once. The padded strides keep every fragment's start and
// stride a multiple of 16 bytes, as coopMatLoadNV / coopMatStoreNV require.
//
// The including shader declares MM, NN, KK (the device's fragment shape) and TM = 32 / MM,
// TN = 32 / NN first.
const uint AS = 40u, BS = 72u, CS = 68u;  // row strides: halves, halves, floats
shared float16_t As[2u * 64u * AS];       // [buffer][row][k]
shared float16_t Bs[2u * 32u * BS];       // [buffer][k][column]
shared float Cs[64u * CS];                // [row][column], the epilogue's input
#define ACC_TYPE fcoopmatNV<32, gl_ScopeSubgroup, MM, NN>

// Where element (row, k) of A and (k, column) of B go in staging buffer `buf`.
uint stagedA(uint buf, uint row, uint k) { return (buf * 64u + row) * AS + k; }
uint stagedB(uint buf, uint k, uint column) { return (buf * 32u + k) * BS + column; }

// One staged step of 32 k into the subgroup's accumulators acc[TM][TN], whose quarter of the
// tile starts at (row0, col0).
#define multiplyStep(acc, buf, row0, col0)                                                                             \
    [[unroll]] for (uint kk = 0u; kk < 32u; kk += KK) {                                                                \
        fcoopmatNV<16, gl_ScopeSubgroup, MM, KK> fa[TM];                                                              \
        fcoopmatNV<16, gl_ScopeSubgroup, KK, NN> fb[TN];                                                              \
        [[unroll]] for (uint i = 0u; i < TM; ++i) coopMatLoadNV(fa[i], As, stagedA(buf, row0 + i * MM, kk), AS, false); \
        [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatLoadNV(fb[j], Bs, stagedB(buf, kk, col0 + j * NN), BS, false); \
        [[unroll]] for (uint i = 0u; i < TM; ++i)                                                                      \
            [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j]);           \
    }

// The accumulators into Cs (a barrier must follow before other invocations read them).
#define storeAccumulators(acc, row0, col0)             \
    [[unroll]] for (uint i = 0u; i < TM; ++i)          \
        [[unroll]] for (uint j = 0u; j < TN; ++j) coopMatStoreNV(acc[i][j], Cs, (row0 + i * MM) * CS + col0 + j * NN, CS, false);

// Four-float run q of the accumulated tile (16 runs per row).
vec4 accumulatorRun(uint q) {
    const uint e = (q / 16u) * CS + (q % 16u) * 4u;
    return vec4(Cs[e], Cs[e + 1u], Cs[e + 2u], Cs[e + 3u]);
}
