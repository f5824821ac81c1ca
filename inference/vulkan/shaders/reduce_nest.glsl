// SPDX-License-Identifier: Apache-2.0
// graph::ReduceNest as the reduction shaders read it (reduce.comp, norm.comp; filled by
// vk_reduce.cpp's reduceNestPush): outputs walk the kept axes, each reducing over the reduced
// axes; up to 4 merged blocks of each (ceil(rank / 2) for rank <= 8).

// Offset of the i-th element (row-major) of a nest of n dims / strides; i is below their
// product, so the outermost axis needs no division (a single-block nest needs none at all).
uint nestOffset(uint i, uint n, uvec4 dims, uvec4 strides) {
    if (n == 0u) return 0u;
    uint off = 0u;
    for (int k = int(n) - 1; k > 0; --k) {
        const uint d = dims[k];
        const uint q = i / d;
        off += (i - q * d) * strides[k];
        i = q;
    }
    return off + i * strides[0];
}

float infinity() { return uintBitsToFloat(0x7f800000u); }

// A running sum with Kahan's compensation: a reduction of 50k values in one float would drift
// by ~1e-4 relative. `precise` keeps the compiler from reassociating the correction away.
void kahanAdd(inout float s, inout float c, float v) {
    precise float y = v - c;
    precise float t = s + y;
    precise float e = (t - s) - y;
    c = e;
    s = t;
}
