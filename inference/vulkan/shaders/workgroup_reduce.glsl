// SPDX-License-Identifier: Apache-2.0
// The sum or the maximum of one value per invocation over a workgroup of 64 (local_size_x =
// 64), every invocation getting the result: a tree in shared memory, 6 halving steps. Called
// from uniform control flow (it has barriers); the shared array is free again on return.
// (softmax.comp's rows, squeeze_excite.comp's means and hidden vector.)
shared float wgPartial[64];

float workgroupReduce(float v, bool isMax) {
    const uint l = gl_LocalInvocationID.x;
    wgPartial[l] = v;
    barrier();
    [[unroll]] for (uint s = 32u; s > 0u; s >>= 1u) {
        if (l < s) wgPartial[l] = isMax ? max(wgPartial[l], wgPartial[l + s]) : wgPartial[l] + wgPartial[l + s];
        barrier();
    }
    const float r = wgPartial[0];
    barrier();
    return r;
}
float workgroupSum(float v) { return workgroupReduce(v, false); }
float workgroupMax(float v) { return workgroupReduce(v, true); }
