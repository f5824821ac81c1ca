// SPDX-License-Identifier: Apache-2.0
// The split reduction of the tiled kernels (conv_tiled.comp, gemm_tiled.comp, gemm_coopmat.comp;
// vk_op.h's splitReduction decides the slices): every workgroup of a tile computed the sums of
// one slice of k; each stores them in the workspace, counts its arrival on the tile's counter,
// and the last to arrive adds every slice's sums (in slice order) and goes on to the epilogue.
// The including shader defines SPLIT_INVOCATIONS (its workgroup size) and SPLIT_VEC4S (the
// four-float sums each invocation holds; SPLIT_VEC4 ivec4 for int32 sums, int8_gemm.comp) and
// declares
//   coherent buffer ... { vec4 part[]; }       [slice][tile][SPLIT_VEC4S][SPLIT_INVOCATIONS]
//   coherent buffer ... { uint arrivals[]; }   one per tile, back at 0 after every run
// The layout is per invocation, not per output element: one slice's stores and the last
// workgroup's loads are whole vec4s, 16 consecutive invocations covering 256 contiguous bytes.
// Called from uniform control flow (it has barriers).
#ifndef SPLIT_VEC4
#define SPLIT_VEC4 vec4
#endif
shared bool lastSlice;

uint splitIndex(uint slice, uint tile, uint tiles, uint r) {
    return ((slice * tiles + tile) * SPLIT_VEC4S + r) * SPLIT_INVOCATIONS + gl_LocalInvocationIndex;
}

// true: this workgroup arrived last and acc holds the whole reduction; false: it is done.
bool addSlices(inout SPLIT_VEC4 acc[SPLIT_VEC4S], uint slice, uint slices, uint tile, uint tiles) {
    [[unroll]] for (uint r = 0u; r < SPLIT_VEC4S; ++r) part[splitIndex(slice, tile, tiles, r)] = acc[r];
    // Make this slice's sums visible, then count the arrival.
    memoryBarrierBuffer();
    barrier();
    if (gl_LocalInvocationIndex == 0u) {
        lastSlice = atomicAdd(arrivals[tile], 1u) == slices - 1u;
        if (lastSlice) arrivals[tile] = 0u;  // every slice has arrived: ready for the next run
    }
    barrier();
    if (!lastSlice) return false;
    memoryBarrierBuffer();
    [[unroll]] for (uint r = 0u; r < SPLIT_VEC4S; ++r) {
        SPLIT_VEC4 sum = SPLIT_VEC4(0);
        for (uint s = 0u; s < slices; ++s) sum += part[splitIndex(s, tile, tiles, r)];
        acc[r] = sum;
    }
    return true;
}
