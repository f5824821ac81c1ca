// graph::ReduceNest as the reduction shaders read it (reduce.comp, norm.comp; filled by
// vk_reduce.cpp's reduceNestPush): outputs walk the kept axes, each reducing over the reduced
// axes; up to 4 merged blocks of each (ceil(rank / 2) for rank <= 8).

// Offset of the i-th element (row-major) of a nest of n dims / strides.
uint nestOffset(uint i, uint n, uvec4 dims, uvec4 strides) {
    uint off = 0u;
    for (int k = int(n) - 1; k >= 0; --k) {
        const uint d = dims[k];
        off += (i % d) * strides[k];
        i /= d;
    }
    return off;
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
