// SPDX-License-Identifier: Apache-2.0
// What the pooling shaders share (pool.comp, int8_pool.comp; their push constants begin with
// vk_op.h's PoolWindow): the taps of a window inside an extent, for average pools' divisors.
// Taps k < kernel of a window starting at b (step dil) that fall in [lo, hi).
int tapsIn(int b, uint kernel, uint dil, int lo, int hi) {
    const int d = int(dil);
    const int k0 = b >= lo ? 0 : (lo - b + d - 1) / d;
    const int k1 = hi <= b ? 0 : min(int(kernel), (hi - b + d - 1) / d);
    return max(k1 - k0, 0);
}
